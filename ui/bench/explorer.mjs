// The browser half of bench/ui.py: drives headless Chromium against a running DLV and prints
// one JSON object. Input (env): DLV_BENCH_URL, DLV_BENCH_TOKEN, DLV_BENCH_ROOTS (JSON list of
// {nodes, id}), DLV_BENCH_RUNS, DLV_BENCH_DASHBOARD (JSON {nodes, id}, optional). Every
// navigation starts with an empty cache.
import { chromium } from '@playwright/test';
import { gzipSync } from 'node:zlib';

const base = process.env.DLV_BENCH_URL;
const token = process.env.DLV_BENCH_TOKEN;
const roots = JSON.parse(process.env.DLV_BENCH_ROOTS ?? '[]');
const runs = Number(process.env.DLV_BENCH_RUNS ?? 5);
const dashboard = process.env.DLV_BENCH_DASHBOARD ? JSON.parse(process.env.DLV_BENCH_DASHBOARD) : null;
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS });

async function context(signedIn) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (signedIn) {
    await ctx.addInitScript((t) => {
      sessionStorage.setItem('dlv.session', JSON.stringify({ token: t, username: 'admin', expiresAt: Date.now() + 3600_000 }));
    }, token);
  }
  return ctx;
}

/** Scripts fetched before the first screen: bytes on the wire and gzipped size. */
async function shipped(path, signedIn, ready) {
  const ctx = await context(signedIn);
  const page = await ctx.newPage();
  const scripts = new Map();
  page.on('response', async (response) => {
    const type = response.request().resourceType();
    if (type !== 'script' && !response.url().endsWith('.js')) return;
    try {
      const body = await response.body();
      const sizes = await response.request().sizes();
      scripts.set(response.url(), { raw: body.length, gzip: gzipSync(body).length, wire: sizes.responseBodySize });
    } catch {
      // a response without a body (redirect): nothing shipped
    }
  });
  await page.goto(base + path);
  await page.locator(ready).first().waitFor();
  await page.waitForLoadState('networkidle');
  await ctx.close();
  const files = [...scripts.entries()].map(([url, s]) => ({ file: new URL(url).pathname.split('/').pop(), ...s }));
  const sum = (k) => files.reduce((n, f) => n + f[k], 0);
  return { files, raw: sum('raw'), gzip: sum('gzip'), wire: sum('wire') };
}

/**
 * Navigation to the graph drawn and interactive (two frames after it is placed): the
 * explorer of a lineage, or (`canvas` = '.dash-canvas') a saved dashboard.
 */
async function drawn(root, path = `/nodes/${root.id}/lineage?direction=downstream&depth=all&all=1`, canvasSelector = '.canvas') {
  const ctx = await context(true);
  const page = await ctx.newPage();
  await page.goto(base + path, { waitUntil: 'commit' });
  const result = await page.evaluate(async (selector) => {
    const ready = () =>
      document.querySelector(`${selector}[data-state="ready"]`) && document.querySelectorAll('.react-flow__node').length > 0;
    while (!ready()) await new Promise((r) => requestAnimationFrame(r));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const canvas = document.querySelector(selector);
    return {
      ms: performance.now(),
      layout: canvas.getAttribute('data-layout'),
      layoutMs: Number(canvas.getAttribute('data-layout-ms')),
      nodes: Number(canvas.getAttribute('data-nodes')),
      rendered: document.querySelectorAll('.react-flow__node').length,
      // When the answer the canvas is drawn from had arrived (the rest is the page's work).
      apiMs: Math.max(0, ...performance.getEntriesByType('resource').filter((e) => /\/api\/v1\/(dashboards\/|nodes\/[^/]+\/lineage)/.test(e.name)).map((e) => e.responseEnd)),
      apiStartMs: Math.max(0, ...performance.getEntriesByType('resource').filter((e) => /\/api\/v1\/(dashboards\/|nodes\/[^/]+\/lineage)/.test(e.name)).map((e) => e.requestStart)),
    };
  }, canvasSelector);
  return { page, ctx, result };
}

