// The webmail pages over inject(), on the real JMAP service, database and Maildir store: login, folders with
// unread counts, paging, Japanese mail in every charset read right, hostile subjects/names shown as text (HTML in its frame),
// another user's ids answered 404 and left alone, CSRF, compose/reply/forward through EmailSubmission with the
// From limited to the user's identities, move/delete/flag/spam, Japanese search, settings, both languages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jmapFixture, message, OTHER, PASSWORD, USER, type JmapFixture } from '../../jmap/helpers.js';
import { japaneseCases } from '../../jmap/corpus.js';
import { encodedWord, toIso2022jp } from '../../spam/mail.js';
import { Browser } from '../helpers.js';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture({ webmail: true });
});
after(() => f.close());

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`').replace(/&amp;/g, '&');

async function signedIn(user = USER, lang: 'en' | 'ja' = 'en'): Promise<Browser> {
  const b = new Browser(f.app, { 'accept-language': lang });
  const r = await b.login(user, PASSWORD);
  assert.equal(r.statusCode, 303, r.body.slice(0, 300));
  return b;
}

async function mailboxId(role: string, user = USER): Promise<string> {
  const r = await f.call('Mailbox/get', { ids: null }, { user });
  return (r.args.list as { id: string; role: string | null }[]).find((m) => m.role === role)!.id;
}

async function emailsIn(role: string, user = USER): Promise<string[]> {
  const r = await f.call('Email/query', { filter: { inMailbox: await mailboxId(role, user) } }, { user });
  return r.args.ids as string[];
}

async function append(raw: Buffer, user = USER, folder = 'INBOX'): Promise<string> {
  await f.store.append(user, folder, raw);
  const q = await f.call('Email/query', { filter: { inMailbox: await mailboxId(folder === 'INBOX' ? 'inbox' : folder.toLowerCase(), user) }, sort: [{ property: 'receivedAt', isAscending: false }], limit: 1 }, { user });
  return (q.args.ids as string[])[0];
}

/** The user's Archive folder (made when missing). */
async function archiveId(): Promise<string> {
  const list = (await f.call('Mailbox/get', { ids: null })).args.list as { id: string; name: string }[];
  const found = list.find((m) => m.name === 'Archive');
  if (found) return found.id;
  const r = await f.call('Mailbox/set', { create: { a: { name: 'Archive', parentId: null } } });
  return (r.args.created as Record<string, { id: string }>).a.id;
}

async function keywords(id: string, user = USER): Promise<Record<string, boolean>> {
  const r = await f.call('Email/get', { ids: [id], properties: ['keywords'] }, { user });
  return (r.args.list as { keywords: Record<string, boolean> }[])[0].keywords;
}

describe('webmail pages', () => {
  it('sends an anonymous visitor to the login page, and a signed-in user to the inbox', async () => {
    const anon = new Browser(f.app);
    const r = await anon.get('/mail');
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/login');
    const b = await signedIn();
    const home = await b.get('/');
    assert.equal(home.headers.location, '/mail');
    const inbox = await b.get('/mail');
    assert.equal(inbox.statusCode, 200);
    assert.match(inbox.body, /<h1>Inbox<\/h1>/);
  });

  it('lists folders with unread counts and pages through a long folder, 50 at a time', async () => {
    const mb = await archiveId();
    for (let i = 0; i < 120; i++) await f.store.append(USER, 'Archive', message({ subject: `paged ${String(i).padStart(3, '0')}` }));
    const b = await signedIn();
    const p0 = await b.get(`/mail?mb=${mb}`);
    assert.equal(p0.statusCode, 200);
    assert.equal((p0.body.match(/<tr class="unread"/g) ?? []).length, 50);
    assert.match(p0.body, new RegExp(`data-mailbox="${mb}"[^>]*><a[^>]*>[^<]*</a> <span class="unread"[^>]*>120</span>`));
    assert.match(p0.body, /rel="next" href="\/mail\?mb=[^"]*&amp;page=1"/);
    const p2 = await b.get(`/mail?mb=${mb}&page=2`);
    assert.equal((p2.body.match(/<tr class="unread"/g) ?? []).length, 20);
    assert.ok(!p2.body.includes('rel="next"'));
    assert.match(p2.body, /paged 000/, 'the oldest is on the last page');
    // sorting by subject puts "paged 000" first
    const bySubject = await b.get(`/mail?mb=${mb}&sort=subject`);
    assert.ok(bySubject.body.indexOf('paged 000') < bySubject.body.indexOf('paged 001'));
    assert.ok(!bySubject.body.includes('paged 119'));
  });

  it('reads Japanese mail in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8: subject, sender, text and file name, and marks it read', async () => {
    const b = await signedIn();
    for (const c of japaneseCases()) {
      const id = await append(c.raw);
      const r = await b.get(`/mail/message/${id}`);
      assert.equal(r.statusCode, 200, c.label);
      const text = unescape(r.body);
      assert.ok(text.includes(c.subject), `${c.label}: subject`);
      if (c.fromName) assert.ok(text.includes(c.fromName), `${c.label}: sender`);
      for (const line of c.text.split('\n')) assert.ok(text.includes(line), `${c.label}: text ${line}`);
      if (c.attachment) assert.ok(text.includes(c.attachment), `${c.label}: attachment ${c.attachment}`);
      assert.equal((await keywords(id)).$seen, true, `${c.label}: read`);
    }
  });

  it("shows the server's spam verdict on the message in both languages, and nothing for a header not in its shape", async () => {
    const spam = await append(message({ subject: 'verdict spam', extra: ['X-IMAIL-SPAM: score=12.3 threshold=5.0 verdict=spam tags=PHRASE,DNSBL(zen)'] }));
    const ham = await append(message({ subject: 'verdict ham', extra: ['X-Tegami-Spam-Status: score=-1.5 threshold=5.0 verdict=ham tags=NONE'] }));
    const odd = await append(message({ subject: 'verdict odd', extra: ['X-IMAIL-SPAM: score=<b>9</b> threshold=5 verdict=spam tags=<script>'] }));
    const none = await append(message({ subject: 'verdict none' }));
    const en = await signedIn();
    const r1 = await en.get(`/mail/message/${spam}`);
    assert.match(r1.body, /<p class="spam-verdict is-spam" data-verdict="spam">Judged spam \(score 12\.3, threshold 5\.0\)\./);
    assert.match(r1.body, /Checks that matched: PHRASE, DNSBL\(zen\)/);
    assert.match((await en.get(`/mail/message/${ham}`)).body, /data-verdict="ham">Judged not spam \(score -1\.5, threshold 5\.0\)\.<\/p>/);
    for (const id of [odd, none]) assert.ok(!(await en.get(`/mail/message/${id}`)).body.includes('spam-verdict'), id);
    const ja = await signedIn(USER, 'ja');
    assert.match(unescape((await ja.get(`/mail/message/${spam}`)).body), /迷惑メールと判定されました（スコア 12\.3、しきい値 5\.0）。/);
  });

  it('shows hostile subjects and sender names as text, and HTML bodies only in the sanitised frame', async () => {
    const hostile = '<script>document.title="pwned"</script><img src=x onerror=alert(1)>"\'`';
    const htmlBody = [
      '<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/"><style>body{background:url(https://evil.example/css)}</style></head>',
      '<body><p>見てください</p><script>alert("x")</script><a href="javascript:alert(2)">click</a>',
      '<svg onload="alert(3)"><circle r="1"/></svg><img src="https://evil.example/track.gif"></body></html>',
    ].join('');
    const raw = message({
      from: `"${hostile}" <evil@example.org>`,
      subject: encodedWord(hostile, 'UTF-8'),
      extra: ['MIME-Version: 1.0', 'Content-Type: text/html; charset=UTF-8'],
      body: htmlBody,
    });
    const id = await append(raw);
    const b = await signedIn();
    for (const url of [`/mail/message/${id}`, '/mail', `/compose?reply=${id}`, `/compose?reply=${id}&mode=forward`, `/mail?q=${encodeURIComponent('見てください')}`]) {
      const r = await b.get(url);
      assert.equal(r.statusCode, 200, url);
      for (const bad of ['<script>document', '<img src=x', '<img src="https://evil', '<svg', '<meta http-equiv', 'href="javascript:', '<style>body']) {
        assert.ok(!r.body.includes(bad), `${url}: ${bad} must not be markup`);
      }
      assert.ok(!/<script(?![^>]*src="\/static\/web\.js)/i.test(r.body), `${url}: only our own script`);
    }
    const read = await b.get(`/mail/message/${id}`);
    assert.ok(read.body.includes('&lt;script&gt;document.title='), 'the subject is shown, escaped');
    // the HTML body is in a sandboxed frame, its document sanitised: the page itself has none of its markup
    assert.match(read.body, new RegExp(`<iframe class="html-body" sandbox="allow-popups allow-popups-to-escape-sandbox"[^>]* src="/mail/message/${id}/frame"`));
    const frame = await b.get(`/mail/message/${id}/frame`);
    assert.equal(frame.statusCode, 200);
    assert.ok(frame.body.includes('見てください'), 'the HTML body is in the frame');
    for (const bad of ['<script', 'alert(', 'onload', 'onerror', 'javascript:', 'http-equiv', 'url(', 'src="https:', '<svg']) assert.ok(!frame.body.includes(bad), `frame: ${bad}`);
  });

  it('shows the real sender when a display name holds an address in angle brackets, and replies to it', async () => {
    const id = await append(message({ from: '"Boss <boss@company.example>" <evil@example.org>', subject: 'urgent transfer' }));
    const b = await signedIn();
    const read = unescape((await b.get(`/mail/message/${id}`)).body);
    assert.ok(read.includes('"Boss <boss@company.example>" <evil@example.org>'), 'the name quoted, and the real address');
    const page = await b.get(`/compose?reply=${id}`);
    const to = unescape(/id="c-to" name="to" type="text" value="([^"]*)"/.exec(page.body)![1]);
    assert.equal(to, '"Boss <boss@company.example>" <evil@example.org>');
    const identity = /<select id="c-from" name="from"><option value="([^"]+)"/.exec(page.body)![1];
    const before = f.submitted.length;
    const sent = await b.post('/compose', { from: identity, to, subject: 'Re: urgent transfer', body: 'no', orig: id, mode: 'reply', op: 'send' });
    assert.equal(sent.statusCode, 303, sent.body.slice(0, 300));
    assert.deepEqual(f.submitted[before].rcptTo, ['evil@example.org']);
  });

  it("answers 404 for another user's message everywhere and leaves it alone", async () => {
    const theirs = await append(message({ subject: 'taro private' }), OTHER);
    const b = await signedIn();
    assert.equal((await b.get(`/mail/message/${theirs}`)).statusCode, 404);
    assert.equal((await b.get(`/compose?reply=${theirs}`)).statusCode, 404);
    await b.get('/mail');
    const act = await b.post('/mail/act', { id: theirs, op: 'delete', back: '/mail' });
    assert.equal(act.statusCode, 404);
    await b.get('/mail');
    const flag = await b.post('/mail/act', { id: theirs, op: 'flag', back: '/mail' });
    assert.equal(flag.statusCode, 404);
    await b.get('/compose');
    const send = await b.post('/compose', { from: 'x', to: USER, subject: 's', body: 'b', orig: theirs, mode: 'forward', op: 'send' });
    assert.ok(send.statusCode === 404 || send.statusCode === 400);
    assert.deepEqual(await keywords(theirs, OTHER), {}, 'untouched');
    assert.ok((await emailsIn('inbox', OTHER)).includes(theirs));
    const other = await f.call('Mailbox/get', { ids: null }, { user: OTHER });
    const someMailbox = (other.args.list as { id: string }[])[0].id;
    const list = await b.get(`/mail?mb=${someMailbox}`);
    assert.equal(list.statusCode, 404, "another user's mailbox id");
  });

  it('refuses state changes without the session CSRF token, or with another session token', async () => {
    const id = await append(message({ subject: 'csrf target' }));
    const b = await signedIn();
    await b.get('/mail');
    assert.equal((await b.post('/mail/act', { id, op: 'flag' }, { csrf: null })).statusCode, 403);
    const other = await signedIn(OTHER);
    await other.get('/mail');
    const stale = /name="_csrf" value="([^"]+)"/.exec(other.lastPage)![1];
    assert.equal((await b.post('/mail/act', { id, op: 'flag' }, { csrf: stale })).statusCode, 403);
    assert.equal((await b.post('/compose', { from: 'x', to: OTHER, subject: 'x', body: 'x', op: 'send' }, { csrf: stale })).statusCode, 403);
    assert.equal((await b.post('/settings/forward', { forward: 'evil@example.org' }, { csrf: stale })).statusCode, 403);
    assert.deepEqual(f.directory.user(USER)!.forward, []);
    assert.equal((await keywords(id)).$flagged, undefined);
  });

  it('flags, marks, moves, deletes (to Trash, then for good) and files spam', async () => {
    const a = await append(message({ subject: 'act a' }));
    const c = await append(message({ subject: 'act c' }));
    const b = await signedIn();
    await b.get('/mail');
    assert.equal((await b.post('/mail/act', { id: a, op: 'flag', back: '/mail' })).statusCode, 303);
    assert.equal((await keywords(a)).$flagged, true);
    await b.get('/mail');
    await b.post('/mail/act', { id: a, op: 'read', back: '/mail' });
    assert.equal((await keywords(a)).$seen, true);
    await b.get('/mail');
    const target = await archiveId();
    await b.post('/mail/act', { id: a, op: 'move', to: target, back: '/mail' });
    assert.ok((await f.call('Email/query', { filter: { inMailbox: target } })).args.ids instanceof Array);
    assert.ok(((await f.call('Email/query', { filter: { inMailbox: target } })).args.ids as string[]).includes(a));
    await b.get('/mail');
    await b.post('/mail/act', { id: c, op: 'spam', back: '/mail' });
    assert.ok((await emailsIn('junk')).includes(c));
    await b.get('/mail');
    await b.post('/mail/act', { id: c, op: 'delete', back: '/mail' });
    assert.ok((await emailsIn('trash')).includes(c));
    await b.get('/mail');
    await b.post('/mail/act', { id: c, op: 'delete', back: '/mail' });
    const gone = await f.call('Email/get', { ids: [c], properties: ['id'] });
    assert.deepEqual(gone.args.notFound, [c]);
  });

  it('sends through EmailSubmission from an identity of the user, files it in Sent, and refuses any other From', async () => {
    const orig = await append(message({ from: '山田 <yamada@example.org>', subject: encodedWord('会議の件', 'ISO-2022-JP'), messageId: 'orig-1@example.org' }));
    const b = await signedIn();
    const before = f.submitted.length;
    const page = await b.get(`/compose?reply=${orig}`);
    assert.ok(unescape(page.body).includes('Re: 会議の件'));
    const identity = /<select id="c-from" name="from"><option value="([^"]+)"/.exec(page.body)![1];
    // a From that is not one of the user's identities: refused, nothing sent
    const forged = await b.post('/compose', { from: 'someone-else', to: 'yamada@example.org', subject: 'Re: 会議の件', body: 'x', orig, mode: 'reply', op: 'send' });
    assert.equal(forged.statusCode, 400);
    assert.equal(f.submitted.length, before);
    await b.get(`/compose?reply=${orig}`);
    const sent = await b.post('/compose', { from: identity, to: '山田 <yamada@example.org>', cc: '', bcc: 'hidden@example.org', subject: 'Re: 会議の件', body: '承知しました。\n> 会議', orig, mode: 'reply', op: 'send' });
    assert.equal(sent.statusCode, 303, sent.body.slice(0, 500));
    assert.equal(f.submitted.length, before + 1);
    const s = f.submitted[f.submitted.length - 1];
    assert.equal(s.mailFrom, USER);
    assert.deepEqual([...s.rcptTo].sort(), ['hidden@example.org', 'yamada@example.org']);
    const raw = s.message.toString('utf8');
    assert.match(raw, /^From: =\?UTF-8\?[BQ]\?[^\r\n]+<hanako@example\.jp>/im);
    assert.match(raw, /^In-Reply-To: <orig-1@example\.org>/im);
    assert.ok(!/^Bcc:/im.test(raw), 'Bcc removed');
    assert.equal((await keywords(orig)).$answered, true);
    const inSent = await emailsIn('sent');
    assert.equal(inSent.length >= 1, true);
    assert.equal((await emailsIn('drafts')).length, 0, 'the draft moved to Sent');
    // a draft is kept, not sent
    await b.get('/compose');
    const d = await b.post('/compose', { from: identity, to: '', subject: '下書き', body: 'まだ', op: 'draft' });
    assert.equal(d.statusCode, 303);
    assert.equal(f.submitted.length, before + 1);
    assert.equal((await emailsIn('drafts')).length, 1);
    // a bad address is refused with the form kept
    await b.get('/compose');
    const bad = await b.post('/compose', { from: identity, to: 'not an address', subject: '件名', body: '本文', op: 'send' });
    assert.equal(bad.statusCode, 400);
    assert.ok(unescape(bad.body).includes('本文'));
  });

  it('forwards with the original text and attachments', async () => {
    const c = japaneseCases()[0];
    const id = await append(c.raw);
    const b = await signedIn();
    const page = await b.get(`/compose?reply=${id}&mode=forward`);
    assert.ok(unescape(page.body).includes(`Fwd: ${c.subject}`));
    const identity = /<select id="c-from" name="from"><option value="([^"]+)"/.exec(page.body)![1];
    const before = f.submitted.length;
    const r = await b.post('/compose', { from: identity, to: OTHER, subject: `Fwd: ${c.subject}`, body: 'FYI', orig: id, mode: 'forward', op: 'send' });
    assert.equal(r.statusCode, 303, r.body.slice(0, 400));
    const raw = f.submitted[before].message.toString('latin1');
    assert.match(raw, /Content-Disposition: attachment/i);
    assert.match(raw, /filename\*=UTF-8''/);
    assert.equal((await keywords(id)).$forwarded, true);
  });

  it('attaches files uploaded through JMAP (Japanese names as RFC 2231), never another user\'s blob', async () => {
    const b = await signedIn();
    const page = await b.get('/compose');
    const identity = /<select id="c-from" name="from"><option value="([^"]+)"/.exec(page.body)![1];
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.body)![1];
    const upload = /data-upload="([^"]+)"/.exec(page.body)![1];
    const up = await f.app.inject({ method: 'POST', url: upload, payload: Buffer.from('%PDF-1.4 見積'), headers: { cookie: Object.entries(b.jar).map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/pdf', 'x-csrf-token': csrf } });
    assert.equal(up.statusCode, 201, up.body);
    const blobId = up.json().blobId as string;
    const before = f.submitted.length;
    const sent = await b.post('/compose', { from: identity, to: OTHER, subject: '見積書の送付', body: '添付します。', op: 'send', attachment: JSON.stringify({ blobId, type: 'application/pdf', name: '見積書 2025.pdf' }) });
    assert.equal(sent.statusCode, 303, sent.body.slice(0, 400));
    const raw = f.submitted[before].message.toString('latin1');
    assert.match(raw, /Content-Type: application\/pdf/);
    assert.ok(raw.includes(`filename*=UTF-8''${encodeURIComponent('見積書').replace(/%/g, '%')}%202025.pdf`), raw.slice(0, 2000));
    // a blob of another account: not attached, nothing sent, the form comes back
    const theirs = await f.app.inject({ method: 'POST', url: `/jmap/upload/${(await f.call('Mailbox/get', { ids: null }, { user: OTHER })).args.accountId}`, payload: Buffer.from('secret of taro'), headers: { authorization: f.basic(OTHER), 'content-type': 'text/plain' } });
    assert.equal(theirs.statusCode, 201);
    await b.get('/compose');
    const stolen = await b.post('/compose', { from: identity, to: OTHER, subject: 'x', body: 'x', op: 'send', attachment: JSON.stringify({ blobId: theirs.json().blobId, type: 'text/plain', name: 'x.txt' }) });
    assert.equal(stolen.statusCode, 400);
    assert.equal(f.submitted.length, before + 1);
    await b.get('/compose');
    assert.equal((await b.post('/compose', { from: identity, to: OTHER, subject: 'x', body: 'x', op: 'send', attachment: '{not json' })).statusCode, 400);
  });

  it('searches Japanese text in ISO-2022-JP mail, from the quick box and the advanced form', async () => {
    const raw = Buffer.concat([
      Buffer.from(`From: ${encodedWord('検索太郎', 'ISO-2022-JP')} <kensaku@example.org>\r\nTo: ${USER}\r\nSubject: ${encodedWord('四半期の報告', 'ISO-2022-JP')}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n`),
      toIso2022jp('売上は前年比で増加しました。\r\n'),
    ]);
    await append(raw);
    await append(message({ subject: 'unrelated' }));
    const b = await signedIn();
    const quick = await b.get(`/mail?q=${encodeURIComponent('前年比')}`);
    assert.equal(quick.statusCode, 200);
    assert.ok(unescape(quick.body).includes('四半期の報告'));
    assert.ok(!quick.body.includes('>unrelated<'));
    assert.match(quick.body, /data-id="M/);
    const bySender = await b.get(`/mail?from=${encodeURIComponent('検索太郎')}&subject=${encodeURIComponent('報告')}`);
    assert.ok(unescape(bySender.body).includes('四半期の報告'));
    const none = await b.get(`/mail?q=${encodeURIComponent('存在しない言葉')}`);
    assert.ok(!unescape(none.body).includes('四半期の報告'));
    assert.equal((await b.get('/mail/search')).statusCode, 200);
  });

  it('changes the password (current one checked), forwarding and the vacation reply', async () => {
    await f.directory.addUser({ address: 'settings@example.jp', password: PASSWORD });
    const b = await signedIn('settings@example.jp');
    await b.get('/settings');
    const wrong = await b.post('/settings/password', { current: 'not it at all', password: 'new secret 99', again: 'new secret 99' });
    assert.equal(wrong.statusCode, 400);
    assert.ok(await f.directory.authenticate('settings@example.jp', PASSWORD));
    const ok = await b.post('/settings/password', { current: PASSWORD, password: 'new secret 99', again: 'new secret 99' });
    assert.equal(ok.statusCode, 303);
    assert.ok(await f.directory.authenticate('settings@example.jp', 'new secret 99'));
    await b.get('/settings');
    const fw = await b.post('/settings/forward', { forward: 'Me <me@example.org>, other@example.net', keepCopy: '1' });
    assert.equal(fw.statusCode, 303);
    assert.deepEqual(f.directory.user('settings@example.jp')!.forward, ['me@example.org', 'other@example.net']);
    assert.equal(f.directory.user('settings@example.jp')!.keepCopy, true);
    await b.get('/settings');
    const self = await b.post('/settings/forward', { forward: 'settings@example.jp' });
    assert.equal(self.statusCode, 400);
    await b.get('/settings');
    const vac = await b.post('/settings/vacation', { enabled: '1', fromDate: '2030-08-01', toDate: '2030-08-15', subject: '不在のお知らせ', text: '8月15日まで休暇をいただいております。' });
    assert.equal(vac.statusCode, 303);
    const v = f.svc.vacation.get('settings@example.jp') as unknown as Record<string, unknown>;
    assert.equal(v.isEnabled, true);
    assert.equal(v.subject, '不在のお知らせ');
    assert.equal(v.fromDate, '2030-08-01T00:00:00Z');
    assert.equal(v.toDate, '2030-08-16T00:00:00Z');
    const shown = await b.get('/settings');
    assert.match(shown.body, /name="toDate" type="date" value="2030-08-15"/);
    await b.get('/settings');
    assert.equal((await b.post('/settings/vacation', { fromDate: '2030-09-01', toDate: '2030-08-01' })).statusCode, 400);
  });

  it('a password change signs out every other session of the account, and this browser goes on with a new one', async () => {
    await f.directory.addUser({ address: 'stolen@example.jp', password: PASSWORD });
    const owner = await signedIn('stolen@example.jp');
    const thief = await signedIn('stolen@example.jp');
    assert.equal((await thief.get('/mail')).statusCode, 200);
    const before = owner.jar['__Host-tegami-webmail'];
    await owner.get('/settings');
    const ok = await owner.post('/settings/password', { current: PASSWORD, password: 'fresh secret 77', again: 'fresh secret 77' });
    assert.equal(ok.statusCode, 303);
    const gone = await thief.get('/mail');
    assert.equal(gone.statusCode, 303, 'the session opened with the old password ended');
    assert.equal(gone.headers.location, '/login');
    assert.equal((await owner.get('/mail')).statusCode, 200, 'the browser that changed it stays signed in');
    assert.ok(before && owner.jar['__Host-tegami-webmail'] && owner.jar['__Host-tegami-webmail'] !== before, 'with a fresh session id');
  });

  it('refuses a password change when the account may not change it', async () => {
    await f.directory.addUser({ address: 'locked@example.jp', password: PASSWORD });
    f.directory.updateUser('locked@example.jp', { cannotChangePassword: true });
    const b = await signedIn('locked@example.jp');
    const page = await b.get('/settings');
    assert.ok(!page.body.includes('action="/settings/password"'));
    const r = await b.post('/settings/password', { current: PASSWORD, password: 'new secret 99', again: 'new secret 99' });
    assert.equal(r.statusCode, 403);
    assert.ok(await f.directory.authenticate('locked@example.jp', PASSWORD));
  });

  it('creates, renames, subscribes and deletes folders; special ones and non-empty ones stay', async () => {
    const b = await signedIn();
    await b.get('/folders');
    assert.equal((await b.post('/folders/create', { name: 'プロジェクト' })).statusCode, 303);
    const find = async (name: string) => ((await f.call('Mailbox/get', { ids: null })).args.list as { id: string; name: string; isSubscribed: boolean }[]).find((m) => m.name === name);
    const made = (await find('プロジェクト'))!;
    await b.get('/folders');
    assert.equal((await b.post('/folders/rename', { id: made.id, name: 'プロジェクト２' })).statusCode, 303);
    assert.equal((await find('プロジェクト２'))?.id, made.id);
    await b.get('/folders');
    await b.post('/folders/subscribe', { id: made.id });
    assert.equal((await find('プロジェクト２'))?.isSubscribed, false);
    await f.store.append(USER, 'プロジェクト２', message({ subject: 'in project' }));
    await b.get('/folders');
    const full = await b.post('/folders/delete', { id: made.id });
    assert.equal(full.statusCode, 400);
    assert.ok(full.body.includes('Only an empty folder'));
    const inbox = await mailboxId('inbox');
    const page = await b.get('/folders');
    const inboxRow = page.body.slice(page.body.indexOf(`data-mailbox="${inbox}"`), page.body.indexOf('</tr>', page.body.indexOf(`data-mailbox="${inbox}"`)));
    assert.ok(inboxRow.length > 0 && !inboxRow.includes('/folders/rename') && !inboxRow.includes('/folders/delete'), 'no rename/delete for the Inbox');
    assert.equal((await b.post('/folders/delete', { id: inbox })).statusCode, 400);
    const other = (await f.call('Mailbox/get', { ids: null }, { user: OTHER })).args.list as { id: string; role: string | null }[];
    await b.get('/folders');
    assert.equal((await b.post('/folders/rename', { id: other.find((m) => !m.role)?.id ?? 'F999999', name: 'x' })).statusCode, 404);
    const ids = ((await f.call('Email/query', { filter: { inMailbox: made.id } })).args.ids as string[]);
    await f.call('Email/set', { destroy: ids });
    await b.get('/folders');
    assert.equal((await b.post('/folders/delete', { id: made.id })).statusCode, 303);
    assert.equal(await find('プロジェクト２'), undefined);
  });

  it('shows every page in Japanese and in English', async () => {
    const id = await append(message({ subject: 'bilingual' }));
    const pages = ['/mail', `/mail/message/${id}`, '/compose', `/compose?reply=${id}`, '/mail/search', '/settings', '/folders', '/mail?q=bilingual'];
    const ja = await signedIn(USER, 'ja');
    const en = await signedIn(USER, 'en');
    for (const p of pages) {
      const j = await ja.get(p);
      assert.equal(j.statusCode, 200, p);
      assert.match(j.body, /<html lang="ja">/);
      for (const word of ['受信箱', '新規作成', '設定']) assert.ok(j.body.includes(word), `${p} ja: ${word}`);
      const e = await en.get(p);
      assert.match(e.body, /<html lang="en">/);
      for (const word of ['Inbox', 'New message', 'Settings']) assert.ok(e.body.includes(word), `${p} en: ${word}`);
    }
  });
});
