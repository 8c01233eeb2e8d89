// Dashboards: made from a node's lineage, edited, saved, found again exactly where they were;
// two editors at once; a viewer who cannot edit; the list's live error counts.
import { readFileSync } from 'node:fs';
import type { Locator, Page } from '@playwright/test';
import { expect, screenshot, signIn, test, type Api } from './fixtures';
import { VIEWER } from './servers';

test.describe.configure({ mode: 'serial' });

interface Layout {
  nodes: { node_id: string; x: number; y: number }[];
  groups: { id: string; label: string; node_ids: string[]; x: number; y: number; width: number; height: number }[];
  notes: { id: string; text: string; x: number; y: number }[];
  viewport: { x: number; y: number; zoom: number };
}
interface Dashboard {
  id: string;
  name: string;
  version: number;
  layout: Layout;
}

const unique = (what: string, project: string) => `${what} ${project} ${Date.now().toString(36)}`;

async function call<T>(api: Api, method: string, path: string, body?: unknown): Promise<T> {
  const token = await api.login();
  const r = await fetch(`${api.base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(r.ok, `${method} ${path}: ${r.status}`).toBe(true);
  return (r.status === 204 ? null : await r.json()) as T;
}

/** A card's top-left corner on the canvas, as React Flow draws it (flow coordinates). */
async function positionOf(node: Locator): Promise<{ x: number; y: number }> {
  const transform = await node.evaluate((el) => (el as HTMLElement).style.transform);
  const match = /translate\(([-\d.e]+)px,\s*([-\d.e]+)px\)/.exec(transform);
  if (!match) throw new Error(`no position in ${transform}`);
  return { x: Number(match[1]), y: Number(match[2]) };
}

/** A node's size as React Flow draws it. */
async function sizeOf(node: Locator): Promise<{ width: number; height: number }> {
  return node.evaluate((el) => ({ width: parseFloat((el as HTMLElement).style.width), height: parseFloat((el as HTMLElement).style.height) }));
}

async function drag(page: Page, node: Locator, dx: number, dy: number): Promise<void> {
  const box = (await node.boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + 12;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 5 });
  await page.mouse.move(x + dx, y + dy, { steps: 5 });
  await page.mouse.up();
}

const card = (page: Page, name: string) => page.getByRole('group', { name: new RegExp(`^Node ${name.replace(/\./g, '\\.')},`) });

test('create a dashboard from lineage, edit it, save, reload: everything is where it was', async ({ page, api }, testInfo) => {
  const name = unique('Revenue flow', testInfo.project.name);
  await signIn(page, undefined, '/dashboards');
  await page.getByRole('link', { name: 'New dashboard' }).click();
  await page.getByLabel('A node’s lineage, laid out by distance').check();
  await page.getByLabel('Root node').fill('fct_revenue');
  await page.getByRole('button', { name: 'Use shop.mart.fct_revenue' }).click();
  await page.getByLabel('Depth').selectOption('1');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Owner').fill('finance-analytics');
  await page.getByLabel('Tags (comma-separated)').fill('Tier-1, revenue');
  await page.getByRole('button', { name: 'Create dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboards\/[0-9a-f-]{36}\/edit$/);
  const id = /dashboards\/([0-9a-f-]{36})/.exec(page.url())![1]!;

  const revenue = card(page, 'shop.mart.fct_revenue');
  const job = card(page, 'orders_pipeline.build_revenue');
  await expect(revenue).toBeVisible();
  await expect(job).toContainText('Error');
  await expect(page.locator('.react-flow__edge')).not.toHaveCount(0);

  // Move a node.
  const before = await positionOf(revenue);
  await drag(page, revenue, 60, 70);
  const moved = await positionOf(revenue);
  expect(moved.y).toBeGreaterThan(before.y + 20);
  await expect(page.getByText('unsaved changes')).toBeVisible();

  // Resize it by its corner: saved with a size from then on.
  await revenue.click();
  const corner = revenue.locator('.react-flow__resize-control.handle.bottom.right');
  const handle = (await corner.boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + 10, handle.y + 12, { steps: 4 });
  await page.mouse.move(handle.x + 20, handle.y + 24, { steps: 4 });
  await page.mouse.up();
  const sized = await sizeOf(revenue);
  expect(sized.width).toBeGreaterThan(240);

  // A note, its text edited; undo takes the edit back, redo brings it again.
  await page.getByRole('button', { name: 'Add note' }).click();
  const note = page.locator('.dash-note');
  await expect(note).toHaveText('New note');
  await note.locator('.note-text').dblclick();
  await page.getByRole('textbox', { name: 'Note text' }).fill('Finance reads this at 06:00 UTC');
  await page.getByLabel('Name', { exact: true }).click(); // blur: the edit is one step
  await expect(note).toHaveText('Finance reads this at 06:00 UTC');
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(note).toHaveText('New note');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(note).toHaveText('Finance reads this at 06:00 UTC');

  // A group around two selected nodes, renamed.
  await revenue.click();
  await job.click({ modifiers: ['Shift'] });
  await page.getByRole('button', { name: 'Group selection' }).click();
  const frame = page.locator('.dash-frame');
  await expect(frame).toHaveCount(1);
  await frame.locator('.frame-label').dblclick();
  await frame.locator('input').fill('Revenue core');
  await frame.locator('input').press('Enter');
  await expect(frame).toContainText('Revenue core');

  // Leaving with unsaved changes asks first.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboards' }).click();
  await expect(page.getByRole('dialog', { name: 'Leave without saving?' })).toBeVisible();
  await page.getByRole('button', { name: 'Stay and keep editing' }).click();
  await expect(page).toHaveURL(/\/edit$/);

  const positions = {
    revenue: await positionOf(revenue),
    job: await positionOf(job),
    note: await positionOf(page.locator('.react-flow__node').filter({ has: note })),
    frame: await positionOf(page.locator('.react-flow__node').filter({ has: frame })),
  };
  expect(positions.revenue).toEqual(moved);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved (version 2)' })).toBeVisible();
  const viewport = await page.locator('.react-flow__viewport').evaluate((el) => (el as HTMLElement).style.transform);
  await screenshot(page, 'dashboard-editor', testInfo.project.name);

  // Read back from the API: exactly the positions drawn.
  const saved = await api.get<Dashboard>(`/api/v1/dashboards/${id}`);
  expect(saved.version).toBe(2);
  const revenueId = await api.nodeId('shop.mart.fct_revenue');
  const jobId = await api.nodeId('orders_pipeline.build_revenue');
  const at = (nodeId: string) => saved.layout.nodes.find((n) => n.node_id === nodeId)! as Layout['nodes'][number] & { width?: number; height?: number };
  expect({ x: at(revenueId).x, y: at(revenueId).y }).toEqual(positions.revenue);
  expect({ width: at(revenueId).width, height: at(revenueId).height }).toEqual(sized);
  expect({ x: at(jobId).x, y: at(jobId).y }).toEqual(positions.job);
  expect(saved.layout.notes).toEqual([{ id: 'note-1', text: 'Finance reads this at 06:00 UTC', ...positions.note }]);
  expect(saved.layout.groups).toHaveLength(1);
  expect(saved.layout.groups[0]).toMatchObject({ label: 'Revenue core', ...positions.frame });
  expect(new Set(saved.layout.groups[0]!.node_ids)).toEqual(new Set([revenueId, jobId]));

  // Reload: everything where it was, the viewport too.
  await page.goto(`/dashboards/${id}`);
  await expect(card(page, 'shop.mart.fct_revenue')).toBeVisible();
  expect(await positionOf(card(page, 'shop.mart.fct_revenue'))).toEqual(positions.revenue);
  expect(await sizeOf(card(page, 'shop.mart.fct_revenue'))).toEqual(sized);
  expect(await positionOf(card(page, 'orders_pipeline.build_revenue'))).toEqual(positions.job);
  expect(await positionOf(page.locator('.react-flow__node').filter({ has: page.locator('.dash-note') }))).toEqual(positions.note);
  expect(await positionOf(page.locator('.react-flow__node').filter({ has: page.locator('.dash-frame') }))).toEqual(positions.frame);
  await expect(page.locator('.dash-note')).toHaveText('Finance reads this at 06:00 UTC');
  await expect(page.locator('.dash-frame')).toContainText('Revenue core');
  expect(await page.locator('.react-flow__viewport').evaluate((el) => (el as HTMLElement).style.transform)).toBe(viewport);
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.locator('.dash-facts')).toContainText('tier-1');

  // Clicking a node offers its page and its lineage.
  await card(page, 'shop.mart.fct_revenue').click();
  const side = page.getByRole('complementary', { name: 'Details' });
  await side.getByRole('link', { name: 'Lineage' }).click();
  await expect(page).toHaveURL(new RegExp(`/nodes/${revenueId}/lineage`));
});

test('two editors at once: the second save gets the conflict dialog, and nothing is lost', async ({ browser, api }, testInfo) => {
  const root = await api.nodeId('shop.mart.fct_revenue');
  const created = await call<Dashboard>(api, 'POST', '/api/v1/dashboards/from-lineage', { root_id: root, depth: 1, name: unique('Shared', testInfo.project.name) });
  const url = `/dashboards/${created.id}/edit`;
  const [alice, bob] = [await browser.newContext(), await browser.newContext()];
  const a = await alice.newPage();
  const b = await bob.newPage();
  await signIn(a, undefined, url);
  await signIn(b, undefined, url);
  for (const p of [a, b]) {
    await expect(card(p, 'shop.mart.fct_revenue')).toBeVisible();
    await p.getByRole('button', { name: 'Fit View' }).click();
  }

  // A moves the mart and saves first.
  await drag(a, card(a, 'shop.mart.fct_revenue'), 0, 60);
  const aMoved = await positionOf(card(a, 'shop.mart.fct_revenue'));
  await a.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(a.getByText('Saved (version 2)')).toBeVisible();

  // B, still on version 1, is told at once (the stream), then moves the job and saves: told
  // who saved, and when.
  await expect(b.getByText('Someone saved version 2 since you opened version 1')).toBeVisible({ timeout: 30_000 });
  await drag(b, card(b, 'orders_pipeline.build_revenue'), 0, -60);
  const bMoved = await positionOf(card(b, 'orders_pipeline.build_revenue'));
  await b.getByRole('button', { name: 'Save', exact: true }).click();
  const dialog = b.getByRole('dialog', { name: 'Someone else saved this dashboard' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('admin saved version 2');
  await expect(dialog).toContainText('after version 1 that you started from');
  await screenshot(b, 'dashboard-conflict', testInfo.project.name);
  await dialog.getByRole('button', { name: 'Keep editing' }).click();
  expect(await positionOf(card(b, 'orders_pipeline.build_revenue'))).toEqual(bMoved);

  // Overwriting is a choice made knowingly.
  await b.getByRole('button', { name: 'Save', exact: true }).click();
  await dialog.getByRole('button', { name: 'Overwrite their version with mine' }).click();
  await expect(b.getByText('Saved (version 3)')).toBeVisible();
  const jobId = await api.nodeId('orders_pipeline.build_revenue');
  const v3 = await api.get<Dashboard>(`/api/v1/dashboards/${created.id}`);
  expect(v3.version).toBe(3);
  expect(v3.layout.nodes.find((n) => n.node_id === jobId)).toMatchObject(bMoved);

  // A, now behind (and told so), saves a further change as a copy instead: both versions survive.
  await expect(a.getByText('Someone saved version 3 since you opened version 2')).toBeVisible({ timeout: 30_000 });
  await drag(a, card(a, 'shop.mart.fct_revenue'), 40, 0);
  const aAgain = await positionOf(card(a, 'shop.mart.fct_revenue'));
  await a.getByRole('button', { name: 'Save', exact: true }).click();
  const aDialog = a.getByRole('dialog', { name: 'Someone else saved this dashboard' });
  await expect(aDialog).toContainText('saved version 3');
  await aDialog.getByLabel('Name of the copy').fill(`${created.name} (alice)`);
  await aDialog.getByRole('button', { name: 'Save mine as a copy' }).click();
  await expect(a).toHaveURL(/\/dashboards\/[0-9a-f-]{36}$/);
  const copyId = /dashboards\/([0-9a-f-]{36})$/.exec(a.url())![1]!;
  expect(copyId).not.toBe(created.id);
  const copy = await api.get<Dashboard>(`/api/v1/dashboards/${copyId}`);
  expect(copy.name).toBe(`${created.name} (alice)`);
  expect(copy.layout.nodes.find((n) => n.node_id === root)).toMatchObject(aAgain);
  expect(aAgain.x).toBeGreaterThan(aMoved.x);
  expect((await api.get<Dashboard>(`/api/v1/dashboards/${created.id}`)).version).toBe(3);
  await alice.close();
  await bob.close();
});

test('a viewer sees the dashboard with live status but cannot edit it', async ({ page, api }, testInfo) => {
  const root = await api.nodeId('shop.mart.fct_revenue');
  const created = await call<Dashboard>(api, 'POST', '/api/v1/dashboards/from-lineage', { root_id: root, depth: 1, name: unique('Viewed', testInfo.project.name) });
  await signIn(page, VIEWER, '/dashboards');
  await expect(page.getByRole('link', { name: 'New dashboard' })).toHaveCount(0);
  await page.goto(`/dashboards/${created.id}`);
  const revenue = card(page, 'shop.mart.fct_revenue');
  await expect(revenue).toBeVisible();
  await expect(card(page, 'orders_pipeline.build_revenue')).toContainText('Error');
  for (const name of ['Edit', 'Delete', 'Duplicate']) {
    await expect(page.getByRole('button', { name, exact: true }).or(page.getByRole('link', { name, exact: true }))).toHaveCount(0);
  }
  const before = await positionOf(revenue);
  await drag(page, revenue, 100, 100);
  expect(await positionOf(revenue)).toEqual(before);

  await page.goto(`/dashboards/${created.id}/edit`);
  await expect(page.getByText('Only admins can edit dashboards')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Add note' })).toHaveCount(0);
});

test('the list filters, counts nodes in error, and a deleted node shows as missing', async ({ page, api }, testInfo) => {
  const tag = `e2e-${testInfo.project.name}-${Date.now().toString(36)}`;
  const doomed = await call<{ id: string }>(api, 'POST', '/api/v1/nodes', { kind: 'dataset', namespace: 'e2e://scratch', name: `${tag}.scratch` });
  const ids = [await api.nodeId('orders_pipeline.build_revenue'), await api.nodeId('shop.mart.fct_revenue'), doomed.id];
  const name = unique('Incident board', testInfo.project.name);
  const created = await call<Dashboard>(api, 'POST', '/api/v1/dashboards', {
    name,
    owner: 'on-call',
    tags: [tag],
    layout: { nodes: ids.map((node_id, i) => ({ node_id, x: i * 300, y: 0 })) },
  });
  await call(api, 'DELETE', `/api/v1/nodes/${doomed.id}`);

  await signIn(page, undefined, '/dashboards');
  await page.getByLabel('Tag').fill(tag);
  const cards = page.getByRole('listitem').filter({ has: page.getByRole('heading') });
  await expect(cards).toHaveCount(1);
  await expect(cards.first()).toContainText(name);
  await expect(cards.first()).toContainText('1 of 3 in error');
  await page.getByLabel('Search dashboards').fill('no such dashboard anywhere');
  await expect(page.getByText('No dashboard matches these filters.')).toBeVisible();
  await page.getByLabel('Search dashboards').fill('');
  await cards.first().getByRole('link', { name }).click();

  await expect(page).toHaveURL(new RegExp(`/dashboards/${created.id}$`));
  await expect(page.getByRole('group', { name: /^Missing node/ })).toContainText('deleted from the catalog');
  await expect(page.locator('.dash-facts')).toContainText('1 missing');
  const svgDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export SVG' }).click();
  const svg = readFileSync((await (await svgDownload).path())!, 'utf8');
  expect(svg).toMatch(/^<svg /);
  expect(svg).toContain('shop.mart.fct_revenue');
  expect(svg).toContain('>Error<');
  expect(svg).toContain('Missing node');
  const pngDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export PNG' }).click();
  expect(readFileSync((await (await pngDownload).path())!).subarray(1, 4).toString()).toBe('PNG');

  // Duplicate, then delete the copy with confirmation.
  await page.getByRole('button', { name: 'Duplicate' }).click();
  await expect(page.getByRole('heading', { name: `${name} (copy)` })).toBeVisible();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboards$/);
  const left = await api.get<{ items: { name: string }[] }>(`/api/v1/dashboards?tag=${tag}`);
  expect(left.items.map((d) => d.name)).toEqual([name]);
});

test('edit tools: add from search and upstream, hide and show an edge, arrange, remove and undo', async ({ page, api }, testInfo) => {
  const created = await call<Dashboard>(api, 'POST', '/api/v1/dashboards', { name: unique('Built by hand', testInfo.project.name) });
  await signIn(page, undefined, `/dashboards/${created.id}/edit`);
  await page.getByLabel('Find a node to add').fill('fct_revenue');
  await page.getByRole('button', { name: 'Add shop.mart.fct_revenue' }).click();
  const revenue = card(page, 'shop.mart.fct_revenue');
  await expect(revenue).toBeVisible();

  await revenue.click();
  await page.getByRole('button', { name: 'Add upstream' }).click();
  const job = card(page, 'orders_pipeline.build_revenue');
  await expect(job).toBeVisible();
  const edge = page.getByRole('group', { name: 'Edge from orders_pipeline.build_revenue to shop.mart.fct_revenue' });
  await expect(edge).toHaveCount(1);

  await edge.click({ force: true });
  await page.getByRole('button', { name: 'Hide this edge' }).click();
  await expect(edge).toHaveCount(0);
  const hidden = page.getByRole('region', { name: 'Hidden edges (1)' });
  await expect(hidden).toContainText('orders_pipeline.build_revenue → shop.mart.fct_revenue');
  await hidden.getByRole('button', { name: 'Show' }).click();
  await expect(edge).toHaveCount(1);
  await edge.click({ force: true });
  await page.getByRole('button', { name: 'Hide this edge' }).click();
  await expect(edge).toHaveCount(0);

  // The job dragged to the right of what it writes; arranging the whole canvas (ELK, in the
  // worker) puts the producer back on the left.
  await drag(page, job, 380, 0);
  expect((await positionOf(job)).x).toBeGreaterThan((await positionOf(revenue)).x);
  await page.getByRole('button', { name: 'Arrange all' }).click();
  await expect(page.locator('.dash-canvas[data-arranging]')).toHaveCount(0);
  await expect.poll(async () => (await positionOf(job)).x < (await positionOf(revenue)).x - 200).toBe(true);

  await job.click();
  await page.getByRole('button', { name: 'Remove from dashboard' }).click();
  await expect(job).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(job).toBeVisible();

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Saved (version 2)')).toBeVisible();
  const saved = await api.get<Dashboard & { layout: { hidden_edge_ids: string[] } }>(`/api/v1/dashboards/${created.id}`);
  expect(saved.layout.nodes).toHaveLength(2);
  expect(saved.layout.hidden_edge_ids).toHaveLength(1);
});

test('an empty dashboard from the form; discarding asks; a conflict can reload theirs', async ({ page, api }, testInfo) => {
  const name = unique('From scratch', testInfo.project.name);
  await signIn(page, undefined, '/dashboards/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Description').fill('What finance reads at 06:00');
  await page.getByRole('button', { name: 'Create dashboard' }).click();
  await expect(page).toHaveURL(/\/dashboards\/[0-9a-f-]{36}\/edit$/);
  const id = /dashboards\/([0-9a-f-]{36})/.exec(page.url())![1]!;

  // Unsaved work, then "Discard changes": asked first, and discarded only when confirmed.
  await page.getByRole('button', { name: 'Add note' }).click();
  await expect(page.locator('.dash-note')).toHaveCount(1);
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await page.getByRole('dialog', { name: 'Leave without saving?' }).getByRole('button', { name: 'Leave and discard' }).click();
  await expect(page).toHaveURL(new RegExp(`/dashboards/${id}$`));
  await expect(page.locator('.dash-note')).toHaveCount(0);
  await expect(page.getByText('What finance reads at 06:00')).toBeVisible();

  // Someone renames it while this editor adds a note: reloading theirs discards the note.
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await page.getByRole('button', { name: 'Add note' }).click();
  await call(api, 'PATCH', `/api/v1/dashboards/${id}`, { name: `${name} (renamed)`, version: 1 });
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Someone else saved this dashboard' });
  await expect(dialog).toContainText('saved version 2');
  await dialog.getByRole('button', { name: 'Reload their version (discard mine)' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Reloaded version 2' })).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(`${name} (renamed)`);
  await expect(page.locator('.dash-note')).toHaveCount(0);
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page).toHaveURL(new RegExp(`/dashboards/${id}$`));
});
