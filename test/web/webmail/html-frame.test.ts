// HTML mail's frame over inject(), on the real JMAP service and Maildir store: the reading page shows an
// <iframe sandbox> (no allow-scripts, no allow-same-origin) whose document has its own CSP (no remote images until
// asked, for that view only), HTML parts in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8 decoded whether the MIME
// header or only a <meta> names the charset, cid: images inlined from the message, links to a new window with
// noopener, another user's message 404, and a text message still shown as text. (In Chromium: xss-frame.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { jmapFixture, message, OTHER, PASSWORD, USER, type JmapFixture } from '../../jmap/helpers.js';
import { toIso2022jp } from '../../spam/mail.js';
import { Browser } from '../helpers.js';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture({ webmail: true });
});
after(() => f.close());

async function signedIn(user = USER): Promise<Browser> {
  const b = new Browser(f.app, { 'accept-language': 'en' });
  const r = await b.login(user, PASSWORD);
  assert.equal(r.statusCode, 303, r.body.slice(0, 300));
  return b;
}

async function append(raw: Buffer, user = USER): Promise<string> {
  await f.store.append(user, 'INBOX', raw);
  const boxes = (await f.call('Mailbox/get', { ids: null }, { user })).args.list as { id: string; role: string | null }[];
  const inbox = boxes.find((m) => m.role === 'inbox')!.id;
  const q = await f.call('Email/query', { filter: { inMailbox: inbox }, sort: [{ property: 'receivedAt', isAscending: false }], limit: 1 }, { user });
  return (q.args.ids as string[])[0];
}

const htmlMail = (body: string | Buffer, contentType = 'text/html; charset=UTF-8', subject = 'html'): Buffer =>
  Buffer.concat([
    Buffer.from([`From: Shop <shop@example.org>`, `To: ${USER}`, `Subject: ${subject}`, 'MIME-Version: 1.0', `Content-Type: ${contentType}`, '', ''].join('\r\n')),
    Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    Buffer.from('\r\n'),
  ]);

const JA = '来週の打ち合わせの件でご連絡いたしました。';

