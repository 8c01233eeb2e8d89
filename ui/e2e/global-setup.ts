// Starts one `dlv serve` per database on a free port, each on its own instance (a temp
// DLV_HOME; PostgreSQL: a fresh database, dropped after), with the demo data, a viewer, and a
// failed OpenLineage run so the incident view has something red. Returns the teardown.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { ADMIN, databases, REPO_ROOT, SECRET_KEY, tempHome, UI_ROOT, urlVariable, VIEWER, type Database } from './servers';

const DLV = process.env.DLV_BIN ?? path.join(REPO_ROOT, '.venv', 'bin', 'dlv');
const PG_ADMIN = { host: '127.0.0.1', port: '5432', user: 'postgres' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function psql(sql: string): void {
  execFileSync('psql', ['-h', PG_ADMIN.host, '-p', PG_ADMIN.port, '-U', PG_ADMIN.user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql], {
    stdio: 'pipe',
  });
}

function dlv(env: NodeJS.ProcessEnv, args: string[], input?: string): void {
  execFileSync(DLV, args, { env, input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * `dlv` without blocking the event loop, for once the server runs: blocked for seconds (a
 * loaded machine), fetch's idle keep-alive socket misses its own timeout, is reused after the
 * server's (5 s) closed it, and the next request fails with "other side closed".
 */
function dlvAsync(env: NodeJS.ProcessEnv, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(DLV, args, { env }, (error) => (error ? reject(error) : resolve()));
    child.stdin?.end(input);
  });
}

async function waitReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`dlv serve exited (${server.exitCode}):\n${log()}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`dlv serve did not become ready at ${url}:\n${log()}`);
}

async function token(url: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/auth/token`, {
    method: 'POST',
    body: new URLSearchParams({ username: ADMIN.username, password: ADMIN.password }),
  });
  if (!response.ok) throw new Error(`admin login failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * A build_revenue run that failed. Its start also reports a new output, revenue_by_market,
 * column by column (DLV keeps column lineage on the edges events drew, not on the demo's
 * hand-drawn ones).
 */
async function failedRun(url: string, bearer: string): Promise<void> {
  const ns = 'postgres://shop-db.internal:5432';
  const runId = crypto.randomUUID();
  const base = (eventType: string, runFacets: object, extraOutputs: object[]) => ({
    eventType,
    eventTime: new Date().toISOString(),
    producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.0.0',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId, facets: runFacets },
    job: { namespace: 'prod_airflow', name: 'orders_pipeline.build_revenue' },
    inputs: [
      { namespace: ns, name: 'shop.staging.stg_orders' },
      { namespace: ns, name: 'shop.staging.stg_payments' },
    ],
    outputs: [{ namespace: ns, name: 'shop.mart.fct_revenue' }, ...extraOutputs],
  });
  const facet = (name: string, body: object) => ({
    _producer: 'https://github.com/apache/airflow',
    _schemaURL: `https://openlineage.io/spec/facets/1-0-0/${name}.json`,
    ...body,
  });
  const columns = facet('ColumnLineageDatasetFacet', {
    fields: {
      revenue: { inputFields: [{ namespace: ns, name: 'shop.staging.stg_payments', field: 'amount' }], transformationType: 'AGGREGATION' },
      market: { inputFields: [{ namespace: ns, name: 'shop.staging.stg_orders', field: 'market' }], transformationType: 'IDENTITY' },
    },
  });
  const error = facet('ErrorMessageRunFacet', { message: 'division by zero in revenue_by_market', programmingLanguage: 'SQL' });
  const byMarket = { namespace: ns, name: 'shop.mart.revenue_by_market', facets: { columnLineage: columns } };
  for (const event of [base('START', {}, [byMarket]), base('FAIL', { errorMessage: error }, [])]) {
    const response = await fetch(`${url}/api/v1/lineage`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(event),
    });
    if (!response.ok) throw new Error(`OpenLineage event refused: ${response.status} ${await response.text()}`);
  }
}

interface Started {
  db: Database;
  server: ChildProcess;
  home: string;
  pgDatabase: string | null;
}

async function start(db: Database): Promise<Started> {
  const home = tempHome(db);
  let pgDatabase: string | null = null;
  let databaseUrl: string | undefined;
  if (db === 'postgresql') {
    pgDatabase = `dlv_e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    psql(`CREATE DATABASE "${pgDatabase}"`);
    databaseUrl = `postgresql+psycopg://${PG_ADMIN.user}@${PG_ADMIN.host}:${PG_ADMIN.port}/${pgDatabase}`;
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DLV_HOME: home,
    DLV_SECRET_KEY: SECRET_KEY,
    DLV_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    DLV_UI_DIR: path.join(UI_ROOT, 'dist'),
    DLV_LOG_LEVEL: 'WARNING',
    DLV_KEEPALIVE_REQUESTS: '0',
    ...(databaseUrl ? { DLV_DATABASE_URL: databaseUrl } : {}),
  };
  delete env.DLV_DEBUG;
  try {
    dlv(env, ['db', 'upgrade']);
    dlv(env, ['demo']);
  } catch (error) {
    if (pgDatabase) psql(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`);
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const server = spawn(DLV, ['serve', '--host', '127.0.0.1', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started: Started = { db, server, home, pgDatabase };
  try {
    await waitReady(url, server, () => output);
    // After the start: the server makes the first admin only while there are no users.
    await dlvAsync(env, ['users', 'create', VIEWER.username, '--role', 'viewer', '--password-stdin'], `${VIEWER.password}\n`);
    await failedRun(url, await token(url));
  } catch (error) {
    await stop(started); // a failed setup leaves no server, directory or database behind
    throw error;
  }
  process.env[urlVariable(db)] = url;
  return started;
}

function stop(started: Started): Promise<void> {
  return new Promise((resolve) => {
    const { server } = started;
    const done = () => {
      if (started.pgDatabase) {
        try {
          psql(`DROP DATABASE IF EXISTS "${started.pgDatabase}" WITH (FORCE)`);
        } catch (error) {
          console.error(`could not drop ${started.pgDatabase}:`, error);
        }
      }
      rmSync(started.home, { recursive: true, force: true });
      resolve();
    };
    if (server.exitCode !== null) return done();
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    server.kill('SIGTERM');
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(path.join(UI_ROOT, 'dist', 'index.html'))) {
    throw new Error('ui/dist is not built: run `make ui` (or `npm run build` in ui/) first');
  }
  if (!existsSync(DLV)) throw new Error(`no dlv at ${DLV}: run \`make .venv/.dev-installed\` (or set DLV_BIN)`);
  const started: Started[] = [];
  try {
    for (const db of databases()) started.push(await start(db));
  } catch (error) {
    await Promise.all(started.map(stop));
    throw error;
  }
  return async () => {
    await Promise.all(started.map(stop));
  };
}
