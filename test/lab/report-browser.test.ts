// `tegami lab run throughput` against tegami and smtp-sink writes a report whose HTML opens in headless
// Chromium (Debian's, via playwright-core; never a downloaded browser) with its plots and figures rendered,
// without fetching anything: the page is self-contained.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { tegamiLab } from './helpers.js';
import type { Report } from '../../lab/report/model.js';

const CHROMIUM = '/usr/bin/chromium';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-browser-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('throughput report opens in headless Chromium with plots, figures and ratios', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail('chromium is missing in CI (.ci/apt-packages)');
    t.skip('chromium not installed (apt-get install chromium)');
    return;
  }
  const r = await tegamiLab(['run', 'scenarios/throughput.toml', '--quick', '--report-dir', dir]);
  assert.equal(r.code, 0, r.out);
  const jsonFile = /report: (\S+\.json)/.exec(r.out)![1];
  const report = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Report;
  for (const name of ['tegami', 'smtp-sink']) {
    const tr = report.targets[name];
    assert.ok(tr, `${name} in the report`);
    for (const k of ['msgs_per_s', 'p50', 'p99', 'p999'] as const) assert.ok(typeof tr[k] === 'number' && tr[k] > 0, `${name}.${k} = ${tr[k]}`);
    assert.ok(tr.p50 <= tr.p99 && tr.p99 <= tr.p999);
  }
  const loaded = Object.values(report.targets).filter((x) => x.latency).map((x) => x.name);

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const fetched: string[] = [];
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:')) return route.continue();
      fetched.push(u);
      return route.abort();
    });
    await page.goto('file://' + jsonFile.replace(/\.json$/, '.html'));
    assert.equal(await page.locator('#verdict').textContent(), 'All expectations held');
    for (const kind of ['latency', 'throughput']) {
      const svg = page.locator(`svg[data-plot="${kind}"]`);
      assert.equal(await svg.count(), 1, `${kind} plot`);
      const box = await svg.boundingBox();
      assert.ok(box && box.width > 300 && box.height > 150, `${kind} plot rendered: ${JSON.stringify(box)}`);
      const series = await svg.locator('polyline.series').evaluateAll((els) => els.map((e) => [e.getAttribute('data-target'), (e.getAttribute('points') ?? '').split(' ').length]));
      assert.deepEqual(series.map((s) => s[0]).sort(), [...loaded].sort(), `${kind}: one line per target`);
      for (const [name, n] of series) assert.ok(Number(n) >= 2, `${kind}: ${name} has a line`);
    }
    const latencyText = await page.locator('svg[data-plot="latency"]').textContent();
    assert.match(latencyText ?? '', /99\.9%/);
    for (const name of ['tegami', 'smtp-sink']) {
      const msgs = await page.locator(`table.figures tr[data-target="${name}"] td.msgs`).textContent();
      assert.ok(Number((msgs ?? '').replace(/,/g, '')) > 0, `${name} msgs/s shown: ${msgs}`);
    }
    assert.ok((await page.locator('table.ratios td.ratio').count()) >= 2, 'ratios between targets');
    assert.ok((await page.locator('table.steps').count()) >= 2, 'per-step tables');
    const shot = path.join(dir, 'throughput.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = fs.readFileSync(shot);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(png.length > 30_000, `screenshot ${png.length} bytes`);
    assert.deepEqual(fetched, [], 'the page fetches nothing');
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
