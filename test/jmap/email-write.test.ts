// Email/query, /queryChanges, /changes, /set and /import, Thread/get and /changes, and uploads over inject():
// keywords are IMAP flags on disk, a mailbox change is a move that keeps the id, creation composes a Japanese
// draft with an uploaded attachment, and every refusal is the error RFC 8620/8621 names.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { maildirRoot } from '../../engine/store/maildir.js';
import { jmapFixture, message, USER, type JmapFixture } from './helpers.js';
import { japaneseCases } from './corpus.js';

let f: JmapFixture;
let boxes: Record<string, string>;
const learnt: string[] = [];
before(async () => {
  f = await jmapFixture({ learn: (_raw, verdict) => void learnt.push(verdict), limits: { maxSizeUpload: 100_000, maxConcurrentUpload: 1 } });
  const list = (await f.call('Mailbox/get', { ids: null, properties: ['role', 'name'] })).args.list as { id: string; role: string | null; name: string }[];
  boxes = Object.fromEntries(list.map((b) => [b.role ?? b.name, b.id]));
});
after(() => f.close());

async function all(): Promise<string[]> {
  return (await f.call('Email/query', { sort: [{ property: 'receivedAt' }] })).args.ids as string[];
}

test('Email/query: filters (Japanese text, keywords, dates, sizes, attachments, headers), sorts, collapsing, windows', async () => {
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 10_000; // whole seconds: UTCDate filters are
  await f.store.append(USER, 'INBOX', message({ subject: '会議の日程', from: 'Zed <z@example.org>', body: '来週の会議について', messageId: 'q1@x' }), { internalDate: t0 });
  await f.store.append(USER, 'INBOX', message({ subject: 'Re: 会議の日程', from: 'Amy <a@example.org>', body: 'はい、大丈夫です', messageId: 'q2@x', extra: ['In-Reply-To: <q1@x>'] }), { internalDate: t0 + 2000, flags: ['\\Flagged'] });
  await f.store.append(USER, 'INBOX', message({ subject: 'invoice', from: 'Bob <b@example.org>', body: 'x'.repeat(5000), messageId: 'q3@x', extra: ['X-Priority: 1'] }), { internalDate: t0 + 4000, flags: ['\\Seen'] });
  for (const c of japaneseCases().slice(0, 2)) await f.store.append(USER, 'Spam', c.raw, { internalDate: t0 + 6000 });
  const q = async (args: Record<string, unknown>) => (await f.call('Email/query', args)).args;
  const subjects = async (ids: string[]) => ((await f.call('Email/get', { ids, properties: ['subject'] })).args.list as { id: string; subject: string }[]).sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id)).map((e) => e.subject);
  assert.deepEqual(await subjects((await q({ filter: { text: '会議' }, sort: [{ property: 'receivedAt' }] })).ids as string[]), ['会議の日程', 'Re: 会議の日程']);
  assert.deepEqual(await subjects((await q({ filter: { body: '大丈夫' } })).ids as string[]), ['Re: 会議の日程']);
  assert.deepEqual(await subjects((await q({ filter: { from: 'amy' } })).ids as string[]), ['Re: 会議の日程']);
  assert.deepEqual(await subjects((await q({ filter: { hasKeyword: '$flagged' } })).ids as string[]), ['Re: 会議の日程']);
  assert.deepEqual(await subjects((await q({ filter: { inMailbox: boxes.inbox, notKeyword: '$seen' }, sort: [{ property: 'subject' }, { property: 'receivedAt' }] })).ids as string[]), ['会議の日程', 'Re: 会議の日程']);
  assert.deepEqual(await subjects((await q({ filter: { minSize: 4000 } })).ids as string[]), ['invoice']);
  assert.deepEqual(await subjects((await q({ filter: { header: ['X-Priority'] } })).ids as string[]), ['invoice']);
  assert.deepEqual(await subjects((await q({ filter: { inMailbox: boxes.junk, hasAttachment: true }, sort: [{ property: 'subject' }] })).ids as string[]), ['【至急】打ち合わせの件', '請求書送付のご案内']);
  assert.deepEqual(await subjects((await q({ filter: { inMailboxOtherThan: [boxes.junk, boxes.trash] }, sort: [{ property: 'from' }] })).ids as string[]), ['Re: 会議の日程', 'invoice', '会議の日程']);
  assert.deepEqual(await subjects((await q({ filter: { operator: 'NOT', conditions: [{ inMailbox: boxes.junk }, { text: '会議' }] } })).ids as string[]), ['invoice']);
  assert.deepEqual(await subjects((await q({ filter: { after: new Date(t0 + 1000).toISOString().replace(/\.\d+Z/, 'Z'), before: new Date(t0 + 5000).toISOString().replace(/\.\d+Z/, 'Z') }, sort: [{ property: 'receivedAt' }] })).ids as string[]), ['Re: 会議の日程', 'invoice']);
  // threads: the reply joined the first; collapsed, the newest of the thread stands for it
  const collapsed = await q({ filter: { inMailbox: boxes.inbox }, sort: [{ property: 'receivedAt', isAscending: false }], collapseThreads: true, calculateTotal: true });
  assert.deepEqual(await subjects(collapsed.ids as string[]), ['invoice', 'Re: 会議の日程']);
  assert.equal(collapsed.total, 2);
  const flaggedThreads = await q({ filter: { inMailbox: boxes.inbox }, sort: [{ property: 'someInThreadHaveKeyword', keyword: '$flagged', isAscending: false }, { property: 'receivedAt' }] });
  assert.deepEqual(await subjects(flaggedThreads.ids as string[]), ['会議の日程', 'Re: 会議の日程', 'invoice']);
  const none = await q({ filter: { inMailbox: boxes.inbox, noneInThreadHaveKeyword: '$flagged' } });
  assert.deepEqual(await subjects(none.ids as string[]), ['invoice']);
  const sized = await q({ filter: { inMailbox: boxes.inbox }, sort: [{ property: 'size', isAscending: false }], position: 0, limit: 1 });
  assert.deepEqual(await subjects(sized.ids as string[]), ['invoice']);
  const neg = await q({ filter: { inMailbox: boxes.inbox }, sort: [{ property: 'receivedAt' }], position: -1 });
  assert.deepEqual(await subjects(neg.ids as string[]), ['invoice']);
  const errs = await f.api([
    ['Email/query', { accountId: f.accountId, filter: { smell: 'nice' } }, 'a'],
    ['Email/query', { accountId: f.accountId, sort: [{ property: 'preview' }] }, 'b'],
    ['Email/query', { accountId: f.accountId, sort: [{ property: 'hasKeyword' }] }, 'c'],
    ['Email/query', { accountId: f.accountId, filter: { before: 'yesterday' } }, 'd'],
    ['Email/query', { accountId: f.accountId, anchor: 'M000000000000000000000000' }, 'e'],
  ]);
  assert.deepEqual(errs.responses.map((r) => r[1].type), ['unsupportedFilter', 'unsupportedSort', 'invalidArguments', 'invalidArguments', 'anchorNotFound']);
});

