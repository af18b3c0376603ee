// The webmail in a real browser: Debian's Chromium (headless, driven by playwright-core, never a downloaded
// browser) against a real `tegami serve` with [listen] webmail. Mail arrives by SMTP (nodemailer, raw bytes):
// an ISO-2022-JP message and a Shift_JIS one are read with their Japanese text on screen; an HTML message whose
// script and onerror handler would set a marker is opened and the marker stays unset; a reply sent from the
// page, with a file of Japanese name attached, arrives in the other user's mailbox (In-Reply-To set, the
// Japanese text and file name intact); a Japanese search finds the message; a message delivered while the list
// is open is announced (JMAP event source). In Japanese, then in English. No CSP violation, no page error.
// Screenshots in reports/webmail/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { simpleParser } from 'mailparser';
import iconv from 'iconv-lite';
import { type BrowserContext, type Page } from 'playwright-core';
import { noChromium, openChromium, type Chromium } from '../../helpers/chromium.js';
import { ROOT, startTestServer, type TestServer } from '../../helpers/server.js';
import { encodedWord, toIso2022jp } from '../../spam/mail.js';

const SHOTS = path.join(ROOT, 'reports', 'webmail');
const HANAKO = 'hanako@example.jp';
const TARO = 'taro@example.jp';
const PW = 'hanako password 1';
const skip = noChromium;

