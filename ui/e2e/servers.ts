// What the e2e servers share with the tests: where they are, and the demo's accounts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type Database = 'sqlite' | 'postgresql';

/** DLV_E2E_DATABASES=sqlite,postgresql (the default): one project and one server each. */
export function databases(): Database[] {
  const wanted = (process.env.DLV_E2E_DATABASES ?? 'sqlite,postgresql').split(',').map((d) => d.trim());
  return wanted.filter((d): d is Database => d === 'sqlite' || d === 'postgresql');
}

export const ADMIN = { username: 'admin', password: 'e2e harbour lantern 42' };
export const VIEWER = { username: 'vera', password: 'e2e quiet meadow 77' };
// Signs the servers' tokens: the expiry test makes an expired one with it.
export const SECRET_KEY = 'e2e-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz';

export function urlVariable(db: string): string {
  return `DLV_E2E_URL_${db.toUpperCase()}`;
}

export function baseUrlFor(db: string): string {
  const url = process.env[urlVariable(db)];
  if (!url) throw new Error(`no DLV server for ${db}: global-setup.ts did not start one`);
  return url;
}

export const UI_ROOT = path.resolve(import.meta.dirname, '..');
export const REPO_ROOT = path.resolve(UI_ROOT, '..');
export const SCREENSHOTS = path.join(UI_ROOT, 'e2e', 'out', 'screenshots');

export function tempHome(db: string): string {
  return mkdtempSync(path.join(tmpdir(), `dlv-e2e-${db}-`));
}
