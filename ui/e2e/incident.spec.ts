// The 3 a.m. path: find what broke, test it, see what is downstream, whom to call, why.
import { readFileSync } from 'node:fs';
import { expect, screenshot, signIn, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

test('search finds fct_revenue and opens its lineage, which expands', async ({ page }, testInfo) => {
  await signIn(page);
  // `/` focuses the search box from anywhere.
  await page.locator('body').press('/');
  await expect(page.getByLabel('Search')).toBeFocused();
  await page.keyboard.type('fct_revenue');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=fct_revenue/);
  const row = page.getByRole('row', { name: /shop\.mart\.fct_revenue/ });
  await expect(row).toContainText('At risk');
  await expect(row).toContainText('finance-analytics');
  await row.getByRole('link', { name: 'shop.mart.fct_revenue' }).click();

  await expect(page.getByRole('heading', { name: 'shop.mart.fct_revenue' })).toBeVisible();
  await expect(page.getByText('Daily revenue by market')).toBeVisible();
  await expect(page.getByText('Finance reads this at 06:00 UTC')).toBeVisible();
  await page.getByRole('link', { name: 'Lineage explorer' }).click();

  const canvas = page.locator('.canvas[data-state="ready"]');
  await expect(canvas).toBeVisible();
  const nodes = page.locator('.react-flow__node');
  await expect(nodes.filter({ hasText: 'shop.mart.fct_revenue' })).toBeVisible();
  await expect(nodes.filter({ hasText: 'orders_pipeline.build_revenue' })).toContainText('Error');
  const before = await nodes.count();

  // Expand a node at the edge of the view: its neighbours join the graph.
  await page.getByLabel('Depth').selectOption('1');
  await expect(page).toHaveURL(/depth=1/);
  await expect(canvas).toBeVisible();
  await expect(nodes).toHaveCount(3);
  await nodes.filter({ hasText: 'orders_pipeline.build_revenue' }).click();
  await page.getByRole('button', { name: 'Expand neighbours' }).click();
  await expect(page).toHaveURL(/expand=/);
  await expect(nodes.filter({ hasText: 'shop.staging.stg_orders' })).toBeVisible();
  expect(await nodes.count()).toBeGreaterThan(3);
  expect(before).toBeGreaterThan(3);
  await screenshot(page, 'lineage-explorer', testInfo.project.name);
});

test('column lineage shows when an edge is selected; a shortest path is highlighted', async ({ page, api }, testInfo) => {
  const revenue = await api.nodeId('shop.mart.fct_revenue');
  const orders = await api.nodeId('shop.raw.orders');
  await signIn(page, undefined, `/nodes/${revenue}/lineage?depth=1&expand=${await api.nodeId('orders_pipeline.build_revenue')}`);
  await expect(page.locator('.canvas[data-state="ready"]')).toBeVisible();

  const edge = page.getByRole('group', { name: /Edge from orders_pipeline\.build_revenue to shop\.mart\.revenue_by_market/ });
  await edge.click({ force: true });
  const side = page.getByRole('complementary', { name: 'Details' });
  await expect(side.getByRole('heading', { name: 'Column-level lineage' })).toBeVisible();
  await expect(side.getByRole('row', { name: /revenue/ })).toContainText('shop.staging.stg_payments.amount');

  await page.goto(`/nodes/${revenue}/lineage?direction=upstream&depth=all&from=${orders}&to=${revenue}`);
  await expect(page.getByRole('status').filter({ hasText: 'Path:' })).toContainText('4 hops');
  await expect(page.locator('.react-flow__node .on-path')).toHaveCount(5);
  await page.getByRole('group', { name: /^Node orders_pipeline\.build_revenue/ }).click();
  await expect(page.getByRole('complementary', { name: 'Details' })).toContainText('division by zero');
  await screenshot(page, 'lineage-path', testInfo.project.name);
});

