// A folder's first index build of many messages (at least RANGE_LOG_MIN, written into the Maildir by another
// program) is logged as one range instead of a change row per email (engine/store/account-log.ts range): a JMAP
// client holding a state from before it is told cannotCalculateChanges (RFC 8620 §5.2, §5.6) and fetches
// afresh; from the state after it every change is exact. A small folder's first build stays exact. Maildir only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { maildirRoot } from '../../engine/store/maildir.js';
import { RANGE_LOG_MIN } from '../../engine/store/index-db.js';
import { folderPath } from '../../engine/store/maildir-users.js';
import { TEST_STORE } from '../helpers/store.js';
import { jmapFixture, USER, type JmapFixture } from './helpers.js';

const skip = TEST_STORE !== 'default' && 'the Maildir store only: the PostgreSQL store builds no index from files';
const N = RANGE_LOG_MIN + 150;
// subjects in each charset a Japanese sender uses (ISO-2022-JP, Shift_JIS and EUC-JP as encoded-words, UTF-8 raw)
const SUBJECTS = ['=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '=?Shift_JIS?B?k/qWe4zq?=', '=?EUC-JP?B?xvzL3Ljs?=', '日本語', 'plain ascii'];

let f: JmapFixture;
before(async () => {
  f = await jmapFixture();
});
after(() => f?.close());

/** Write messages into a folder's cur/ as another delivery agent would (",S=" size, ":2," flags). */
function writeFolder(dir: string, n: number, tag: string): void {
  fs.mkdirSync(path.join(dir, 'cur'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'new'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const t = Math.floor(Date.now() / 1000) - n;
  for (let i = 1; i <= n; i++) {
    const m = Buffer.from(`From: sender${i}@example.org\r\nTo: ${USER}\r\nSubject: ${SUBJECTS[i % SUBJECTS.length]} ${i}\r\nMessage-ID: <${tag}${i}@example.org>\r\n\r\n本文 ${i}\r\n`);
    const file = path.join(dir, 'cur', `${t + i}.M${i}P7.${tag},S=${m.length}:2,${i % 4 === 0 ? 'S' : ''}`);
    fs.writeFileSync(file, m);
    fs.utimesSync(file, t + i, t + i);
  }
}

async function state(type: string): Promise<string> {
  return (await f.call(`${type}/get`, { ids: [] })).args.state as string;
}

async function changes(type: string, sinceState: string): Promise<Record<string, unknown>> {
  const r = await f.call(`${type}/changes`, { sinceState });
  return r.name === 'error' ? { error: r.args.type } : r.args;
}

test('changes asked from before a first build of many messages: cannotCalculateChanges, then exact from the state after it', { skip }, async () => {
  const inboxId = ((await f.call('Mailbox/get', { ids: null })).args.list as { id: string; role: string }[]).find((b) => b.role === 'inbox')!.id;
  const before = { Email: await state('Email'), Mailbox: await state('Mailbox'), Thread: await state('Thread') };
  const q0 = (await f.call('Email/query', { filter: { inMailbox: inboxId }, calculateTotal: true })).args;
  assert.equal(q0.total, 0);

  writeFolder(maildirRoot(f.dir, USER), N, 'bulk');

  for (const type of ['Email', 'Mailbox', 'Thread'] as const) {
    assert.deepEqual(await changes(type, before[type]), { error: 'cannotCalculateChanges' }, `${type}/changes from before the build`);
  }
  const qc = await f.call('Email/queryChanges', { filter: { inMailbox: inboxId }, sinceQueryState: q0.queryState });
  assert.equal(qc.name, 'error');
  assert.equal(qc.args.type, 'cannotCalculateChanges');

  // the client fetches afresh: every message is there, unread counts from the names' flags, subjects decoded
  const q = (await f.call('Email/query', { filter: { inMailbox: inboxId }, sort: [{ property: 'receivedAt', isAscending: true }], calculateTotal: true })).args;
  assert.equal(q.total, N);
  const ids = q.ids as string[];
  const inbox = ((await f.call('Mailbox/get', { ids: [inboxId] })).args.list as { totalEmails: number; unreadEmails: number }[])[0];
  assert.deepEqual([inbox.totalEmails, inbox.unreadEmails], [N, N - Math.floor(N / 4)]);
  const list = (await f.call('Email/get', { ids: ids.slice(0, 5), properties: ['subject', 'keywords'] })).args.list as { id: string; subject: string; keywords: Record<string, boolean> }[];
  const got = ids.slice(0, 5).map((id) => list.find((e) => e.id === id)!);
  assert.deepEqual(got.map((e) => e.subject), ['日本語 1', '日本語 2', '日本語 3', 'plain ascii 4', '日本語 5']);
  assert.deepEqual(got.map((e) => !!e.keywords.$seen), [false, false, false, true, false]);

  // from the state after the build: nothing, then exactly what happens next
  const after1 = await state('Email');
  const c0 = await changes('Email', after1);
  assert.deepEqual([c0.created, c0.updated, c0.destroyed], [[], [], []]);
  const mb1 = await state('Mailbox');
  await f.call('Email/set', { update: { [ids[0]]: { 'keywords/$seen': true } } });
  let c = await changes('Email', after1);
  assert.deepEqual([c.created, c.updated, c.destroyed], [[], [ids[0]], []]);
  const mc = await changes('Mailbox', mb1);
  assert.deepEqual([mc.created, mc.updated, mc.destroyed], [[], [inboxId], []]);

  const after2 = c.newState as string;
  await f.call('Email/set', { destroy: [ids[1]] });
  c = await changes('Email', after2);
  assert.deepEqual([c.created, c.updated, c.destroyed], [[], [], [ids[1]]]);

  // one more delivered by the other program into new/: created, and only it
  const after3 = c.newState as string;
  const extra = Buffer.from(`From: late@example.org\r\nTo: ${USER}\r\nSubject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= late\r\n\r\nlate\r\n`);
  fs.writeFileSync(path.join(maildirRoot(f.dir, USER), 'new', `${Math.floor(Date.now() / 1000) + 5}.M999P7.bulk,S=${extra.length}`), extra);
  c = await changes('Email', after3);
  assert.equal((c.created as string[]).length, 1);
  assert.deepEqual([c.updated, c.destroyed], [[], []]);
  const late = (await f.call('Email/get', { ids: c.created, properties: ['subject'] })).args.list as { subject: string }[];
  assert.equal(late[0].subject, '日本語 late');
});

test('a first build of a few messages is logged per email: changes from before it list each as created', { skip }, async () => {
  const before = await state('Email');
  await f.call('Mailbox/set', { create: { a: { name: '取り込み' } } });
  const box = ((await f.call('Mailbox/get', { ids: null })).args.list as { id: string; name: string }[]).find((b) => b.name === '取り込み')!;
  // another program fills the new (empty) folder
  writeFolder(folderPath(maildirRoot(f.dir, USER), '取り込み'), 6, 'few');
  const c = await changes('Email', before);
  assert.equal(c.error, undefined);
  const q = (await f.call('Email/query', { filter: { inMailbox: box.id }, calculateTotal: true })).args;
  assert.equal(q.total, 6);
  assert.deepEqual(new Set(c.created as string[]), new Set(q.ids as string[]));
});
