import { test as base, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ADMIN, baseUrlFor, SCREENSHOTS } from './servers';

export { expect };

interface Account {
  username: string;
  password: string;
}

export const test = base.extend<{ api: Api }>({
  // Each project talks to its own database's server (started by global-setup.ts).
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  baseURL: async ({}, provide, testInfo) => {
    await provide(baseUrlFor(testInfo.project.name));
  },
  api: async ({ baseURL }, provide) => {
    await provide(new Api(baseURL!));
  },
});

/** The API, for looking things up (ids) — the UI is what the tests exercise. */
export class Api {
  private token: string | null = null;
  constructor(readonly base: string) {}

  async login(account: Account = ADMIN): Promise<string> {
    const r = await fetch(`${this.base}/api/v1/auth/token`, { method: 'POST', body: new URLSearchParams({ username: account.username, password: account.password }) });
    expect(r.ok).toBe(true);
    this.token = ((await r.json()) as { access_token: string }).access_token;
    return this.token;
  }

  async get<T>(path: string): Promise<T> {
    const token = this.token ?? (await this.login());
    const r = await fetch(`${this.base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(r.status, path).toBe(200);
    return (await r.json()) as T;
  }

  /** POST a JSON body; the answer's JSON (its status must be `expected`). */
  async post<T>(path: string, body: unknown, expected = 201): Promise<T> {
    const token = this.token ?? (await this.login());
    const r = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status, `${path}: ${await r.clone().text()}`).toBe(expected);
    return (await r.json()) as T;
  }

  /** The node named ``name`` (in ``namespace``, when names repeat across namespaces). */
  async nodeId(name: string, namespace?: string): Promise<string> {
    const page = await this.get<{ items: { id: string; name: string; namespace: string }[] }>(
      `/api/v1/nodes?name=${encodeURIComponent(name)}`,
    );
    const node = page.items.find((n) => n.name === name && (namespace === undefined || n.namespace === namespace));
    if (!node) throw new Error(`no node named ${name}${namespace ? ` in ${namespace}` : ''}`);
    return node.id;
  }
}

export async function signIn(page: Page, account: Account = ADMIN, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/**
 * Screenshots for the README, from one database's run only (the pictures are the same). Each
 * of `redact` (a secret the page shows) is drawn as dots in the picture, then put back.
 */
export async function screenshot(page: Page, name: string, project: string, redact: string[] = []): Promise<void> {
  if (project !== 'sqlite') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const swap = (pairs: [string, string][]) => page.evaluate(swapText, pairs);
  const dots = redact.map((secret): [string, string] => [secret, `${secret.slice(0, 4)}${'•'.repeat(24)}`]);
  await swap(dots);
  try {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  } finally {
    await swap(dots.map(([secret, shown]) => [shown, secret]));
  }
}

/** In the page: every text and input value with each pair's first string replaced by its second. */
function swapText(pairs: [string, string][]): void {
  const swapped = (text: string) => pairs.reduce((t, [from, to]) => t.split(from).join(to), text);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeValue) node.nodeValue = swapped(node.nodeValue);
  }
  for (const input of document.querySelectorAll('input, textarea')) {
    const field = input as HTMLInputElement;
    field.value = swapped(field.value);
  }
}