test('Thread/get lists a conversation oldest first; Thread/changes and Email/changes follow new mail', async () => {
  const ids = await all();
  const got = (await f.call('Email/get', { ids, properties: ['threadId', 'subject'] })).args.list as { id: string; threadId: string; subject: string }[];
  const first = got.find((e) => e.subject === '会議の日程')!;
  const reply = got.find((e) => e.subject === 'Re: 会議の日程')!;
  assert.equal(first.threadId, reply.threadId);
  const th = await f.call('Thread/get', { ids: [first.threadId, 'Tnope'] });
  assert.deepEqual(th.args.list, [{ id: first.threadId, emailIds: [first.id, reply.id] }]);
  assert.deepEqual(th.args.notFound, ['Tnope']);
  const emailState = (await f.call('Email/get', { ids: [] })).args.state as string;
  const threadState = th.args.state as string;
  await f.store.append(USER, 'INBOX', message({ subject: 'Re: 会議の日程', messageId: 'q4@x', extra: ['References: <q1@x> <q2@x>'] }));
  const ec = await f.call('Email/changes', { sinceState: emailState });
  assert.equal((ec.args.created as string[]).length, 1);
  assert.equal(ec.args.hasMoreChanges, false);
  const tc = await f.call('Thread/changes', { sinceState: threadState });
  assert.deepEqual(tc.args.updated, [first.threadId]);
  const th2 = await f.call('Thread/get', { ids: [first.threadId] });
  assert.equal(((th2.args.list as { emailIds: string[] }[])[0].emailIds).length, 3);
});

