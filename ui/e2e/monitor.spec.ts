// The monitoring loop and the collectors in the UI: a node's schedule, "Collect now" against a
// real PostgreSQL database, what a collector found about a table, and the /monitor screen.
import { execFileSync } from 'node:child_process';
import { expect, screenshot, signIn, test, type Api } from './fixtures';
import { VIEWER } from './servers';

test.describe.configure({ mode: 'serial' });

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };

function psql(database: string, sql: string): void {
  execFileSync('psql', ['-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-qc', sql], {
    stdio: 'pipe',
  });
}

interface Node {
  id: string;
  name: string;
  check_interval_seconds: number | null;
  collect_on_schedule: boolean;
}

// One source database per project (both projects run at once against the same PostgreSQL).
let source = '';

// eslint-disable-next-line no-empty-pattern -- Playwright reads a hook's fixtures from this pattern
test.beforeAll(async ({}, testInfo) => {
  source = `dlv_e2e_src_${testInfo.project.name}_${Math.random().toString(36).slice(2, 8)}`;
  psql('postgres', `CREATE DATABASE "${source}"`);
  psql(
    source,
    `CREATE TABLE orders (id int PRIMARY KEY, amount numeric NOT NULL);
     COMMENT ON TABLE orders IS 'One row per order, written by checkout';
     INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 500) g;
     ANALYZE orders;
     CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 1000;`,
  );
});

test.afterAll(() => {
  if (source) psql('postgres', `DROP DATABASE IF EXISTS "${source}" WITH (FORCE)`);
});

/** A PostgreSQL node of this test's own, checked only when asked unless told otherwise. */
function createNode(api: Api, name: string, host: string, database: string, extra: object = {}): Promise<Node> {
  return api.post<Node>('/api/v1/nodes', {
    kind: 'postgres',
    namespace: `postgres://${host}:${PG.port}`,
    name,
    owner: 'data-platform',
    connection: { kind: 'postgres', host, port: PG.port, database, user: PG.user },
    check_interval_seconds: null,
    ...extra,
  });
}

test('an admin sets the check interval and turns collection off and on', async ({ page, api }, testInfo) => {
  // `localhost`, not 127.0.0.1: what a scheduled collection finds lands in another namespace
  // than the collect test's datasets.
  const node = await createNode(api, `${source}-scheduled`, 'localhost', source);
  await signIn(page, undefined, `/nodes/${node.id}`);
  const schedule = page.getByRole('region', { name: 'Schedule' });
  const interval = schedule.getByLabel('Check interval');
  const collect = schedule.getByLabel(/Collect on schedule/);
  const save = schedule.getByRole('button', { name: 'Save schedule' });
  await expect(interval).toHaveValue('manual');
  await expect(schedule).toContainText('not scheduled');
  await expect(collect).toBeChecked();
  await expect(save).toBeDisabled();

  await interval.selectOption({ label: 'Every 15 minutes' });
  await collect.uncheck();
  await save.click();
  await expect(schedule.getByRole('status')).toHaveText('Saved.');
  await page.reload();
  await expect(interval).toHaveValue('900');
  await expect(collect).not.toBeChecked();
  // Saved with an interval, it is due at once; the loop checks it and plans the next in 15
  // minutes, give or take the jitter (10 %).
  await expect(schedule.locator('dd time')).toHaveText(/^in 1[3-7] minutes$/, { timeout: 30_000 });
  await expect(schedule.locator('dd time')).toHaveAttribute('title', /UTC$/);

  // A custom interval: refused below the minimum at the field, saved from it up.
  await interval.selectOption({ label: 'Custom…' });
  const seconds = schedule.getByLabel('Seconds between checks');
  await seconds.fill('20');
  await expect(schedule.getByRole('alert')).toHaveText('Must be at least 30 seconds');
  await expect(seconds).toHaveAttribute('aria-invalid', 'true');
  await save.click();
  await expect(seconds).toHaveValue('20');
  await seconds.fill('90');
  await expect(schedule.getByRole('alert')).toHaveCount(0);
  await collect.check();
  await screenshot(page, 'node-schedule', testInfo.project.name);
  await save.click();
  await expect(schedule.getByRole('status')).toHaveText('Saved.');
  await page.reload();
  await expect(interval).toHaveValue('custom');
  await expect(seconds).toHaveValue('90');
  await expect(collect).toBeChecked();
  const stored = await api.get<Node>(`/api/v1/nodes/${node.id}`);
  expect(stored).toMatchObject({ check_interval_seconds: 90, collect_on_schedule: true });

  // Back to manual: nothing is scheduled any more.
  await interval.selectOption({ label: 'Manual only' });
  await save.click();
  await expect(schedule.getByRole('status')).toHaveText('Saved.');
  await expect(schedule).toContainText('not scheduled');
});

