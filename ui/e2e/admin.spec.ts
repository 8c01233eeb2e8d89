import { randomUUID } from 'node:crypto';
import { expect, screenshot, signIn, test } from './fixtures';

/** An OpenLineage START event from an "Airflow" the test pretends to be. */
function event(namespace: string) {
  return {
    eventType: 'START',
    eventTime: new Date().toISOString(),
    run: { runId: randomUUID() },
    job: { namespace, name: 'e2e_dag.load' },
    producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.0.0',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  };
}

async function postEvent(baseURL: string, token: string, namespace: string): Promise<number> {
  const r = await fetch(`${baseURL}/api/v1/lineage`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(event(namespace)),
  });
  return r.status;
}

test('an admin makes a viewer and an ingest token, revokes it, and the audit log shows it all', async ({ page, context, baseURL }, testInfo) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const suffix = randomUUID().slice(0, 6);
  const viewerName = `olga-${suffix}`;
  const tokenName = `airflow e2e ${suffix}`;
  const namespace = `airflow-e2e-${suffix}`;

  // A viewer, with a password generated in the browser and shown once.
  await signIn(page, undefined, '/admin');
  await expect(page).toHaveURL(/\/admin\/users$/);
  await page.getByText('New user').click();
  const userForm = page.getByRole('form', { name: 'New user' });
  await userForm.getByLabel('Username').fill(viewerName);
  await userForm.getByLabel('Role').selectOption('viewer');
  await userForm.getByRole('button', { name: 'Create user' }).click();
  const password = (await page.getByLabel(`Password of ${viewerName}.`).textContent()) ?? '';
  expect(password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){4}$/);
  const users = page.getByRole('table', { name: 'Users' });
  await expect(users.getByRole('row', { name: new RegExp(viewerName) })).toContainText('viewer');
  // The demo's only admin: its removal is refused before anyone tries.
  const adminRow = users.getByRole('row', { name: /^admin/ });
  await expect(adminRow).toContainText('The last admin');
  await expect(adminRow.getByRole('button', { name: 'Delete' })).toBeDisabled();
  await screenshot(page, 'admin-users', testInfo.project.name);

  // An ingest token: its secret once, with a copy button and the transport settings.
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'API tokens' }).click();
  const tokenForm = page.getByRole('form', { name: 'New API token' });
  await tokenForm.getByLabel('Name').fill(tokenName);
  await tokenForm.getByLabel('Scope').selectOption('ingest');
  await tokenForm.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.getByLabel(`Token ${tokenName} (ingest).`).textContent()) ?? '';
  expect(secret).toMatch(/^dlv_/);
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await page.getByLabel(/^Namespace/).fill(namespace);
  const airflow = page.getByRole('region', { name: 'Airflow settings' });
  await expect(airflow).toContainText(`"url":"${baseURL}","endpoint":"api/v1/lineage","auth":{"type":"api_key","apiKey":"${secret}"}`);
  await expect(airflow).toContainText(`AIRFLOW__OPENLINEAGE__NAMESPACE=${namespace}`);
  const spark = page.getByRole('region', { name: 'Spark settings' });
  await expect(spark).toContainText(`spark.openlineage.transport.url  ${baseURL}`);
  await expect(spark).toContainText(`spark.openlineage.transport.auth.apiKey  ${secret}`);
  await screenshot(page, 'admin-token', testInfo.project.name, [secret]);

  // The token works where Airflow would send it, and the ingestion screen sees the namespace.
  expect(await postEvent(baseURL!, secret, namespace)).toBe(201);
  await page.getByRole('button', { name: 'Done: hide the token' }).click();
  await expect(page.getByText(secret)).toHaveCount(0);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Ingestion' }).click();
  const row = page.getByRole('table', { name: 'Events per namespace' }).getByRole('row', { name: new RegExp(namespace) });
  await expect(row).toContainText('none: all mapped');
  await expect(row.getByRole('cell').first()).toHaveText('1');
  await screenshot(page, 'admin-ingestion', testInfo.project.name);

  // Revoked, it stops at once.
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'API tokens' }).click();
  const tokenRow = page.getByRole('table', { name: 'API tokens' }).getByRole('row', { name: new RegExp(tokenName) });
  await tokenRow.getByRole('button', { name: 'Revoke', exact: true }).click();
  await tokenRow.getByRole('button', { name: 'Revoke token' }).click();
  await expect(tokenRow).toHaveCount(0);
  // The ingest endpoint caches a token for one second (docs/api.md): poll past it.
  await expect.poll(() => postEvent(baseURL!, secret, namespace)).toBe(401);

  // The audit log, filtered to tokens, then to the new user.
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
  const records = page.getByRole('table', { name: 'Audit records' });
  await expect(records.getByRole('row', { name: /token\.revoke/ }).first()).toContainText(tokenName);
  await screenshot(page, 'admin-audit', testInfo.project.name);
  const filters = page.getByRole('form', { name: 'Audit filters' });
  await filters.getByLabel('Object', { exact: true }).selectOption('token');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/target_type=token/);
  await expect(records.getByRole('row', { name: /token\.revoke/ }).first()).toContainText(`name: ${tokenName}`);
  await expect(records.getByRole('row', { name: /token\.create/ }).first()).toContainText('scope: ingest');
  await expect(records).not.toContainText(secret);
  await filters.getByLabel('Object', { exact: true }).selectOption('user');
  await filters.getByLabel('Action').selectOption('user.create');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  const created = records.getByRole('row', { name: new RegExp(viewerName) });
  await expect(created).toContainText('password: ***');
  await expect(records).not.toContainText(password);

  // The viewer: no Admin entry, and /admin says it is for admins.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, { username: viewerName, password }, '/admin/users');
  await expect(page.getByRole('heading', { name: 'Admins only' })).toBeVisible();
  await expect(page.getByText(`You are signed in as ${viewerName} with the role viewer.`)).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await expect(page.getByRole('table', { name: 'Users' })).toHaveCount(0);
});

test('a disabled user is refused at sign-in in plain words', async ({ page, api }) => {
  const name = `dora-${randomUUID().slice(0, 6)}`;
  await signIn(page, undefined, '/admin/users');
  await page.getByText('New user').click();
  const form = page.getByRole('form', { name: 'New user' });
  await form.getByLabel('Username').fill(name);
  await form.getByLabel('Set it myself').check();
  await form.getByLabel('New password').fill('e2e amber orchard 31');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByText(`User ${name} created with the password you set.`)).toBeVisible();
  const row = page.getByRole('table', { name: 'Users' }).getByRole('row', { name: new RegExp(name) });
  await row.getByRole('button', { name: 'Disable' }).click();
  await row.getByRole('group', { name: 'Disable' }).getByRole('button', { name: 'Disable' }).click();
  await expect(row).toContainText('Disabled');
  const users = await api.get<{ items: { username: string; disabled_at: string | null }[] }>('/api/v1/users?limit=500');
  expect(users.items.find((u) => u.username === name)?.disabled_at).not.toBeNull();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill('e2e amber orchard 31');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('This account is disabled');
});