/** Frame times while dragging the canvas around for ~2 s. */
async function panning(page) {
  const box = await page.locator('.react-flow__pane').boundingBox();
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (window.__panning) requestAnimationFrame(tick);
    };
    window.__panning = true;
    requestAnimationFrame(tick);
  });
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  const started = Date.now();
  let i = 0;
  while (Date.now() - started < 2000) {
    const angle = i / 12;
    await page.mouse.move(cx + Math.cos(angle) * 250 - i * 2, cy + Math.sin(angle) * 180, { steps: 1 });
    i++;
  }
  await page.mouse.up();
  const frames = await page.evaluate(() => {
    window.__panning = false;
    return window.__frames.slice(1);
  });
  frames.sort((a, b) => a - b);
  const pick = (q) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))] ?? NaN;
  return { frames: frames.length, moves: i, p50: pick(0.5), p95: pick(0.95), max: frames[frames.length - 1] ?? NaN };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

const output = {
  signIn: await shipped('/login', false, 'button[type="submit"]'),
  explorer: roots[0] ? await shipped(`/nodes/${roots[0].id}/lineage?direction=downstream&depth=all&all=1`, true, '.canvas[data-state="ready"]') : null,
  graphs: [],
};
for (const root of roots) {
  const times = [];
  let last = null;
  let pan = null;
  for (let run = 0; run < runs; run++) {
    const { page, ctx, result } = await drawn(root);
    times.push(result.ms);
    last = result;
    if (run === runs - 1) {
      pan = await panning(page);
      // The worst case: the whole graph fitted in view, every node in the DOM.
      await page.getByRole('button', { name: 'Fit View', exact: true }).click();
      await page.waitForTimeout(800);
      const inDom = await page.locator('.react-flow__node').count();
      pan = { ...pan, fitted: { ...(await panning(page)), inDom } };
    }
    await ctx.close();
  }
  output.graphs.push({ nodes: root.nodes, drawnMs: times, medianMs: median(times), ...last, panning: pan });
}
if (dashboard) {
  // A saved dashboard, opened as saved (its viewport fits every node: the worst case), then
  // panned; then panned again zoomed in on a part of it (cards culled to those in view).
  const times = [];
  const apis = [];
  let last = null;
  let pan = null;
  for (let run = 0; run < runs; run++) {
    const { page, ctx, result } = await drawn(dashboard, `/dashboards/${dashboard.id}`, '.dash-canvas');
    times.push(result.ms);
    apis.push([result.apiStartMs, result.apiMs]);
    last = result;
    if (run === runs - 1) {
      pan = await panning(page);
      // Zoomed in on a card (the wheel zooms around the pointer) until names are drawn again:
      // cards are then culled to those in view.
      // A card near the middle of the pane (the saved viewport may leave some outside it).
      const target = await page.evaluate(() => {
        const pane = document.querySelector('.react-flow__pane').getBoundingClientRect();
        const cx = pane.x + pane.width / 2;
        const cy = pane.y + pane.height / 2;
        let best = null;
        for (const el of document.querySelectorAll('.react-flow__node-card')) {
          const r = el.getBoundingClientRect();
          const d = Math.hypot(r.x + r.width / 2 - cx, r.y + r.height / 2 - cy);
          if (!best || d < best.d) best = { x: r.x + r.width / 2, y: r.y + r.height / 2, d };
        }
        return best;
      });
      await page.mouse.move(target.x, target.y);
      for (let i = 0; i < 40 && (await page.locator('.dash-canvas.zoomed-out').count()) > 0; i++) {
        await page.mouse.wheel(0, -200);
        await page.waitForTimeout(50);
      }
      await page.waitForTimeout(800);
      const inDom = await page.locator('.react-flow__node').count();
      pan = { ...pan, zoomedIn: { ...(await panning(page)), inDom } };
    }
    await ctx.close();
  }
  output.dashboard = { nodes: dashboard.nodes, drawnMs: times, medianMs: median(times), apiMsAll: apis, ...last, panning: pan };
}
await browser.close();
console.log(JSON.stringify(output));
