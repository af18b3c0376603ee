// The web foundation in a real browser: Debian's Chromium (headless, driven by playwright-core, never a
// downloaded browser) against the admin and webmail servers on HTTPS. It logs in, sees the dashboard
// (its script runs under the CSP and refreshes the uptime through the API), switches to Japanese, logs
// out; a full name holding an XSS payload renders as text and runs nothing; no CSP violation is
// reported. Screenshots go to reports/web/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { startWebServer, type RunningWebServer } from '../../engine/web/server.js';
import { ROOT } from '../helpers/server.js';
import { PASSWORD, webFixture, XSS_NAME, type Fixture } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'reports', 'web');

describe('web pages in Chromium', { skip: !fs.existsSync(CHROMIUM) && !process.env.CI ? 'chromium not installed (apt-get install chromium)' : false }, () => {
  let f: Fixture;
  let admin: RunningWebServer;
  let webmail: RunningWebServer;
  let profile: string;
  let browser: BrowserContext;
  const problems: string[] = [];

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), 'chromium is missing in CI (.ci/apt-packages)');
    f = await webFixture();
    const tls = await loadOrCreateCertificate({ dataDir: f.dir, hostname: 'localhost' });
    admin = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'admin', deps: f.deps });
    webmail = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'webmail', deps: f.deps });
    fs.mkdirSync(SHOTS, { recursive: true });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true,
      locale: 'en-GB',
      viewport: { width: 1100, height: 760 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    browser.on('console', (m) => {
      if (m.type() === 'error' || /Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
    });
    browser.on('weberror', (e) => problems.push(`page error: ${e.error().message}`));
  });

  after(async () => {
    await browser?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await admin?.close();
    await webmail?.close();
    await f?.close();
  });

  async function login(page: Page, base: string, address: string): Promise<void> {
    const r = await page.goto(`${base}/`);
    assert.equal(r?.status(), 200);
    assert.ok(page.url().endsWith('/login'), page.url());
    await page.fill('#login', address);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`), page.click('form.login-form button[type="submit"]')]);
  }

  it('logs in, runs the page script under the CSP, switches to Japanese and logs out', async () => {
    const base = `https://127.0.0.1:${admin.port}`;
    const page = await browser.newPage();
    await login(page, base, 'admin@example.com');
    assert.equal(await page.locator('main h1').textContent(), 'Dashboard');
    assert.equal(await page.locator('p.welcome').textContent(), 'Signed in as Ada Admin (admin@example.com).');
    // web.js (a static file; no inline script is allowed) fetched /api/v1/status with the session cookie
    await page.locator('#uptime[data-refreshed="true"]').waitFor({ timeout: 30_000 });
    assert.match((await page.locator('#uptime').textContent()) ?? '', /^\d+ d \d+ h \d+ min$/);
    assert.match((await page.locator('#started time').textContent()) ?? '', /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$/, 'en-GB date');

    const cookies = await browser.cookies(base);
    const session = cookies.find((c) => c.name === '__Host-tegami-admin');
    assert.ok(session, JSON.stringify(cookies));
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/');
    assert.ok(!(await page.evaluate<string>('document.cookie')).includes('tegami-admin='), 'the session cookie is not readable by script');
    await page.screenshot({ path: path.join(SHOTS, 'admin-dashboard-en.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${base}/`), page.click('form.lang-switch button[data-lang="ja"]')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.equal(await page.locator('main h1').textContent(), 'ダッシュボード');
    assert.equal(await page.locator('p.welcome').textContent(), 'Ada Admin（admin@example.com）としてログインしています。');
    assert.equal(await page.locator('form.logout button').textContent(), 'ログアウト');
    await page.locator('#uptime[data-refreshed="true"]').waitFor({ timeout: 30_000 });
    assert.match((await page.locator('#uptime').textContent()) ?? '', /^\d+日 \d+時間 \d+分$/);
    await page.screenshot({ path: path.join(SHOTS, 'admin-dashboard-ja.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${base}/domains`), page.click('nav a[href="/domains"]')]);
    assert.equal(await page.locator('main h1').textContent(), 'ドメイン');
    assert.equal(await page.locator('table.domains tbody tr').count(), 4);

    await Promise.all([page.waitForURL(`${base}/login?bye=1`), page.click('form.logout button')]);
    assert.equal(await page.locator('p.notice').textContent(), 'ログアウトしました。', 'still Japanese after logout (remembered)');
    assert.equal(await page.locator('main h1').textContent(), 'ログイン');
    await page.screenshot({ path: path.join(SHOTS, 'admin-login-ja.png'), fullPage: true });
    assert.equal((await browser.cookies(base)).some((c) => c.name === '__Host-tegami-admin'), false, 'session cookie gone');
    const back = await page.goto(`${base}/domains`);
    assert.equal(back?.status(), 200);
    assert.ok(page.url().endsWith('/login'), 'after logout, pages send the browser to the login page');
    await page.close();
  });

  it('renders an XSS payload in a full name as text and runs none of it', async () => {
    const base = `https://127.0.0.1:${admin.port}`;
    await browser.clearCookies();
    const page = await browser.newPage();
    await login(page, base, 'xss@example.org');
    await page.locator('p.welcome').waitFor();
    assert.ok(((await page.locator('p.welcome').textContent()) ?? '').includes(XSS_NAME), 'the name shows exactly as typed');
    assert.equal(await page.locator('form.logout .who').textContent(), XSS_NAME);
    assert.equal(await page.locator('img').count(), 0, 'no <img> element was created');
    assert.equal(await page.locator('main script, header script').count(), 0);
    assert.equal(await page.evaluate<string | null>('document.body.dataset.pwned ?? null'), null, 'no payload ran');
    await page.screenshot({ path: path.join(SHOTS, 'admin-dashboard-xss.png'), fullPage: true });
    await page.close();
  });

  it('the webmail signs in its own users and keeps its session apart from the admin one', async () => {
    const base = `https://127.0.0.1:${webmail.port}`;
    await browser.clearCookies();
    const page = await browser.newPage();
    await login(page, base, 'user@example.com');
    assert.equal(await page.locator('p.welcome').textContent(), 'Signed in as Ursula User (user@example.com).');
    await page.screenshot({ path: path.join(SHOTS, 'webmail-home-en.png'), fullPage: true });
    // cookies do not tell ports apart: the browser sends the webmail cookie to the admin port too, where it opens nothing
    const r = await page.goto(`https://127.0.0.1:${admin.port}/`);
    assert.equal(r?.status(), 200);
    assert.ok(page.url().endsWith('/login'), page.url());
    await page.close();
  });

  it('reported no CSP violation, console error or page error', () => {
    // the favicon and every script and style came from the server itself
    assert.deepEqual(problems, []);
  });
});
