// The XSS corpus against the HTML frame, in Debian's Chromium (playwright-core) and a real `tegami serve`: each
// hostile message (scripts, event attributes, javascript: links, CSS exfiltration, meta refresh, SVG, <base>,
// forms, srcdoc, object/embed, <link>, a noscript mutation) is delivered by SMTP, opened, and found inert in the DOM:
// the marker its payload would set stays unset in the frame and on the page, the frame stays where it was, and no
// request reaches the local HTTP listener that plays the "remote" host. Then a newsletter with a remote <img> and a
// CSS url(): nothing reaches the listener until "show images" is clicked, then the <img> does and the CSS does not.
// Last, the threads view: a conversation delivered by SMTP shown as one row, expanded, in Japanese and English.
// Screenshots of the frame blocked and allowed and of the threads view, in Japanese and English, in reports/webmail/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { type BrowserContext, type Frame, type Page } from 'playwright-core';
import { noChromium, openChromium, webmailSignIn, type Chromium } from '../../helpers/chromium.js';
import { ROOT, startTestServer, type TestServer } from '../../helpers/server.js';

const SHOTS = path.join(ROOT, 'reports', 'webmail');
const USER = 'hanako@example.jp';
const PW = 'hanako password 1';
const skip = noChromium;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** The hostile bodies; R is replaced by the listener's origin, M(x) by code that would set the marker to x. */
const CORPUS: { name: string; html: string }[] = [
  { name: 'script', html: '<script>M(script)</script><script src="R/script.js"></script><p>s</p>' },
  { name: 'event attributes', html: '<img src="x" onerror="M(onerror)"><body onload="M(onload)"><div onmouseover="M(over)" id="hover">hover</div><details open ontoggle="M(toggle)"><summary>d</summary></details><video src="R/video" onerror="M(video)"></video>' },
  { name: 'javascript link', html: '<a id="click" href="javascript:M(jslink)">click me</a><a href="JaVaScRiPt&#58;M(jsent)">two</a><a href="data:text/html,<script>M(data)</script>">three</a>' },
  { name: 'css exfiltration', html: '<style>body{background:url(R/css-bg)} @import url(R/css-import); @font-face{font-family:x;src:url(R/css-font)} p{font-family:x} .e{background:u\\72l(R/css-escape)} .s{background-image:image-set("R/css-imageset" 1x)}</style><p class="e s" style="background-image:url(\'R/css-inline\')">styled</p>' },
  { name: 'meta refresh', html: '<meta http-equiv="refresh" content="0;url=R/refresh"><p>wait</p>' },
  { name: 'svg', html: '<svg onload="M(svg)"><script>M(svgscript)</script><image href="R/svg-image"/><foreignObject><img src="R/svg-fo"></foreignObject><a href="javascript:M(svglink)"><text y="20">svg</text></a></svg><img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=">' },
  { name: 'base', html: '<base href="R/base/"><a id="click" href="relative">rel</a><img src="relative.png"><p>b</p>' },
  { name: 'form', html: '<form action="R/form" method="post"><input name="a" value="1"><button id="click" type="submit">go</button></form><button formaction="R/formaction">x</button><input type="image" src="R/input-image">' },
  { name: 'srcdoc and frames', html: '<iframe srcdoc="<script>parent.M(srcdoc)</script><img src=R/srcdoc-img>"></iframe><iframe src="R/iframe"></iframe><frameset><frame src="R/frame"></frameset><p>f</p>' },
  { name: 'object, embed, link', html: '<object data="R/object"></object><embed src="R/embed"><link rel="stylesheet" href="R/link-css"><link rel="prefetch" href="R/prefetch"><audio src="R/audio" autoplay></audio><p>o</p>' },
  { name: 'noscript mutation', html: '<noscript><p title="</noscript><img src=x onerror=M(mxss)>"></noscript><p>n</p>' },
];

