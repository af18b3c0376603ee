// The webmail's writing settings in a real browser: Debian's Chromium (headless, playwright-core, never a
// downloaded browser) against a real `tegami serve` with SMTP, IMAP and the webmail. In Japanese, then in English:
// a signature saved and put into a new message, an identity for another user's address refused, a rule saved in
// the IMail form and then applied by delivery to mail sent over SMTP (it lands in the folder the rule names), a raw
// Sieve script with a syntax error refused with its line (the rule stays active), a message sent in ISO-2022-JP
// read back through our IMAP by Python's imaplib and email package, a character outside JIS X 0208 refused on the
// page, and the language chosen in the settings. No CSP violation, no page error. Screenshots in reports/webmail/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { type BrowserContext, type Page } from 'playwright-core';
import { noChromium, openChromium, webmailSignIn, type Chromium } from '../../helpers/chromium.js';
import { ROOT, startTestServer, type TestServer } from '../../helpers/server.js';
import { encodedWord, toIso2022jp } from '../../spam/mail.js';

const SHOTS = path.join(ROOT, 'reports', 'webmail');
const IMAP_FETCH = path.join(ROOT, 'test', 'web', 'webmail', 'imap-fetch.py');
const HANAKO = 'hanako@example.jp';
const TARO = 'taro@example.jp';
const PW = 'hanako password 1';
const TARO_PW = 'taro password 1';
const skip = noChromium;