test('Email/set keywords are IMAP flags on disk; a mailbox change is a move keeping the id; queryChanges sees both', async () => {
  const inbox = (await f.call('Email/query', { filter: { inMailbox: boxes.inbox }, sort: [{ property: 'receivedAt' }] })).args;
  const id = (inbox.ids as string[])[0];
  const st = (await f.call('Email/get', { ids: [] })).args.state as string;
  const r = await f.call('Email/set', { update: { [id]: { 'keywords/$seen': true, 'keywords/$flagged': true, 'keywords/projectx': true } } });
  assert.deepEqual(r.args.updated, { [id]: null });
  assert.equal(r.args.oldState, st);
  const files = f.storeBackend === 'default' ? fs.readdirSync(path.join(maildirRoot(f.dir, USER), 'cur')) : null;
  const listed = await f.store.list(USER, 'INBOX');
  const row = listed.find((m) => m.flags.includes('projectx'))!;
  assert.ok(row, 'the keyword is an IMAP keyword');
  assert.deepEqual(row.flags.filter((x) => x.startsWith('\\')).sort(), ['\\Flagged', '\\Seen']);
  // (Maildir only: the PostgreSQL store keeps the same letters in its rows)
  if (files) assert.ok(files.some((n) => n.startsWith(row.key) && /:2,F?S?$/.test(n) && n.endsWith('FS')), 'system flags in the file name, as Dovecot reads them');
  const moved = await f.call('Email/set', { update: { [id]: { mailboxIds: { [boxes.Archive ?? boxes.trash]: true } } } });
  assert.deepEqual(moved.args.updated, { [id]: null });
  const after = await f.call('Email/get', { ids: [id], properties: ['mailboxIds', 'keywords'] });
  const e = (after.args.list as { mailboxIds: Record<string, true>; keywords: Record<string, true> }[])[0];
  assert.deepEqual(e.mailboxIds, { [boxes.Archive ?? boxes.trash]: true }, 'same id, new mailbox');
  assert.deepEqual(e.keywords, { $seen: true, $flagged: true, projectx: true });
  const ch = await f.call('Email/changes', { sinceState: st });
  assert.deepEqual([ch.args.created, ch.args.updated, ch.args.destroyed], [[], [id], []]);
  const qc = await f.call('Email/queryChanges', { filter: { inMailbox: boxes.inbox }, sort: [{ property: 'receivedAt' }], sinceQueryState: inbox.queryState });
  assert.ok((qc.args.removed as string[]).includes(id));
  assert.ok(!(qc.args.added as { id: string }[]).some((a) => a.id === id), 'no longer in the inbox');
  // the invalid ones
  const bad = await f.call('Email/set', {
    update: {
      [id]: { subject: 'changed' },
      Mnotthere00000000000000000: { 'keywords/$seen': true },
    },
    destroy: ['Mnotthere00000000000000001'],
  });
  const nu = bad.args.notUpdated as Record<string, { type: string; properties?: string[] }>;
  assert.deepEqual([nu[id].type, nu[id].properties], ['invalidProperties', ['subject']]);
  assert.equal(nu.Mnotthere00000000000000000.type, 'notFound');
  assert.equal((bad.args.notDestroyed as Record<string, { type: string }>).Mnotthere00000000000000001.type, 'notFound');
  const threadId = ((await f.call('Email/get', { ids: [id], properties: ['threadId'] })).args.list as { threadId: string }[])[0].threadId;
  const same = await f.call('Email/set', { update: { [id]: { id, threadId, 'keywords/projectx': null } } });
  assert.deepEqual(same.args.updated, { [id]: null }, 'server-set properties sent back unchanged are accepted');
  const bad2 = await f.call('Email/set', { update: { [id]: { mailboxIds: {} } } });
  assert.equal((bad2.args.notUpdated as Record<string, { type: string }>)[id].type, 'invalidProperties');
  const bad3 = await f.call('Email/set', { update: { [id]: { keywords: Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, true])) } } });
  assert.equal((bad3.args.notUpdated as Record<string, { type: string }>)[id].type, 'tooManyKeywords');
  const mismatch = await f.call('Email/set', { ifInState: st, destroy: [id] });
  assert.equal(mismatch.args.type, 'stateMismatch');
});

test('filing into Spam teaches spam, back to the Inbox teaches ham; $junk / $notjunk too', async () => {
  await f.store.append(USER, 'INBOX', message({ subject: 'learn from me', messageId: 'learn@x' }));
  const id = ((await f.call('Email/query', { filter: { subject: 'learn from me' } })).args.ids as string[])[0];
  learnt.length = 0;
  await f.call('Email/set', { update: { [id]: { mailboxIds: { [boxes.junk]: true } } } });
  await f.call('Email/set', { update: { [id]: { mailboxIds: { [boxes.inbox]: true } } } });
  await f.call('Email/set', { update: { [id]: { 'keywords/$junk': true } } });
  assert.deepEqual(learnt, ['spam', 'ham', 'spam']);
});

