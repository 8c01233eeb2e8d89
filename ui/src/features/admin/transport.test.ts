import { describe, expect, it } from 'vitest';
import { airflowSettings, shellQuote, sparkSettings, suggestNamespace } from './transport';

const TOKEN = 'dlv_abc123-XYZ_9';

/** What the Python client does with url and endpoint: urljoin. */
function pythonTarget(url: string, endpoint: string): string {
  return new URL(endpoint, url).toString();
}

function airflowTransport(text: string): { url: string; endpoint: string; auth: { type: string; apiKey: string } } {
  const line = text.split('\n').find((l) => l.startsWith('AIRFLOW__OPENLINEAGE__TRANSPORT='));
  const value = line!.slice('AIRFLOW__OPENLINEAGE__TRANSPORT='.length);
  expect(value.startsWith("'") && value.endsWith("'")).toBe(true);
  return JSON.parse(value.slice(1, -1).replace(/'\\''/g, "'"));
}

function sparkConf(text: string): Record<string, string> {
  const conf: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [key, value] = line.split(/\s+/, 2);
    conf[key!] = value!;
  }
  return conf;
}

describe('airflow settings', () => {
  it('point the HTTP transport at this server with the token as api_key', () => {
    const text = airflowSettings({ origin: 'http://dlv.internal:8000', rootPath: '', token: TOKEN, namespace: 'airflow-prod' });
    const transport = airflowTransport(text);
    expect(transport).toEqual({
      type: 'http',
      url: 'http://dlv.internal:8000',
      endpoint: 'api/v1/lineage',
      auth: { type: 'api_key', apiKey: TOKEN },
    });
    expect(pythonTarget(transport.url, transport.endpoint)).toBe('http://dlv.internal:8000/api/v1/lineage');
    expect(text).toContain('\nAIRFLOW__OPENLINEAGE__NAMESPACE=airflow-prod');
  });

  it('keep a root path through urljoin', () => {
    const transport = airflowTransport(airflowSettings({ origin: 'https://tools.example.com', rootPath: '/dlv/', token: TOKEN, namespace: 'x' }));
    expect(pythonTarget(transport.url, transport.endpoint)).toBe('https://tools.example.com/dlv/api/v1/lineage');
  });

  it('quote a namespace the shell would split', () => {
    expect(airflowSettings({ origin: 'http://h', rootPath: '', token: TOKEN, namespace: "team's dags" })).toContain(
      `AIRFLOW__OPENLINEAGE__NAMESPACE='team'\\''s dags'`,
    );
  });
});

describe('spark settings', () => {
  it('use the listener, a url without a path and the endpoint apart', () => {
    const conf = sparkConf(sparkSettings({ origin: 'http://dlv.internal:8000', rootPath: '', token: TOKEN, namespace: 'spark-prod' }));
    expect(conf).toEqual({
      'spark.extraListeners': 'io.openlineage.spark.agent.OpenLineageSparkListener',
      'spark.openlineage.transport.type': 'http',
      'spark.openlineage.transport.url': 'http://dlv.internal:8000',
      'spark.openlineage.transport.endpoint': '/api/v1/lineage',
      'spark.openlineage.transport.auth.type': 'api_key',
      'spark.openlineage.transport.auth.apiKey': TOKEN,
      'spark.openlineage.namespace': 'spark-prod',
    });
  });

  it('behind a root path, give the whole url and no endpoint (the Java client refuses both)', () => {
    const conf = sparkConf(sparkSettings({ origin: 'https://tools.example.com', rootPath: '/dlv', token: TOKEN, namespace: 'x' }));
    expect(conf['spark.openlineage.transport.url']).toBe('https://tools.example.com/dlv/api/v1/lineage');
    expect(conf).not.toHaveProperty('spark.openlineage.transport.endpoint');
  });
});

describe('helpers', () => {
  it('quote only what needs it', () => {
    expect(shellQuote('airflow-prod')).toBe('airflow-prod');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote('{"a": 1}')).toBe(`'{"a": 1}'`);
  });

  it('suggest a namespace from a token name', () => {
    expect(suggestNamespace('Airflow prod')).toBe('airflow-prod');
    expect(suggestNamespace('  ')).toBe('default');
  });
});
