// The real-time stream: a status change made elsewhere shows on an open page without a reload.
import { expect, signIn, test } from './fixtures';

function runEvent(eventType: string, job: string): object {
  return {
    eventType,
    eventTime: new Date().toISOString(),
    producer: 'https://example.com/dlv-e2e',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: crypto.randomUUID() },
    job: { namespace: 'e2e-stream', name: job },
    inputs: [],
    outputs: [],
  };
}

test('a job that fails turns red on its open page, pushed by the stream', async ({ page, api }) => {
  const job = `nightly_export_${Date.now()}`;
  const token = await api.login();
  await api.post('/api/v1/lineage', runEvent('START', job)); // must answer 201
  const id = await api.nodeId(job);

  // What the page's socket receives: the node.status event must come this way.
  const frames: string[] = [];
  page.on('websocket', (socket) => {
    if (!socket.url().endsWith('/api/v1/stream')) return;
    socket.on('framereceived', (frame) => {
      if (typeof frame.payload === 'string') frames.push(frame.payload);
    });
    // Never the token in the URL.
    expect(socket.url()).not.toContain(token);
  });
  await signIn(page, undefined, `/nodes/${id}`);
  const status = page.locator('.status-line');
  await expect(status).toContainText('Unknown');
  // Live: the server answered the socket's first message.
  await expect.poll(() => frames.some((f) => f.includes('"hello"'))).toBe(true);

  await api.post('/api/v1/lineage', runEvent('FAIL', job)); // must answer 201
  await expect(status).toContainText('Error');
  expect(frames.some((f) => f.includes('"node.status"') && f.includes(id))).toBe(true);
});