test('Email/set create: a Japanese draft with an uploaded attachment, read back whole; destroy removes it from disk', async () => {
  const pdf = Buffer.from('%PDF-1.7 日本語の添付', 'utf8');
  const up = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'application/pdf' }, payload: pdf });
  assert.equal(up.statusCode, 201);
  const blobId = up.json().blobId as string;
  const c = await f.call('Email/set', {
    create: {
      d1: {
        mailboxIds: { [boxes.drafts]: true },
        keywords: { $draft: true, $seen: true },
        from: [{ name: '山田 花子', email: USER }],
        to: [{ name: '田中 "Tanaka" 一郎', email: 'tanaka@example.org' }],
        bcc: [{ email: 'boss@example.org' }],
        subject: '打ち合わせ資料の送付（第二版）についてのご連絡とお願い、および来週の予定の確認',
        'header:X-Mailer': 'tegami-test',
        'header:List-Unsubscribe:asURLs': ['mailto:u@example.org'],
        bodyValues: { t: { value: 'お世話になっております。\n資料を添付します。' }, h: { value: '<p>お世話になっております。</p>' } },
        textBody: [{ partId: 't', type: 'text/plain' }],
        htmlBody: [{ partId: 'h', type: 'text/html' }],
        attachments: [{ blobId, type: 'application/pdf', name: '資料（第二版）.pdf' }],
      },
      bad1: { mailboxIds: { [boxes.drafts]: true }, headers: [] },
      bad2: { mailboxIds: { [boxes.drafts]: true }, attachments: [{ blobId: 'U0000000000000000000000000000000000000000' }] },
      bad3: { mailboxIds: { [boxes.drafts]: true }, textBody: [{ partId: 'zz' }] },
      bad4: { mailboxIds: { [boxes.drafts]: true }, subject: 'x', 'header:Subject': 'y' },
      bad5: { mailboxIds: { [boxes.drafts]: true }, 'header:Content-Type': 'text/plain' },
      bad6: { mailboxIds: { [boxes.drafts]: true }, to: [{ email: 'no-at-sign' }] },
      bad7: { keywords: {} },
    },
  });
  const created = (c.args.created as Record<string, { id: string; blobId: string; threadId: string; size: number }>).d1;
  assert.ok(created.id && created.blobId && created.threadId && created.size > 0);
  const nc = c.args.notCreated as Record<string, { type: string; notFound?: string[] }>;
  assert.deepEqual(Object.fromEntries(Object.entries(nc).map(([k, v]) => [k, v.type])), {
    bad1: 'invalidProperties', bad2: 'blobNotFound', bad3: 'invalidProperties', bad4: 'invalidProperties', bad5: 'invalidProperties', bad6: 'invalidProperties', bad7: 'invalidProperties',
  });
  assert.deepEqual(nc.bad2.notFound, ['U0000000000000000000000000000000000000000']);
  const g = await f.call('Email/get', { ids: [created.id], properties: ['subject', 'from', 'to', 'bcc', 'keywords', 'mailboxIds', 'attachments', 'textBody', 'htmlBody', 'bodyValues', 'header:X-Mailer:asText', 'header:List-Unsubscribe:asURLs', 'messageId', 'sentAt'], fetchAllBodyValues: true });
  const e = (g.args.list as Record<string, unknown>[])[0];
  assert.equal(e.subject, '打ち合わせ資料の送付（第二版）についてのご連絡とお願い、および来週の予定の確認');
  assert.deepEqual(e.to, [{ name: '田中 "Tanaka" 一郎', email: 'tanaka@example.org' }]);
  assert.deepEqual(e.bcc, [{ name: null, email: 'boss@example.org' }], 'the draft keeps its Bcc');
  assert.deepEqual(e.keywords, { $draft: true, $seen: true });
  assert.deepEqual(e.mailboxIds, { [boxes.drafts]: true });
  const att = (e.attachments as { name: string; blobId: string; type: string; size: number }[])[0];
  assert.deepEqual([att.name, att.type, att.size], ['資料（第二版）.pdf', 'application/pdf', pdf.length]);
  const values = e.bodyValues as Record<string, { value: string }>;
  assert.equal(values[(e.textBody as { partId: string }[])[0].partId].value, 'お世話になっております。\n資料を添付します。');
  assert.equal(values[(e.htmlBody as { partId: string }[])[0].partId].value, '<p>お世話になっております。</p>');
  assert.equal(e['header:X-Mailer:asText'], 'tegami-test');
  assert.deepEqual(e['header:List-Unsubscribe:asURLs'], ['mailto:u@example.org']);
  assert.match((e.messageId as string[])[0], /@example\.jp$/);
  assert.ok(e.sentAt);
  // the stored message is 7-bit clean: every header line ASCII, encoded words for the Japanese
  const raw = await f.store.read(USER, 'Drafts', (await f.store.list(USER, 'Drafts')).at(-1)!.uid);
  const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');
  assert.ok(/^[\x00-\x7f]*$/.test(head));
  assert.ok(head.split('\r\n').every((l) => l.length <= 998));
  assert.match(head, /Subject: =\?UTF-8\?B\?/);
  assert.match(raw.toString('latin1'), /filename\*=UTF-8''/);
  const d = await f.call('Email/set', { destroy: [created.id] });
  assert.deepEqual(d.args.destroyed, [created.id]);
  assert.equal((await f.store.list(USER, 'Drafts')).length, 0);
});

