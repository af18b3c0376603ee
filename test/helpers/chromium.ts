// Headless Chromium for the browser tests: Debian's /usr/bin/chromium through playwright-core (never a downloaded
// browser), a private profile removed afterwards, and every CSP refusal or page error collected so a test can
// assert there were none. Also the webmail sign-in every webmail browser test starts with.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A reason to skip when Chromium is missing (never on CI, where it must be there). */
export const noChromium: string | false = !fs.existsSync(CHROMIUM) && !process.env.CI ? 'chromium not installed' : false;

export interface Chromium {
  context: BrowserContext;
  /** CSP refusals and page errors seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function openChromium(viewport = { width: 1200, height: 900 }): Promise<Chromium> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-chromium-'));
  const problems: string[] = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
  });
  context.on('weberror', (e) => problems.push(`page error: ${e.error().message}`));
  return {
    context,
    problems,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A fresh page signed in to the webmail at `base` in this language (cookies of earlier sign-ins cleared). */
export async function webmailSignIn(context: BrowserContext, base: string, user: string, password: string, lang: 'ja' | 'en'): Promise<Page> {
  await context.clearCookies();
  const page = await context.newPage();
  await page.setExtraHTTPHeaders({ 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
  await page.goto(`${base}/login`);
  await page.fill('#login', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${base}/mail`), page.click('form.login-form button[type="submit"]')]);
  return page;
}
