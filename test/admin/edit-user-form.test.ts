// The admin's user page shows every mistake of its settings form at once, in the page's language, as the
// new-user form does: a quota that is not a size no longer hides a reply-to that is not an address or a forward
// that is not one either (the administrator fixed the quota, sent the form again, and only then heard of the
// reply-to). Driven in Debian's headless Chromium against a real `tegami serve` over HTTPS; nothing is written,
// and a correct form still saves.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { translator } from '../../engine/web/i18n.js';
import { noChromium, openChromium, type Chromium } from '../helpers/chromium.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BOSS = 'boss@example.test';
const PW = 'boss password 1';

describe('admin: the user edit form reports every field at once (Chromium, HTTPS)', { skip: noChromium, timeout: 300_000 }, () => {
  let srv: TestServer;
  let chromium: Chromium;
  const base = () => `https://127.0.0.1:${srv.ports.admin}`;

  before(async () => {
    srv = await startTestServer({
      listeners: ['admin'],
      users: [{ address: BOSS, password: PW, admin: true }, { address: 'alice@example.test', password: 'alice password 1' }, { address: 'bobby@example.test', password: 'bobby password 1' }],
    });
    chromium = await openChromium();
  });
  after(async () => {
    await chromium?.close();
    await srv?.stop();
  });

  async function signIn(lang: 'en' | 'ja'): Promise<Page> {
    await chromium.context.clearCookies();
    const page = await chromium.context.newPage();
    await page.setExtraHTTPHeaders({ 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
    await page.goto(`${base()}/login`);
    await page.fill('#login', BOSS);
    await page.fill('#password', PW);
    await Promise.all([page.waitForURL(`${base()}/`), page.click('form.login-form button[type="submit"]')]);
    return page;
  }

  const settingsForm = (who: string) => `form[action="/users/${encodeURIComponent(who)}"]`;

  for (const [lang, who] of [['en', 'alice@example.test'], ['ja', 'bobby@example.test']] as const) {
    it(`a bad quota, a bad reply-to and a bad forward together (${lang})`, async () => {
      const t = translator(lang);
      const page = await signIn(lang);
      await page.goto(`${base()}/users/${encodeURIComponent(who)}`);
      // a reply-to Chromium's own e-mail check lets through (no dot in the domain) but the server refuses
      await page.fill('#f-replyTo', 'someone@localhost');
      await page.fill('#f-forward', 'nobody-here');
      await page.fill('#f-quotaBytes', 'lots');
      const [res] = await Promise.all([page.waitForNavigation(), page.click(`${settingsForm(who)} button[type="submit"]`)]);
      assert.equal(res?.status(), 400);
      const marked = await page.locator(`${settingsForm(who)} .field-error`).evaluateAll((els) => els.map((e) => e.getAttribute('data-field')));
      assert.deepEqual(marked.sort(), ['forward', 'quotaBytes', 'replyTo']);
      assert.equal(await page.locator('#f-replyTo').getAttribute('aria-invalid'), 'true');
      assert.ok(((await page.locator('main').textContent()) ?? '').includes(t('form.errors', { count: 3 })), `the summary counts three (${lang})`);
      if (lang === 'ja') assert.match((await page.locator('main').textContent()) ?? '', /修正が必要な項目: 3件/);
      // what was typed stays in the form, and nothing was written
      assert.equal(await page.inputValue('#f-quotaBytes'), 'lots');
      await page.goto(`${base()}/users/${encodeURIComponent(who)}`);
      assert.equal(await page.inputValue('#f-replyTo'), '');
      assert.equal(await page.inputValue('#f-forward'), '');

      // fixed, the same form saves (its CSRF token still good)
      await page.fill('#f-replyTo', `reply-${lang}@example.test`);
      await page.fill('#f-quotaBytes', '10M');
      await Promise.all([page.waitForNavigation(), page.click(`${settingsForm(who)} button[type="submit"]`)]);
      assert.ok(page.url().endsWith('?done=saved'), page.url());
      assert.equal(await page.inputValue('#f-replyTo'), `reply-${lang}@example.test`);
      assert.deepEqual(chromium.problems, []);
      await page.close();
    });
  }
});
