// The API's own pages keep working under the Content-Security-Policy, and load nothing from
// another host (a self-hosted DLV often runs without internet).
import { expect, test } from './fixtures';

for (const [path, ready] of [
  ['/docs', '.swagger-ui .info .title'],
  ['/redoc', 'redoc-wrap, .redoc-wrap, [role="navigation"]'],
] as const) {
  test(`${path} renders under its CSP, from this server only`, async ({ page, baseURL }, testInfo) => {
    test.skip(testInfo.project.name !== 'sqlite', 'the pages do not depend on the database');
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const hosts = new Set<string>();
    // Fetched, not merely asked for (a request the policy blocks ends as failed).
    page.on('requestfinished', (r) => hosts.add(new URL(r.url()).host));
    await page.goto(path);
    // ReDoc lays out the whole API in one go before it shows anything: over 15 s once on a
    // loaded CI machine (4 s on a quiet one).
    await expect(page.locator(ready).first()).toBeVisible({ timeout: 60_000 });
    // ReDoc's bundle shows its maker's logo from cdn.redoc.ly: the policy blocks it, which is the
    // point (no request leaves); anything else refused would be a page the policy broke.
    const refused = problems.filter((p) => /Content Security Policy|Refused/.test(p));
    expect(refused.filter((p) => !p.includes('https://cdn.redoc.ly/redoc/logo-mini.svg'))).toEqual([]);
    expect([...hosts].filter((h) => h && h !== new URL(baseURL!).host)).toEqual([]);
  });
}