describe('webmail in Chromium', { skip, timeout: 600_000 }, () => {
  let srv: TestServer;
  let chrome: Chromium | undefined;
  let browser: BrowserContext;
  let problems: string[] = [];
  const base = () => `https://127.0.0.1:${srv.ports.webmail}`;

  async function smtp(raw: Buffer, to = HANAKO): Promise<void> {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: srv.ports.smtp, secure: false, ignoreTLS: true });
    try {
      await t.sendMail({ envelope: { from: 'sender@example.org', to: [to] }, raw });
    } finally {
      t.close();
    }
  }

  before(async () => {
    srv = await startTestServer({
      listeners: ['smtp', 'webmail'],
      domains: ['example.jp'],
      users: [{ address: HANAKO, password: PW }, { address: TARO, password: 'taro password 1' }],
      // the hostile HTML message below is (rightly) judged spam; this test is about showing it inert, in the inbox
      toml: '[spam]\nmove_to_spam_folder = false\n',
    });
    fs.mkdirSync(SHOTS, { recursive: true });
    chrome = await openChromium({ width: 1200, height: 800 });
    browser = chrome.context;
    problems = chrome.problems;
  });

  after(async () => {
    await chrome?.close();
    await srv?.stop();
  });

  async function signIn(lang: 'ja' | 'en'): Promise<Page> {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.setExtraHTTPHeaders({ 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
    await page.goto(`${base()}/mail`);
    assert.ok(page.url().endsWith('/login'), page.url());
    await page.fill('#login', HANAKO);
    await page.fill('#password', PW);
    await Promise.all([page.waitForURL(`${base()}/mail`), page.click('form.login-form button[type="submit"]')]);
    return page;
  }

  /** Reload the inbox until a message with this subject is listed (delivery runs in the workers); open it. */
  async function openMessage(page: Page, subject: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      await page.goto(`${base()}/mail`);
      const link = page.locator('td.subject a', { hasText: subject });
      if ((await link.count()) > 0) {
        await Promise.all([page.waitForURL(/\/mail\/message\//), link.first().click()]);
        return;
      }
      if (Date.now() > deadline) assert.fail(`"${subject}" never reached the inbox`);
      await page.waitForTimeout(500);
    }
  }

  it('reads ISO-2022-JP and Shift_JIS mail, keeps HTML mail inert, and sends a reply that arrives', async () => {
    const jisSubject = '【至急】打ち合わせの件';
    const jisText = '来週の打ち合わせの件でご連絡いたしました。';
    await smtp(Buffer.concat([
      Buffer.from(`From: ${encodedWord('山田太郎', 'ISO-2022-JP')} <yamada@example.org>\r\nTo: ${HANAKO}\r\nSubject: ${encodedWord(jisSubject, 'ISO-2022-JP')}\r\nMessage-ID: <browser-jis@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n`),
      toIso2022jp(`${jisText}\r\nよろしくお願いいたします。\r\n`),
    ]));
    const sjisSubject = '請求書送付のご案内';
    const sjisText = '今月分の請求書をお送りします。';
    await smtp(Buffer.concat([
      Buffer.from(`From: ${encodedWord('佐藤花子', 'Shift_JIS')} <sato@example.org>\r\nTo: ${HANAKO}\r\nSubject: ${encodedWord(sjisSubject, 'Shift_JIS')}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n`),
      Buffer.from(iconv.encode(`${sjisText}\r\n`, 'cp932').toString('base64') + '\r\n'),
    ]));
    await smtp(Buffer.from([
      `From: "<img src=x onerror=document.body.dataset.pwned=1>" <evil@example.org>`, `To: ${HANAKO}`, 'Subject: html-inert <script>document.body.dataset.pwned=2</script>',
      'MIME-Version: 1.0', 'Content-Type: text/html; charset=UTF-8', '',
      '<html><body><p>visible words</p><script>document.body.dataset.pwned=3</script><img src=x onerror="document.body.dataset.pwned=4"><svg onload="document.body.dataset.pwned=5"></svg><a href="javascript:document.body.dataset.pwned=6" id="js">link</a></body></html>', '',
    ].join('\r\n')));

    const page = await signIn('ja');
    // ISO-2022-JP
    await openMessage(page, jisSubject);
    assert.equal(await page.locator('h1.subject').textContent(), jisSubject);
    assert.ok((await page.locator('dd.from').textContent())!.includes('山田太郎'));
    assert.ok((await page.locator('pre.body').textContent())!.includes(jisText));
    await page.screenshot({ path: path.join(SHOTS, 'read-iso2022jp-ja.png'), fullPage: true });
    // Shift_JIS
    await openMessage(page, sjisSubject);
    assert.ok((await page.locator('dd.from').textContent())!.includes('佐藤花子'));
    assert.ok((await page.locator('pre.body').textContent())!.includes(sjisText));
    // HTML mail: nothing in it runs
    await openMessage(page, 'html-inert');
    // (in its sandboxed frame; the full corpus is xss-frame.test.ts)
    const frameBody = page.frameLocator('iframe.html-body').locator('body');
    assert.ok((await frameBody.textContent())!.includes('visible words'));
    assert.equal(await page.evaluate('document.body.dataset.pwned ?? null'), null);
    assert.equal(await frameBody.evaluate((b) => b.dataset.pwned ?? null), null);
    assert.equal(await page.locator('main img, main svg, main a#js').count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'read-html-inert-ja.png'), fullPage: true });

    // reply to the ISO-2022-JP message, to taro (a local user)
    await openMessage(page, jisSubject);
    await Promise.all([page.waitForURL(/\/compose\?reply=/), page.click('p.reply-links a >> nth=0')]);
    assert.equal(await page.inputValue('#c-subject'), `Re: ${jisSubject}`);
    await page.fill('#c-to', `太郎 <${TARO}>`);
    const body = await page.inputValue('#c-body');
    assert.ok(body.includes(`> ${jisText}`), 'the original is quoted');
    await page.fill('#c-body', `承知しました。来週伺います。\n${body}`);
    // a file with a Japanese name, uploaded by web.js through JMAP as soon as it is chosen
    await page.setInputFiles('#c-file', { name: '議事録（第三回）.txt', mimeType: 'text/plain', buffer: Buffer.from('議事録の本文です。\n', 'utf8') });
    await page.locator('ul.uploads li[data-uploaded="true"]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(SHOTS, 'compose-reply-ja.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/mail\?done=sent/), page.click('button[value="send"]')]);
    assert.ok((await page.locator('p.notice[data-done="sent"]').textContent())!.includes('送信しました'));
    const file = await srv.waitForMessage(TARO, '<browser-jis@example.org>', 120_000);
    const got = await simpleParser(fs.readFileSync(file));
    assert.equal(got.subject, `Re: ${jisSubject}`);
    assert.ok(got.text?.includes('承知しました。来週伺います。'), got.text);
    assert.equal(got.inReplyTo, '<browser-jis@example.org>');
    assert.equal(got.from?.value[0].address, HANAKO);
    assert.equal(got.attachments.length, 1);
    assert.equal(got.attachments[0].filename, '議事録（第三回）.txt');
    assert.equal(got.attachments[0].content.toString('utf8'), '議事録の本文です。\n');

    // Japanese search finds the Shift_JIS one by a word of its body
    await page.goto(`${base()}/mail`);
    await page.fill('form.search input[name="q"]', '請求書');
    await Promise.all([page.waitForURL(/\/mail\?q=/), page.press('form.search input[name="q"]', 'Enter')]);
    assert.equal(await page.locator('td.subject a', { hasText: sjisSubject }).count(), 1);
    assert.equal(await page.locator('td.subject a', { hasText: jisSubject }).count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'search-ja.png'), fullPage: true });
    await page.close();
  });

  it('works in English: folders, the message list and the settings, with select-all from the page script', async () => {
    const page = await signIn('en');
    assert.equal(await page.locator('main h1').first().textContent(), 'Inbox');
    assert.ok((await page.locator('nav.folders').textContent())!.includes('Sent'));
    await page.check('input.select-all');
    const boxes = page.locator('input[name="id"]');
    const n = await boxes.count();
    assert.ok(n >= 3);
    for (let i = 0; i < n; i++) assert.equal(await boxes.nth(i).isChecked(), true, 'web.js checked every row');
    await page.uncheck('input.select-all');
    // new mail while the list is open: the page hears it from the JMAP event source
    assert.equal(await page.locator('p.new-mail').isVisible(), false);
    await smtp(Buffer.from(`From: pusher@example.org\r\nTo: ${HANAKO}\r\nSubject: pushed while open\r\n\r\nhello\r\n`));
    await page.locator('p.new-mail').waitFor({ state: 'visible', timeout: 60_000 });
    await page.screenshot({ path: path.join(SHOTS, 'inbox-en.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/mail/), page.click('p.new-mail a')]);
    assert.equal(await page.locator('td.subject a', { hasText: 'pushed while open' }).count(), 1);
    await page.goto(`${base()}/settings`);
    await page.check('input[name="enabled"]');
    await page.fill('#v-subject', 'Away');
    await page.fill('#v-text', 'Back on Monday.');
    await Promise.all([page.waitForURL(/done=vacation/), page.click('#vacation button[type="submit"]')]);
    assert.ok((await page.locator('#vacation p.notice').textContent())!.includes('saved'));
    await page.screenshot({ path: path.join(SHOTS, 'settings-en.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/login\?bye=1/), page.click('form.logout button')]);
    await page.close();
    assert.deepEqual(problems, []);
  });
});