test('Email/import: uploaded messages into mailboxes with keywords and receivedAt; refusals per email', async () => {
  const raw = japaneseCases()[2].raw;
  const up = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'message/rfc822' }, payload: raw });
  const blobId = up.json().blobId as string;
  const again = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'message/rfc822' }, payload: raw });
  assert.equal(again.json().blobId, blobId, 'the same content is the same blob');
  const notMail = (await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'image/png' }, payload: Buffer.from([0x89, 0x50, 0x4e, 0x47]) })).json().blobId as string;
  const r = await f.call('Email/import', {
    emails: {
      i1: { blobId, mailboxIds: { [boxes.inbox]: true, [boxes.Archive ?? boxes.trash]: true }, keywords: { $seen: true }, receivedAt: '2025-01-02T03:04:05Z' },
      i2: { blobId: 'U1111111111111111111111111111111111111111', mailboxIds: { [boxes.inbox]: true } },
      i3: { blobId, mailboxIds: {} },
      i4: { blobId: notMail, mailboxIds: { [boxes.inbox]: true } },
    },
  });
  const created = (r.args.created as Record<string, { id: string }>).i1;
  const g = await f.call('Email/get', { ids: [created.id], properties: ['mailboxIds', 'keywords', 'receivedAt', 'subject'] });
  const e = (g.args.list as Record<string, unknown>[])[0];
  assert.equal(Object.keys(e.mailboxIds as object).length, 2, 'one email in two mailboxes');
  assert.deepEqual(e.keywords, { $seen: true });
  assert.equal(e.receivedAt, '2025-01-02T03:04:05Z');
  assert.equal(e.subject, '会議室の予約について');
  const nc = r.args.notCreated as Record<string, { type: string }>;
  assert.deepEqual([nc.i2.type, nc.i3.type, nc.i4.type], ['invalidProperties', 'invalidProperties', 'invalidEmail']);
});

test('uploads: over maxSizeUpload refused before anything is kept (413), one at a time per account (429)', async () => {
  // what is kept: the files under data_dir/jmap/uploads, or on PostgreSQL the account's jmap_uploads rows
  const dir = path.join(f.dir, 'jmap', 'uploads', f.accountId);
  const kept = async (): Promise<number> => {
    if (!f.storeUrl) return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
    const c = new pg.Client({ connectionString: f.storeUrl });
    await c.connect();
    try {
      return (await c.query('SELECT 1 FROM jmap_uploads WHERE address = $1', [USER])).rowCount ?? 0;
    } finally {
      await c.end();
    }
  };
  const before = await kept();
  const big = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(100_001) });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().limit, 'maxSizeUpload');
  assert.equal(await kept(), before, 'nothing stored, no temporary file left');
  // a body without a length (chunked) is cut off as it streams past the limit, and nothing is kept either
  async function* chunks() {
    for (let i = 0; i < 30; i++) yield Buffer.alloc(10_000);
  }
  const streamed = await f.svc.blobs.upload(USER, 'application/octet-stream', chunks());
  assert.deepEqual(streamed, { ok: false, reason: 'tooLarge' });
  assert.equal(await kept(), before);
  const release = f.svc.acquire('upload', USER, 1)!;
  const busy = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'text/plain' }, payload: 'x' });
  release();
  assert.equal(busy.statusCode, 429);
  assert.equal(busy.json().limit, 'maxConcurrentUpload');
  const wrong = await f.app.inject({ method: 'POST', url: '/jmap/upload/aother', headers: { authorization: f.basic(), 'content-type': 'text/plain' }, payload: 'x' });
  assert.equal(wrong.statusCode, 404);
});