describe('reading in Chromium: the HTML frame against an XSS corpus, and the threads view', { skip, timeout: 600_000 }, () => {
  let srv: TestServer;
  let remote: http.Server;
  let origin = '';
  const hits: string[] = [];
  let chrome: Chromium | undefined;
  let browser: BrowserContext;
  const base = () => `https://127.0.0.1:${srv.ports.webmail}`;

  async function smtp(raw: string): Promise<void> {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: srv.ports.smtp, secure: false, ignoreTLS: true });
    try {
      await t.sendMail({ envelope: { from: 'sender@example.org', to: [USER] }, raw: Buffer.from(raw, 'utf8') });
    } finally {
      t.close();
    }
  }

  const mail = (id: string, subject: string, html: string) =>
    [`From: Sender <sender@example.org>`, `To: ${USER}`, `Subject: ${subject}`, `Message-ID: <${id}@example.org>`, 'MIME-Version: 1.0', 'Content-Type: text/html; charset=UTF-8', '', html, ''].join('\r\n');

  before(async () => {
    remote = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': req.url?.startsWith('/img') ? 'image/png' : 'text/plain' });
      res.end(req.url?.startsWith('/img') ? PNG : 'M');
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
    srv = await startTestServer({
      listeners: ['smtp', 'webmail'],
      domains: ['example.jp'],
      users: [{ address: USER, password: PW }],
      // hostile HTML is (rightly) judged spam; this test reads it in the inbox
      toml: '[spam]\nmove_to_spam_folder = false\n',
    });
    fs.mkdirSync(SHOTS, { recursive: true });
    chrome = await openChromium({ width: 1200, height: 900 });
    browser = chrome.context;
    const fill = (s: string) => s.replace(/R\//g, `${origin}/`).replace(/M\((\w+)\)/g, "document.documentElement.dataset.pwned='$1'");
    for (const [i, c] of CORPUS.entries()) await smtp(mail(`xss-${i}`, `xss-${String(i).padStart(2, '0')} ${c.name}`, fill(c.html)));
    const news = `<html><head><style>.hero{background:url(${origin}/css-probe)}</style></head><body><style title="x" media="screen">.hero2{background:url(${origin}/css-attr-probe)} @import url(${origin}/css-attr-import);</style><h1 class="hero hero2">今週のお知らせ / This week</h1><p>新商品のご案内です。New arrivals are here.</p>` +
      `<p><img src="${origin}/img-probe" width="240" height="80" alt="banner"></p><p><a href="https://shop.example/">ショップへ / Visit the shop</a></p></body></html>`;
    await smtp(mail('news', 'newsletter ニュースレター', news));
    for (let i = 0; i < 3; i++) {
      const refs = Array.from({ length: i }, (_, k) => `<conv-${k}@example.org>`).join(' ');
      const head = [`From: ${i % 2 ? 'Taro <taro@example.org>' : 'Sato <sato@example.org>'}`, `To: ${USER}`, `Subject: ${i ? 'Re: ' : ''}=?UTF-8?B?${Buffer.from('来週の打ち合わせ').toString('base64')}?=`, `Message-ID: <conv-${i}@example.org>`, ...(i ? [`In-Reply-To: <conv-${i - 1}@example.org>`, `References: ${refs}`] : []), 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', '', `${['日程はいかがでしょうか。', '火曜日の午後でお願いします。', '承知しました。'][i]}`, ''];
      await smtp(head.join('\r\n'));
      await srv.waitForMessage(USER, `<conv-${i}@example.org>`, 120_000);
    }
    for (const id of [...CORPUS.keys()].map((i) => `xss-${i}`).concat('news')) await srv.waitForMessage(USER, `<${id}@example.org>`, 120_000);
  });

  after(async () => {
    await chrome?.close();
    await srv?.stop();
    await new Promise<void>((r) => remote?.close(() => r()));
  });

  const signIn = (lang: 'ja' | 'en'): Promise<Page> => webmailSignIn(browser, base(), USER, PW, lang);

  async function open(page: Page, subject: string): Promise<Frame> {
    await page.goto(`${base()}/mail?q=${encodeURIComponent(subject)}`);
    const link = page.locator('td.subject a', { hasText: subject });
    await Promise.all([page.waitForURL(/\/mail\/message\//), link.first().click()]);
    await page.waitForLoadState('load');
    const el = await page.waitForSelector('iframe.html-body');
    const sandbox = (await el.getAttribute('sandbox')) ?? '';
    assert.ok(!/allow-scripts|allow-same-origin/.test(sandbox), sandbox);
    const frame = await el.contentFrame();
    assert.ok(frame, 'the frame has a document');
    return frame;
  }

  it('keeps every hostile message inert: no marker set, no navigation, no request to the remote host', async () => {
    // each message in a tab of its own, all open at once, so one wait covers them all (it was 1.5 s per message)
    const pages = [await signIn('en')];
    for (let i = 1; i < CORPUS.length; i++) pages.push(await browser.newPage());
    const windows = browser.pages().length;
    const views: { name: string; page: Page; frame: Frame; frameUrl: string }[] = [];
    for (const [i, c] of CORPUS.entries()) {
      const page = pages[i];
      const frame = await open(page, `xss-${String(i).padStart(2, '0')}`);
      const frameUrl = frame.url();
      // what a user would do: hover, click the links and buttons the message offers
      for (const sel of ['#hover', '#click']) if (await frame.locator(sel).count()) await frame.locator(sel).first().click({ timeout: 5_000, noWaitAfter: true }).catch(() => undefined);
      views.push({ name: c.name, page, frame, frameUrl });
    }
    await pages[0].waitForTimeout(1_500); // a meta refresh of 0 s, a timer or an onload would have run by now in every tab
    for (const { name, page, frame, frameUrl } of views) {
      assert.equal(await frame.locator('html').evaluate((h) => h.dataset.pwned ?? null), null, `${name}: the frame's marker`);
      assert.equal(await page.evaluate('document.documentElement.dataset.pwned ?? null'), null, `${name}: the page's marker`);
      assert.equal(frame.url(), frameUrl, `${name}: the frame did not navigate`);
      assert.equal(await frame.locator('script, iframe, object, embed, form, input, button, base, meta[http-equiv], link, svg, noscript, [onerror], [onload]').count(), 0, `${name}: no active element in the frame`);
      assert.equal(await frame.locator('a[href^="javascript:" i], a[href^="data:" i]').count(), 0, `${name}: no script link`);
      assert.equal(browser.pages().length, windows, `${name}: no window opened`);
      assert.deepEqual(hits, [], `${name}: nothing reached the remote host`);
    }
    for (const page of pages) await page.close();
  });

  it('blocks remote images until "show images", then loads the <img> for that view only, never the CSS url()', async () => {
    for (const lang of ['ja', 'en'] as const) {
      hits.length = 0;
      const page = await signIn(lang);
      const frame = await open(page, 'newsletter');
      await page.waitForTimeout(1_000);
      assert.deepEqual(hits, [], 'nothing fetched while blocked');
      const bar = page.locator('p.images-bar[data-images="blocked"]');
      assert.equal(await bar.getAttribute('data-blocked'), '1');
      assert.ok((await bar.textContent())!.includes(lang === 'ja' ? '外部画像 1 件' : '1 remote images'));
      assert.ok((await frame.locator('h1').textContent())!.includes('今週のお知らせ'));
      const link = frame.locator('a', { hasText: 'shop' });
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
      await page.screenshot({ path: path.join(SHOTS, `html-frame-blocked-${lang}.png`), fullPage: true });

      await Promise.all([page.waitForURL(/images=1/), page.click('a.show-images')]);
      const shown = await (await page.waitForSelector('iframe.html-body')).contentFrame();
      const banner = 'document.querySelector(\'img[alt="banner"]\')';
      await shown!.waitForFunction(`${banner} && ${banner}.complete`, undefined, { timeout: 30_000 });
      assert.equal(await shown!.evaluate(`${banner}.naturalWidth`), 1, 'the remote image loaded');
      assert.deepEqual(hits, ['/img-probe'], 'the <img> only, not the CSS url()');
      await page.screenshot({ path: path.join(SHOTS, `html-frame-allowed-${lang}.png`), fullPage: true });

      // the next view of the message blocks again
      hits.length = 0;
      await page.goto(page.url().replace(/\?images=1$/, ''));
      await page.waitForSelector('p.images-bar[data-images="blocked"]');
      await page.waitForTimeout(1_000);
      assert.deepEqual(hits, []);
      await page.close();
    }
  });

  it('shows a conversation as one row in the threads view, expands it, and remembers the choice', async () => {
    for (const lang of ['ja', 'en'] as const) {
      const page = await signIn(lang);
      await Promise.all([page.waitForURL(/view=threads/), page.click('p.view-toggle a[data-view="threads"]')]);
      const row = page.locator('tr.thread', { hasText: '来週の打ち合わせ' });
      assert.equal(await row.count(), 1);
      assert.equal(await row.getAttribute('data-count'), '3');
      assert.ok((await row.locator('a.thread-count').textContent())!.includes(lang === 'ja' ? '3 通' : '3 messages'));
      await Promise.all([page.waitForURL(/thread=/), row.locator('a.thread-count').click()]);
      assert.equal(await page.locator('tr.member').count(), 3);
      await page.screenshot({ path: path.join(SHOTS, `threads-${lang}.png`), fullPage: true });
      await page.goto(`${base()}/mail`);
      assert.equal(await page.locator('tr.thread', { hasText: '来週の打ち合わせ' }).count(), 1, 'the choice is remembered');
      await Promise.all([page.waitForURL(/view=messages/), page.click('p.view-toggle a[data-view="messages"]')]);
      assert.equal(await page.locator('tr.thread').count(), 0);
      await page.close();
    }
  });
});
