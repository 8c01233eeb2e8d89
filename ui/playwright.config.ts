// End-to-end tests: Debian's chromium (Playwright's browser download is not possible here)
// against real `dlv serve` processes with the demo data, one per database (global-setup.ts).
import { defineConfig } from '@playwright/test';
import { databases } from './e2e/servers';

export default defineConfig({
  testDir: './e2e',
  outputDir: './e2e/out/results',
  globalSetup: './e2e/global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // The databases' projects run side by side; tests inside a file one after the other.
  workers: Number(process.env.DLV_E2E_WORKERS ?? 2),
  fullyParallel: false,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 800 },
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    acceptDownloads: true,
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // Without the background-networking flags, Chromium keeps calling home on a closed network.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: databases().map((db) => ({ name: db })),
});
