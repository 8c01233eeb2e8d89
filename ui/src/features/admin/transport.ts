// The OpenLineage HTTP transport settings for a new ingest token, pre-filled with this
// server's address. The two clients join url and endpoint differently (checked against their
// sources), so one naive "url + endpoint" would break either behind a path prefix:
// - Python (Airflow's provider): urljoin(url, endpoint). A relative endpoint keeps a prefix
//   only when the url ends with "/"; an absolute one ("/api/...") would drop it.
// - Java (the Spark listener): a url with a path refuses an endpoint ("You can't pass both uri
//   and endpoint parameters"); without a path the endpoint becomes the path.

export const LINEAGE_PATH = 'api/v1/lineage';
const SPARK_LISTENER = 'io.openlineage.spark.agent.OpenLineageSparkListener';

export interface TransportInput {
  /** The server's origin as this browser reaches it: `https://dlv.example.com`. */
  origin: string;
  /** The path prefix DLV is served under (a proxy's root path), `''` or `/dlv`. */
  rootPath: string;
  token: string;
  namespace: string;
}

/** `/dlv/` -> `/dlv`; `/` -> ``. */
function prefix(rootPath: string): string {
  return rootPath.replace(/\/+$/, '');
}

/** A word for a POSIX shell: as is when it is plainly safe, otherwise single-quoted. */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Environment variables for Airflow's OpenLineage provider (scheduler, workers, API server). */
export function airflowSettings({ origin, rootPath, token, namespace }: TransportInput): string {
  const root = prefix(rootPath);
  const transport = {
    type: 'http',
    url: root ? `${origin}${root}/` : origin,
    endpoint: LINEAGE_PATH,
    auth: { type: 'api_key', apiKey: token },
  };
  return [
    '# apache-airflow-providers-openlineage: set in the environment of every Airflow component',
    `AIRFLOW__OPENLINEAGE__TRANSPORT=${shellQuote(JSON.stringify(transport))}`,
    `AIRFLOW__OPENLINEAGE__NAMESPACE=${shellQuote(namespace)}`,
  ].join('\n');
}

/** Lines for spark-defaults.conf (or `--conf key=value` each) with the openlineage-spark jar. */
export function sparkSettings({ origin, rootPath, token, namespace }: TransportInput): string {
  const root = prefix(rootPath);
  const target: [string, string][] = root
    ? [['spark.openlineage.transport.url', `${origin}${root}/${LINEAGE_PATH}`]]
    : [
        ['spark.openlineage.transport.url', origin],
        ['spark.openlineage.transport.endpoint', `/${LINEAGE_PATH}`],
      ];
  const settings: [string, string][] = [
    ['spark.extraListeners', SPARK_LISTENER],
    ['spark.openlineage.transport.type', 'http'],
    ...target,
    ['spark.openlineage.transport.auth.type', 'api_key'],
    ['spark.openlineage.transport.auth.apiKey', token],
    ['spark.openlineage.namespace', namespace],
  ];
  return [
    '# spark-defaults.conf, with io.openlineage:openlineage-spark on the classpath (spark.jars.packages)',
    ...settings.map(([key, value]) => `${key}  ${value}`),
  ].join('\n');
}

/** A namespace suggested from a token's name: `Airflow prod` -> `airflow-prod`. */
export function suggestNamespace(tokenName: string): string {
  const slug = tokenName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug || 'default';
}