test('find in graph, collapse a database into one box, and export the picture', async ({ page, api }) => {
  const revenue = await api.nodeId('shop.mart.fct_revenue');
  await signIn(page, undefined, `/nodes/${revenue}/lineage?direction=upstream&depth=all`);
  await expect(page.locator('.canvas[data-state="ready"]')).toBeVisible();
  await page.getByLabel('Find in graph').fill('stg_');
  await expect(page.getByText('1 of 2')).toBeVisible();
  await expect(page.locator('.react-flow__node .is-match')).toHaveCount(2);

  await page.getByRole('button', { name: 'Collapse' }).first().click(); // the biggest container: shop
  await expect(page).toHaveURL(/open=/);
  const shop = page.getByRole('group', { name: /^Group shop,/ });
  await expect(shop).toContainText('4 inside');
  await expect(page.locator('.react-flow__node').filter({ hasText: 'shop.raw.orders' })).toHaveCount(0);

  const svgDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export SVG' }).click();
  const svg = readFileSync((await (await svgDownload).path())!, 'utf8');
  expect(svg).toMatch(/^<svg /);
  expect(svg).toContain('shop.mart.fct_revenue');
  const pngDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export PNG' }).click();
  const png = readFileSync((await (await pngDownload).path())!);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
});

test('test a connection: the step-by-step report, and the node turns red', async ({ page, api }, testInfo) => {
  const shop = await api.nodeId('shop');
  await signIn(page, undefined, `/nodes/${shop}`);
  await page.getByRole('button', { name: 'Test connection' }).click();
  const report = page.getByRole('status', { name: 'Connection test report' });
  await expect(report).toContainText('Connection failed');
  await expect(report.getByRole('listitem').first()).toContainText('resolve');
  await expect(report).toContainText("DNS lookup failed for host 'shop-db.internal'");
  await expect(page.locator('.status-line').first()).toContainText('Error');
  await expect(page.getByRole('region', { name: 'Status history' }).getByRole('row')).toHaveCount(2);
  // Secrets are write-only: the page says whether one is set, never what it is.
  await expect(page.getByText('not set')).toBeVisible();
  await screenshot(page, 'node-page', testInfo.project.name);
});

test('the incident view names the owners to notify, copies them, and downloads the CSV', async ({ page, api, context }, testInfo) => {
  const shop = await api.nodeId('shop');
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, undefined, `/nodes/${shop}`);
  await page.getByRole('link', { name: 'What breaks if this fails?' }).click();
  await expect(page.getByRole('tab', { name: 'Downstream: what breaks' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByText(/16 nodes affected downstream/)).toBeVisible();

  const owners = page.getByRole('region', { name: 'Owners to notify' });
  await expect(owners.getByTestId('owners-text')).toHaveText('accounts-team, analytics, checkout-team, finance-analytics, ml-platform, payments-team');
  await owners.getByRole('button', { name: 'Copy owners' }).click();
  await expect(owners.getByText('Owners copied')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('finance-analytics');

  await expect(page.getByRole('region', { name: /Already in error/ })).toContainText('orders_pipeline.build_revenue');
  await expect(page.getByRole('region', { name: /At risk/ })).toContainText('shop.mart.fct_revenue');
  await screenshot(page, 'incident-view', testInfo.project.name);

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const csv = readFileSync((await (await download).path())!, 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  expect(lines[0]).toBe('id,kind,namespace,name,owner,owners,status,distance');
  expect(lines).toHaveLength(17); // the header and the 16 affected nodes
  expect(csv).toContain('shop.mart.fct_revenue');

  // Upstream of the stale mart: the failing database first among the likely root causes.
  await page.goto(`/nodes/${await api.nodeId('shop.mart.fct_revenue')}/impact?direction=upstream`);
  const causes = page.getByRole('region', { name: 'Likely root causes' });
  await expect(causes.getByRole('listitem').first()).toContainText('shop');
  await expect(causes.getByRole('listitem').first()).toContainText('Error');
  await page.getByRole('link', { name: 'Open in the lineage explorer' }).click();
  await expect(page).toHaveURL(/\/lineage\?direction=upstream&depth=all/);
  await expect(page.locator('.canvas[data-state="ready"]')).toBeVisible();
});
