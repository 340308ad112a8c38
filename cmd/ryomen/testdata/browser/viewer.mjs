// Drives the ryomen viewer in headless Chromium (puppeteer-core) and
// reports what it saw as JSON on stdout; serve_test.go checks it.
//
// usage: node viewer.mjs BASE_URL OUT_DIR HASH POINTS_JSON
//   BASE_URL     the viewer URL printed by 'ryomen serve'
//   OUT_DIR      where view1.png (the first view) and view2.png (after
//                three ArrowRight presses on the index slider) go
//   HASH         the view state, e.g. axis=0&index=16&zoom=2&cr=32&cc=48
//   POINTS_JSON  canvas pixels [[x, y], ...] to hover over
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [base, outDir, hash, pointsJSON] = process.argv.slice(2);
const points = JSON.parse(pointsJSON);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ryomen-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--force-color-profile=srgb', `--user-data-dir=${profile}`],
});
const report = { errors: [], hovers: [] };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => report.errors.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push('console: ' + m.text()); });
  page.on('requestfailed', (r) => report.errors.push('requestfailed: ' + r.url() + ' ' + (r.failure()?.errorText ?? '')));
  page.on('response', (r) => { if (r.status() >= 400) report.errors.push(`http ${r.status()}: ${r.url()}`); });
  await page.setViewport({ width: 900, height: 600, deviceScaleFactor: 1 });
  await page.goto(base.replace(/\/?$/, '/') + '#' + hash, { waitUntil: 'load' });
  const ready = (prev) => page.waitForFunction(
    (p) => document.body.dataset.state === 'ready' && document.body.dataset.query && document.body.dataset.query !== p,
    { timeout: 20000 }, prev ?? '');
  await ready();
  const canvas = await page.$('#canvas');
  report.query1 = await page.evaluate(() => document.body.dataset.query);
  await canvas.screenshot({ path: path.join(outDir, 'view1.png'), captureBeyondViewport: false });
  report.status1 = await page.$eval('#status', (e) => e.textContent);

  const box = await canvas.boundingBox();
  for (const [x, y] of points) {
    await page.mouse.move(box.x + x + 0.5, box.y + y + 0.5);
    await page.waitForFunction((px) => document.getElementById('hover').dataset.px === px, { timeout: 10000 }, `${x},${y}`);
    const h = await page.$eval('#hover', (e) => ({ label: e.dataset.label, text: e.textContent }));
    report.hovers.push({ x, y, ...h });
  }

  await page.focus('#index');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await ready(report.query1);
  report.query2 = await page.evaluate(() => document.body.dataset.query);
  await canvas.screenshot({ path: path.join(outDir, 'view2.png'), captureBeyondViewport: false });

  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel({ deltaY: 1500 });
  await ready(report.query2);
  report.query3 = await page.evaluate(() => document.body.dataset.query);
  report.status3 = await page.$eval('#status', (e) => e.textContent);
  report.error = await page.$eval('#error', (e) => e.textContent);
} catch (e) {
  report.errors.push('driver: ' + (e.stack || e));
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report) + '\n');