describe('webmail settings in Chromium', { skip, timeout: 600_000 }, () => {
  let srv: TestServer;
  let chrome: Chromium | undefined;
  let browser: BrowserContext;
  let problems: string[] = [];
  const base = () => `https://127.0.0.1:${srv.ports.webmail}`;

  before(async () => {
    srv = await startTestServer({
      listeners: ['smtp', 'imap', 'webmail'],
      domains: ['example.jp'],
      users: [{ address: HANAKO, password: PW }, { address: TARO, password: TARO_PW }],
      toml: '[spam]\nmove_to_spam_folder = false\n',
    });
    for (const lang of ['ja', 'en']) {
      const r = srv.cli(['alias', 'add', `info-${lang}@example.jp`, HANAKO]);
      assert.equal(r.status, 0, r.stderr);
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    chrome = await openChromium({ width: 1200, height: 900 });
    browser = chrome.context;
    problems = chrome.problems;
  });

  after(async () => {
    await chrome?.close();
    await srv?.stop();
  });

  const signIn = (lang: 'ja' | 'en'): Promise<Page> => webmailSignIn(browser, base(), HANAKO, PW, lang);

  async function smtp(raw: Buffer): Promise<void> {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: srv.ports.smtp, secure: false, ignoreTLS: true });
    try {
      await t.sendMail({ envelope: { from: 'billing@example.org', to: [HANAKO] }, raw });
    } finally {
      t.close();
    }
  }

  const submit = (page: Page, selector: string) => Promise.all([page.waitForNavigation(), page.click(selector)]);

  for (const lang of ['ja', 'en'] as const) {
    it(`signature, identities, rules applied at delivery, raw Sieve, ISO-2022-JP sending and language (${lang})`, async () => {
      const page = await signIn(lang);
      const folder = lang === 'ja' ? '経理' : 'Billing';
      const word = lang === 'ja' ? '請求書' : 'invoice';
      const tag = `${lang}-${Date.now()}`;

      // signature on the default identity
      await page.goto(`${base()}/settings#identity`);
      const mine = page.locator(`form.identity[data-identity="${HANAKO}"]`);
      await mine.locator('textarea[name="signature"]').fill(`花子 ${lang}`);
      await Promise.all([page.waitForURL(/done=identity/), mine.locator('button[value="save"]').click()]);
      // an identity for another user's address: refused on the page
      const fresh = page.locator('form.identity[data-identity=""]');
      await fresh.locator('input[name="email"]').fill(TARO);
      await fresh.locator('button[value="save"]').click();
      await page.waitForSelector('.error[data-form="identity"]');
      assert.match(await page.locator('.error[data-form="identity"]').innerText(), /taro@example\.jp/);
      // an identity for an alias of the user: accepted, with its own signature
      await page.goto(`${base()}/settings#identity`);
      const alias = page.locator('form.identity[data-identity=""]');
      await alias.locator('input[name="email"]').fill(`info-${lang}@example.jp`);
      await alias.locator('input[name="name"]').fill(lang === 'ja' ? 'お問い合わせ窓口' : 'Help desk');
      await alias.locator('textarea[name="signature"]').fill(`窓口 ${lang}`);
      await Promise.all([page.waitForURL(/done=identity/), alias.locator('button[value="save"]').click()]);
      assert.equal(await page.locator(`form.identity[data-identity="info-${lang}@example.jp"]`).count(), 1);
      await page.screenshot({ path: path.join(SHOTS, `settings-identities-${lang}.png`), fullPage: true });
      // in the composer, the signature follows the identity chosen
      await page.goto(`${base()}/compose`);
      assert.equal(await page.inputValue('#c-body'), `\n\n-- \n花子 ${lang}`);
      await page.selectOption('#c-from', { label: lang === 'ja' ? `お問い合わせ窓口 <info-${lang}@example.jp>` : `Help desk <info-${lang}@example.jp>` });
      assert.equal(await page.inputValue('#c-body'), `\n\n-- \n窓口 ${lang}`);
      await page.selectOption('#c-from', { index: 0 });
      assert.equal(await page.inputValue('#c-body'), `\n\n-- \n花子 ${lang}`);

      // the folder, then the rule in the IMail form
      await page.goto(`${base()}/folders`);
      await page.fill('#f-new', folder);
      await submit(page, 'form.folder-create button[type="submit"]');
      await page.goto(`${base()}/settings/rules`);
      const row = page.locator('fieldset.rule[data-rule="0"]');
      await row.locator('input[name="r.0.name"]').fill(`rule ${lang}`);
      await row.locator('input[name="r.0.c.0.value"]').fill(`${word} ${tag}`);
      await row.locator('select[name="r.0.action"]').selectOption('move');
      await row.locator('input[name="r.0.arg"]').fill(folder);
      await Promise.all([page.waitForURL(/done=form/), page.click('#rule-form button[type="submit"]')]);
      assert.equal(await page.locator('tr[data-script="rules"]').getAttribute('data-active'), '');
      // a raw script with a syntax error: refused with its line, the rule stays active
      await page.fill('#s-name', 'broken');
      await page.fill('#s-text', 'require "fileinto";\nif true {\n  fileintoo "x";\n}\n');
      await page.check('input[name="activate"]');
      await page.click('#raw button[type="submit"]');
      await page.waitForSelector('.field-error[data-field="script"]');
      assert.match(await page.locator('.field-error[data-field="script"]').first().innerText(), lang === 'ja' ? /3/ : /Line 3, column 3/);
      await page.screenshot({ path: path.join(SHOTS, `settings-rules-${lang}.png`), fullPage: true });
      assert.equal(await page.locator('tr[data-script="broken"]').count(), 0);
      assert.equal(await page.locator('tr[data-script="rules"]').getAttribute('data-active'), '');

      // mail sent over SMTP (ISO-2022-JP subject) lands in the folder the rule names
      const subject = `${word} ${tag}`;
      await smtp(Buffer.concat([
        Buffer.from(`From: billing@example.org\r\nTo: ${HANAKO}\r\nSubject: ${encodedWord(subject, 'ISO-2022-JP')}\r\nMessage-ID: <rule-${tag}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n`),
        toIso2022jp('今月分です。\r\n'),
      ]));
      const deadline = Date.now() + 60_000;
      for (;;) {
        await page.goto(`${base()}/mail`);
        await Promise.all([page.waitForURL(/mb=/), page.locator('[data-mailbox] a', { hasText: folder }).first().click()]);
        if ((await page.locator('td.subject a', { hasText: subject }).count()) > 0) break;
        if (Date.now() > deadline) assert.fail(`"${subject}" never reached ${folder}`);
        await page.waitForTimeout(500);
      }
      await page.goto(`${base()}/mail`);
      assert.equal(await page.locator('td.subject a', { hasText: subject }).count(), 0, 'not in the inbox');

      // a new message: the signature is there; sent in ISO-2022-JP to Taro, read through IMAP by Python
      await page.goto(`${base()}/compose`);
      assert.equal(await page.inputValue('#c-body'), `\n\n-- \n花子 ${lang}`);
      const jisSubject = `ｶﾀｶﾅと漢字の件名 ${tag}`;
      await page.fill('#c-to', TARO);
      await page.fill('#c-subject', jisSubject);
      await page.fill('#c-body', `本文です。\n\n-- \n花子 ${lang}`);
      await page.selectOption('#c-charset', 'iso-2022-jp');
      await Promise.all([page.waitForURL(/done=sent/), page.click('button[value="send"]')]);
      // a character ISO-2022-JP cannot carry: refused on the page, the text kept
      await page.goto(`${base()}/compose`);
      await page.fill('#c-to', TARO);
      await page.fill('#c-subject', '丸数字');
      await page.fill('#c-body', '① です');
      await page.selectOption('#c-charset', 'iso-2022-jp');
      await page.click('button[value="send"]');
      await page.waitForSelector('p.error[role="alert"]');
      assert.match(await page.locator('p.error[role="alert"]').innerText(), /①/);
      assert.equal(await page.inputValue('#c-body'), '① です');
      await page.screenshot({ path: path.join(SHOTS, `compose-iso2022jp-refused-${lang}.png`), fullPage: true });

      let got: { subject: string; text: string; charset: string; cte: string; sevenBit: boolean } | undefined;
      const until = Date.now() + 60_000;
      while (!got) {
        const lines = execFileSync('python3', [IMAP_FETCH, '127.0.0.1', String(srv.ports.imap), TARO, TARO_PW], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
        got = lines.find((m) => m.subject.includes(tag));
        if (!got && Date.now() > until) assert.fail('the ISO-2022-JP message never reached Taro');
        if (!got) await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(got.subject, `カタカナと漢字の件名 ${tag}`);
      assert.equal(got.text.replace(/\n$/, ''), `本文です。\n\n-- \n花子 ${lang}`);
      assert.equal(got.charset, 'iso-2022-jp');
      assert.equal(got.cte, '7bit');
      assert.ok(got.sevenBit);

      // the language chosen in the settings, whatever the browser asks
      const other = lang === 'ja' ? 'en' : 'ja';
      await page.goto(`${base()}/settings#prefs`);
      await page.selectOption('#p-lang', other);
      await Promise.all([page.waitForURL(/done=prefs/), page.click('#prefs button[type="submit"]')]);
      assert.equal(await page.getAttribute('html', 'lang'), other);
      await page.goto(`${base()}/mail`);
      assert.equal(await page.getAttribute('html', 'lang'), other);
      await page.screenshot({ path: path.join(SHOTS, `settings-language-${lang}-to-${other}.png`) });
      await page.goto(`${base()}/settings#prefs`);
      await page.selectOption('#p-lang', '');
      await Promise.all([page.waitForURL(/done=prefs/), page.click('#prefs button[type="submit"]')]);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await page.close();
      assert.deepEqual(problems, []);
    });
  }
});
