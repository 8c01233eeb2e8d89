import { expect, signIn, test } from './fixtures';
import { VIEWER } from './servers';

test('a viewer sees the node, its lineage and its impact, and no edit control', async ({ page, api }) => {
  const shop = await api.nodeId('shop');
  await signIn(page, VIEWER, `/nodes/${shop}`);
  await expect(page.getByRole('heading', { name: 'shop', exact: true })).toBeVisible();
  await expect(page.getByText('viewer', { exact: true })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Connection' })).toBeVisible();
  for (const name of ['Test connection', 'Edit connection', 'Add annotation', 'Delete']) {
    await expect(page.getByRole('button', { name })).toHaveCount(0);
  }
  await expect(page.getByLabel('Add an annotation')).toHaveCount(0);

  const revenue = await api.nodeId('shop.mart.fct_revenue');
  await page.goto(`/nodes/${revenue}`);
  await expect(page.getByText('Finance reads this at 06:00 UTC')).toBeVisible();
  await expect(page.getByRole('button', { name: /Delete/ })).toHaveCount(0);
  await page.getByRole('link', { name: 'What breaks if this fails?' }).click();
  await expect(page.getByRole('region', { name: 'Owners to notify' })).toBeVisible();
});
