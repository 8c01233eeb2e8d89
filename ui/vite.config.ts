/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

/**
 * A gzipped twin (x.js.gz) of every compressible file of the build: DLV serves it to clients
 * that accept gzip (dlv.ui.ImmutableAssets) without compressing on each request.
 */
function precompress(): Plugin {
  return {
    name: 'dlv-precompress',
    apply: 'build',
    // After the files are written: earlier, chunks still hold placeholders Vite fills in last.
    writeBundle(options, bundle) {
      const dir = options.dir ?? 'dist';
      for (const fileName of Object.keys(bundle)) {
        if (!/\.(js|mjs|css|svg|json)$/.test(fileName)) continue;
        const path = join(dir, fileName);
        const raw = readFileSync(path);
        const gz = gzipSync(raw, { level: 9 });
        if (gz.length < raw.length * 0.9) writeFileSync(`${path}.gz`, gz);
      }
    },
  };
}

// `base: './'`: the server rewrites index.html's ./assets/ URLs to its own root (DLV may sit
// behind a proxy prefix), and chunks load each other relative to themselves.
export default defineConfig({
  base: './',
  plugins: [react(), precompress()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // The ELK chunk is big by nature and only ever loaded inside the layout worker.
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: 'es', plugins: () => [precompress()] },
  server: {
    proxy: {
      // ws: the event stream (/api/v1/stream) is a WebSocket.
      '/api': { target: 'http://127.0.0.1:8000', ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    // A cap, not a measure: under the CI's suites one test (openapi-typescript over the whole
    // schema) took 11.6 s against vitest's default 5 s.
    testTimeout: 60_000,
  },
});
