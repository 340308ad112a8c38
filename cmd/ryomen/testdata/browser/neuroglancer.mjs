// Opens the data served by 'ryomen serve' in Neuroglancer (bundled by
// build-neuroglancer.mjs) in headless Chromium, an image layer and a
// segmentation layer, and reports as JSON on stdout whether they loaded,
// the page errors and how many chunks were read through a counting proxy.
//
// usage: node neuroglancer.mjs DIST_DIR DATA_URL SCREENSHOT.png
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [dist, data, shot] = process.argv.slice(2);
const index = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="x/main.bundle.css"></head>
<body><div id="neuroglancer-container"></div><script type="module" src="x/main.bundle.js"></script></body></html>`;
const types = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.wasm': 'application/wasm' };
const srv = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/') { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(index); return; }
  const p = path.join(dist, path.normalize(u.pathname).replace(/^\/+/, ''));
  if (!p.startsWith(dist) || !fs.existsSync(p)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': types[path.extname(p)] || 'application/octet-stream' });
  fs.createReadStream(p).pipe(res);
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
// A counting proxy in front of the data URL: chunk reads happen in
// Neuroglancer's workers, which the page's request events do not see.
const served = { image: 0, labels: 0, bytes: 0, statuses: {} };
const upstream = new URL(data);
const proxy = http.createServer((req, res) => {
  const u = new URL(req.url, upstream);
  const h = { ...req.headers, host: upstream.host };
  const up = http.request(u, { method: req.method, headers: h }, (ur) => {
    served.statuses[ur.statusCode] = (served.statuses[ur.statusCode] || 0) + 1;
    if (u.pathname.includes('/c/') && ur.statusCode < 300) served[u.pathname.includes('/labels/') ? 'labels' : 'image']++;
    res.writeHead(ur.statusCode, ur.headers);
    ur.on('data', (b) => { served.bytes += b.length; });
    ur.pipe(res);
  });
  up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(up);
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const dataURL = `http://127.0.0.1:${proxy.address().port}${upstream.pathname}`;
const origin = `http://127.0.0.1:${srv.address().port}`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ryomen-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', `--user-data-dir=${profile}`],
});
const report = { errors: [], chunks: {}, layers: [] };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => report.errors.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push('console: ' + m.text()); });
  page.on('requestfailed', (r) => report.errors.push('requestfailed: ' + r.url() + ' ' + (r.failure()?.errorText ?? '')));
  page.on('workercreated', (w) => w.on('console', (m) => { if (m.type() === 'error') report.errors.push('worker console: ' + m.text()); }));
  page.on('response', (r) => {
    const u = r.url();
    if (r.status() >= 400 && !u.endsWith('/zarr.json') && !u.includes('/.z')) report.errors.push(`http ${r.status()}: ${u}`);
    if (u.startsWith(data) && u.includes('/c/') && r.status() < 300) {
      const key = u.includes('/labels/') ? 'labels' : 'image';
      report.chunks[key] = (report.chunks[key] || 0) + 1;
    }
  });
  await page.setViewport({ width: 800, height: 600, deviceScaleFactor: 1 });
  const state = { layers: [
    { type: 'image', source: `zarr3://${dataURL}`, name: 'image', shaderControls: { normalized: { range: [0, 2000] } } },
    { type: 'segmentation', source: `zarr3://${dataURL}labels/cells/`, name: 'cells' }],
    layout: 'xy', position: [16.5, 48.5, 80.5], crossSectionScale: 2.5e-7 };
  await page.goto(`${origin}/#!` + encodeURIComponent(JSON.stringify(state)), { waitUntil: 'load' });
  await page.waitForFunction(() => window.viewer && viewer.layerManager.managedLayers.length === 2 &&
    viewer.layerManager.managedLayers.every((l) => l.layer && l.layer.dataSources.length && l.layer.dataSources.every((d) => d.loadState !== undefined)),
    { timeout: 30000 });
  // Wait for chunks of both layers to be read and drawn.
  for (let t = 0; t < 200 && !(served.image > 0 && served.labels > 0); t++) await new Promise((r) => setTimeout(r, 100));
  await page.waitForFunction(() => viewer.isReady(), { timeout: 30000 });
  await new Promise((r) => setTimeout(r, 300));
  report.layers = await page.evaluate(() => viewer.layerManager.managedLayers.map((l) => ({
    name: l.name, type: l.layer.type,
    sources: l.layer.dataSources.map((d) => (d.loadState && d.loadState.error ? 'error: ' + d.loadState.error.message : (d.loadState ? 'loaded' : 'loading'))),
  })));
  await page.screenshot({ path: shot });
} catch (e) {
  report.errors.push('driver: ' + (e.stack || e));
} finally {
  await browser.close();
  srv.close();
  proxy.close();
  report.served = served;
  fs.rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report) + '\n');