test('a viewer reads the schedule and the collections, and changes nothing', async ({ page, api }) => {
  const node = await createNode(api, `${source}-viewed`, 'localhost', source, { check_interval_seconds: 3600, collect_on_schedule: false });
  await signIn(page, VIEWER, `/nodes/${node.id}`);
  const schedule = page.getByRole('region', { name: 'Schedule' });
  await expect(schedule).toContainText('Every hour');
  await expect(schedule).toContainText(/Collect on schedule\s*No/);
  await expect(schedule.locator('dd time')).toHaveText(/^in (5[3-9] minutes|6[0-6] minutes|1 hour)$/, { timeout: 30_000 });
  await expect(schedule.getByRole('combobox')).toHaveCount(0);
  await expect(schedule.getByRole('checkbox')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save schedule' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Collections' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Collect now' })).toHaveCount(0);
});

test('collect now finds the tables and views of a real database, and what went away', async ({ page, api }, testInfo) => {
  const node = await createNode(api, source, PG.host, source);
  await signIn(page, undefined, `/nodes/${node.id}`);
  const collections = page.getByRole('region', { name: 'Collections' });
  await expect(collections).toContainText('Never collected.');
  await collections.getByRole('button', { name: 'Collect now' }).click();
  const report = collections.getByRole('status', { name: 'Collection report' });
  await expect(report).toContainText('Collected');
  const history = collections.getByRole('table', { name: 'Collection history' });
  const first = history.getByRole('row').nth(1);
  await expect(first).toContainText('OK');
  await expect(first).toContainText('2 found, 2 new, 1 edge added');
  await expect(first).toContainText('admin');
  await collections.evaluate((section) => section.scrollIntoView());
  await screenshot(page, 'node-collections', testInfo.project.name);

  // The table is now a dataset node under the database, with what the collector found.
  // The scheduled node of the first test collected the same tables under `localhost`.
  const namespace = `postgres://${PG.host}:${PG.port}`;
  const orders = await api.nodeId(`${source}.public.orders`, namespace);
  await page.goto(`/nodes/${orders}`);
  await expect(page.getByRole('heading', { name: `${source}.public.orders` })).toBeVisible();
  const found = page.getByRole('region', { name: 'Collected' });
  await expect(found).toContainText('Table');
  await expect(found).toContainText('One row per order, written by checkout');
  await expect(found).toContainText(/Row estimate\s*500/);
  await expect(found.getByRole('link')).toHaveText(new RegExp(`${source}$`));
  await expect(found).not.toContainText('Gone since');

  // The view is dropped: the next collection marks its node gone, and keeps it.
  psql(source, 'DROP VIEW big_orders');
  await page.goto(`/nodes/${node.id}`);
  await collections.getByRole('button', { name: 'Collect now' }).click();
  await expect(history.getByRole('row')).toHaveCount(3);
  await expect(first).toContainText('1 found, 1 gone');
  const view = await api.nodeId(`${source}.public.big_orders`, namespace);
  await page.goto(`/nodes/${view}`);
  await expect(found).toContainText('View');
  await expect(found.getByRole('status')).toContainText(/^Gone since \d+ \w+ \d{4}, [\d:]+ UTC/);
  await screenshot(page, 'node-collected-gone', testInfo.project.name);

  // Pruning deletes it, after a confirmation.
  await page.goto(`/nodes/${node.id}`);
  await collections.getByLabel('Prune objects that are gone').check();
  await collections.getByRole('button', { name: 'Collect now' }).click();
  await expect(collections.getByRole('group', { name: 'Collect and prune' })).toContainText('cannot be undone');
  await collections.getByRole('button', { name: 'Collect and prune' }).click();
  await expect(report).toContainText('Collected');
  await expect(first).toContainText('1 pruned');
  await page.goto(`/nodes/${view}`);
  await expect(page.getByText('Could not load this node')).toBeVisible();
});

test('the monitor screen shows the loop, its counts and a failed check, refreshing itself', async ({ page, api }, testInfo) => {
  // Due at once, and failing: the database does not exist.
  const broken = await createNode(api, `${source}-broken`, PG.host, `${source}_missing`, { check_interval_seconds: 60, collect_on_schedule: false });
  await signIn(page, VIEWER, '/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitor' }).click();
  await expect(page).toHaveURL(/\/monitor$/);
  await expect(page.getByRole('heading', { name: 'Monitoring' })).toBeVisible();
  const counts = page.getByRole('list', { name: 'Scheduled checks' });
  for (const label of ['Scheduled', 'Due', 'Running', 'Late']) {
    await expect(counts.getByLabel(new RegExp(`^${label}: \\d+$`))).toBeVisible();
  }
  const scheduled = await counts.getByLabel(/^Scheduled: /).getAttribute('aria-label');
  expect(Number(scheduled?.split(': ')[1])).toBeGreaterThanOrEqual(1);
  const scheduler = page.getByRole('region', { name: 'Scheduler' });
  await expect(scheduler).toContainText('Embedded');
  await expect(scheduler).toContainText('Leading since');

  // The page asks again on its own: the failure shows up without a reload.
  const failures = page.getByRole('region', { name: 'Last failures' });
  const link = failures.getByRole('link', { name: `${source}-broken` });
  await expect(link).toBeVisible({ timeout: 45_000 });
  await expect(failures.getByRole('row', { name: new RegExp(`${source}-broken`) })).toContainText(/does not exist|failed/);
  await screenshot(page, 'monitor', testInfo.project.name);
  await link.click();
  await expect(page).toHaveURL(new RegExp(`/nodes/${broken.id}$`));
  await expect(page.getByRole('heading', { name: `${source}-broken` })).toBeVisible();
});
