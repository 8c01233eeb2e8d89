import { createHmac } from 'node:crypto';
import { expect, screenshot, signIn, test } from './fixtures';
import { ADMIN, SECRET_KEY } from './servers';

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** A login token exactly like the server's, but expired a minute ago. */
function expiredToken(userId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ sub: userId, ver: 0, aud: 'dlv-api', iat: now - 3600, exp: now - 60 }));
  const signature = createHmac('sha256', SECRET_KEY).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

test('signs in with the labelled form and out again', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await screenshot(page, 'sign-in', testInfo.project.name);
  await signIn(page);
  await expect(page.getByRole('heading', { name: 'What is red now' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByText('You have signed out.')).toBeVisible();
  // The token is gone from this tab: a deep link asks to sign in again.
  await page.goto('/search');
  await expect(page).toHaveURL(/\/login\?next=%2Fsearch/);
});

test('a wrong password is said in plain words', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Could not sign in');
  await expect(page).toHaveURL(/\/login/);
});

test('an expired token returns to sign-in with a message, then to where the person was', async ({ page, api }) => {
  const shop = await api.nodeId('shop');
  const me = await api.get<{ id: string }>('/api/v1/auth/me');
  await signIn(page, ADMIN, `/nodes/${shop}`);
  await expect(page.getByRole('heading', { name: 'shop', exact: true })).toBeVisible();
  // The server now refuses the token (as after expiry): the next request brings a 401.
  await page.evaluate((token) => {
    const stored = JSON.parse(sessionStorage.getItem('dlv.session') ?? '{}') as Record<string, unknown>;
    sessionStorage.setItem('dlv.session', JSON.stringify({ ...stored, token }));
  }, expiredToken(me.id));
  await page.reload();
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByText('Your session has expired')).toBeVisible();
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/nodes/${shop}$`));
  await expect(page.getByRole('heading', { name: 'shop', exact: true })).toBeVisible();
});

test('the token never appears in a URL', async ({ page }) => {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  await signIn(page);
  await page.getByLabel('Search').fill('revenue');
  await page.getByLabel('Search').press('Enter');
  await expect(page.getByRole('link', { name: 'shop.mart.fct_revenue' })).toBeVisible();
  const token = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('dlv.session') ?? '{}') as { token: string }).token);
  expect(token.length).toBeGreaterThan(20);
  expect(urls.filter((u) => u.includes(token))).toEqual([]);
});