describe('the HTML frame of the reading page', () => {
  it('frames HTML mail in a sandbox with its own CSP: remote images blocked and counted, allowed for one view on request', async () => {
    const id = await append(htmlMail('<p>sale</p><img src="https://tracker.example/a.gif"><img src="//tracker.example/b.gif"><a href="https://shop.example/">shop</a><p style="background:url(https://tracker.example/c)">x</p>'));
    const b = await signedIn();
    const read = await b.get(`/mail/message/${id}`);
    assert.equal(read.statusCode, 200);
    const frameTag = /<iframe [^>]*>/.exec(read.body)![0];
    assert.match(frameTag, /sandbox="allow-popups allow-popups-to-escape-sandbox"/);
    assert.doesNotMatch(frameTag, /allow-scripts|allow-same-origin/);
    assert.match(frameTag, new RegExp(`src="/mail/message/${id}/frame"`));
    assert.match(read.headers['content-security-policy'] as string, /frame-src 'self'/);
    assert.match(read.headers['content-security-policy'] as string, /frame-ancestors 'none'/);
    assert.match(read.body, /<p class="images-bar" data-images="blocked" data-blocked="2">2 remote images were blocked/);
    assert.match(read.body, new RegExp(`href="/mail/message/${id}\\?images=1"`));

    const frame = await b.get(`/mail/message/${id}/frame`);
    assert.equal(frame.statusCode, 200);
    const csp = frame.headers['content-security-policy'] as string;
    assert.equal(csp, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox");
    assert.equal(frame.headers['x-frame-options'], 'SAMEORIGIN');
    assert.ok(!frame.body.includes('tracker.example/a.gif') && !frame.body.includes('tracker.example/b.gif'), 'no remote image URL while blocked');
    assert.ok(!/url\(/i.test(frame.body), 'no CSS url()');
    assert.match(frame.body, /<a href="https:\/\/shop\.example\/" target="_blank" rel="noopener noreferrer">shop<\/a>/);

    const shown = await b.get(`/mail/message/${id}?images=1`);
    assert.match(shown.body, /data-images="shown"/);
    assert.match(shown.body, new RegExp(`src="/mail/message/${id}/frame\\?images=1"`));
    const open = await b.get(`/mail/message/${id}/frame?images=1`);
    assert.match(open.headers['content-security-policy'] as string, /img-src data: https: http:;/);
    assert.ok(open.body.includes('src="https://tracker.example/a.gif"') && open.body.includes('src="https://tracker.example/b.gif"'));
    assert.ok(!/url\(/i.test(open.body), 'CSS url() stays out even with images shown');
    // the next view blocks again
    assert.match((await b.get(`/mail/message/${id}`)).body, /data-images="blocked"/);
  });

  it('decodes HTML parts in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8, named by MIME or only by <meta>', async () => {
    const doc = (meta: string) => `<html><head>${meta}</head><body><p>${JA}</p></body></html>`;
    const cases: { label: string; raw: Buffer }[] = [
      { label: 'ISO-2022-JP by MIME', raw: htmlMail(toIso2022jp(doc('')), 'text/html; charset=ISO-2022-JP') },
      { label: 'Shift_JIS by MIME', raw: htmlMail(iconv.encode(doc(''), 'cp932'), 'text/html; charset=Shift_JIS') },
      { label: 'Shift_JIS by meta charset', raw: htmlMail(iconv.encode(doc('<meta charset="Shift_JIS">'), 'cp932'), 'text/html') },
      { label: 'EUC-JP by http-equiv', raw: htmlMail(iconv.encode(doc('<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">'), 'euc-jp'), 'text/html') },
      { label: 'ISO-2022-JP by meta charset', raw: htmlMail(toIso2022jp(doc('<meta charset="iso-2022-jp">')), 'text/html') },
      { label: 'UTF-8 by meta charset', raw: htmlMail(Buffer.from(doc('<meta charset="utf-8">'), 'utf8'), 'text/html') },
    ];
    const b = await signedIn();
    for (const c of cases) {
      const id = await append(c.raw);
      const frame = await b.get(`/mail/message/${id}/frame`);
      assert.equal(frame.statusCode, 200, c.label);
      assert.ok(frame.body.includes(`<p>${JA}</p>`), `${c.label}: ${frame.body.slice(0, 400)}`);
    }
  });

  it('shows cid: images of the message from its own parts, as data: URIs, and no other cid', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    const body = [
      '--rel', 'Content-Type: text/html; charset=UTF-8', '', '<p>logo</p><img src="cid:logo@shop.example" alt="logo"><img src="cid:missing@shop.example" alt="gone">', '',
      '--rel', 'Content-Type: image/png', 'Content-Transfer-Encoding: base64', 'Content-ID: <logo@shop.example>', 'Content-Disposition: inline', '', png.toString('base64'), '',
      '--rel--', '',
    ].join('\r\n');
    const id = await append(htmlMail(body, 'multipart/related; boundary="rel"; type="text/html"'));
    const b = await signedIn();
    const frame = await b.get(`/mail/message/${id}/frame`);
    assert.ok(frame.body.includes(`<img alt="logo" src="data:image/png;base64,${png.toString('base64')}" />`), frame.body);
    assert.match(frame.body, /<img alt="gone" \/>/);
    assert.doesNotMatch((await b.get(`/mail/message/${id}`)).body, /images-bar/, 'inline images are not remote images');
  });

  it('answers 404 for another user\'s message frame, and shows a text message as text without a frame', async () => {
    const theirs = await append(htmlMail('<p>private</p>'), OTHER);
    const b = await signedIn();
    const r = await b.get(`/mail/message/${theirs}/frame`);
    assert.equal(r.statusCode, 404);
    assert.ok(!r.body.includes('private'));
    const text = await append(message({ subject: 'plain', body: 'just text <b>not bold</b>' }));
    const read = await b.get(`/mail/message/${text}`);
    assert.match(read.body, /<pre class="body">just text &lt;b&gt;not bold&lt;\/b&gt;/);
    assert.doesNotMatch(read.body, /<iframe/);
    assert.equal((await b.get(`/mail/message/${text}/frame`)).statusCode, 404);
  });
});
