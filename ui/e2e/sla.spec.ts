import { randomUUID } from 'node:crypto';
import { expect, signIn, test } from './fixtures';

test('an admin sets an SLA on a node, and a bad time zone is named before it is saved', async ({ page, api }) => {
  // A node of this test's own: the demo's nodes stay as the other specs expect them.
  const name = `e2e.sla_${randomUUID().slice(0, 8)}`;
  const { id } = await api.post<{ id: string }>('/api/v1/nodes', { kind: 'dataset', namespace: 'e2e://sla', name }); // must answer 201

  await signIn(page, undefined, `/nodes/${id}`);
  const section = page.getByRole('region', { name: 'SLA' });
  await expect(section).toContainText('No SLA');
  await section.getByRole('button', { name: 'Set an SLA' }).click();

  const form = section.getByRole('form', { name: 'Edit SLA' });
  await form.getByLabel('Maximum age').fill('3');
  await form.getByLabel('Unit').selectOption('hours');
  await form.getByLabel('Deadline: done by a time of day').check();
  await form.getByLabel('Done by (HH:MM)').fill('06:30');
  await form.getByLabel('Time zone').fill('Mars/Olympus_Mons');
  await form.getByLabel('Sat').check();
  await form.getByRole('button', { name: 'Save SLA' }).click();
  // The API's field error, in plain words, next to the form.
  await expect(form).toContainText('deadline › zone');
  await expect(form).toContainText('unknown time zone');

  await form.getByLabel('Time zone').fill('Europe/Berlin');
  await form.getByRole('button', { name: 'Save SLA' }).click();
  await expect(section).toContainText('fresh within 3 h · done by 06:30 Europe/Berlin, Mon–Sat');
  await expect(section).toContainText('met');

  // What the API stores is what the page showed.
  const stored = await api.get<{ freshness: { max_age_seconds: number }; deadline: { days: string[] } }>(`/api/v1/nodes/${id}/sla`);
  expect(stored.freshness.max_age_seconds).toBe(3 * 3600);
  expect(stored.deadline.days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
});
