// The mailbox store on PostgreSQL (engine/store/pg-*.ts) against a private cluster: two store objects on their own
// pools are two nodes sharing one database. UIDs under concurrent appends, cross-node watchers, CONDSTORE,
// dedup keys, content-addressed bodies and their collection, large staged appends, and the database going away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { PgMailboxStore, openPgMailboxStore } from '../../engine/store/pg-store.js';
import { CHUNK } from '../../engine/store/pg-blobs.js';
import { threadIdOf } from '../../engine/store/email-ids.js';
import { StoreError } from '../../engine/store/store-error.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skip = postgresUnavailable();
const OWNER = 'hanako@example.jp';
const QUOTA = { bytes: 0, messages: 0 } as never;

function mail(id: string, subject: string, extra: string[] = [], body = '本文です。\r\n'): Buffer {
  return Buffer.from([`From: Taro <taro@example.org>`, `To: ${OWNER}`, `Subject: ${subject}`, `Message-ID: <${id}>`, ...extra, '', body].join('\r\n'));
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('PgMailboxStore', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  const pools: pg.Pool[] = [];
  const stores: PgMailboxStore[] = [];

  /** A node: its own pool and LISTEN connection on the shared database. */
  async function node(url: string, opts: { collectEveryMs?: number } = {}): Promise<PgMailboxStore> {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined);
    pools.push(pool);
    const s = await openPgMailboxStore(pool, { listen: { connectionString: url }, nodeName: `n${stores.length}`, collectEveryMs: opts.collectEveryMs ?? 0 });
    stores.push(s);
    return s;
  }

  before(async () => {
    cluster = await startPostgres('tegami_store');
  });
  after(async () => {
    for (const s of stores) await s.close();
    for (const p of pools) await p.end().catch(() => undefined);
    await cluster?.stop();
  });

  test('append, list, read, flags, expunge, folders with children, copy and move keeping email ids, usage', async () => {
    const s = await node(await cluster.createDatabase('basic'));
    assert.deepEqual(await s.listFolders(OWNER), ['INBOX']);
    const a = await s.append(OWNER, 'INBOX', mail('a@x', '会議の件'), { flags: ['\\Seen', '$Work'], internalDate: 1_700_000_000_000 });
    const b = await s.append(OWNER, 'inbox', mail('b@x', 'Re: 会議の件', ['In-Reply-To: <a@x>']));
    assert.deepEqual([a.uid, b.uid], [1, 2]);
    assert.equal(a.uidValidity, b.uidValidity);
    const list = await s.list(OWNER, 'INBOX');
    assert.deepEqual(list.map((m) => [m.uid, m.flags]), [[1, ['\\Seen', '$Work']], [2, []]]);
    assert.equal(list[0].internalDate, 1_700_000_000_000);
    assert.ok((await s.read(OWNER, 'INBOX', 1)).equals(mail('a@x', '会議の件')));
    const st = await s.status(OWNER, 'INBOX');
    assert.deepEqual([st.messages, st.unseen, st.uidNext], [2, 1, 3]);
    assert.ok(st.highestModseq >= list[1].modseq);

    await s.createFolder(OWNER, 'Archive');
    await s.createFolder(OWNER, 'Archive/2024');
    await assert.rejects(s.createFolder(OWNER, 'Archive'), (e: StoreError) => e.code === 'ALREADYEXISTS');
    await s.setSubscribed(OWNER, 'Archive/2024', true);
    const copied = await s.copy(OWNER, 'INBOX', [1], 'Archive/2024');
    assert.deepEqual(copied.mapping, [[1, 1]]);
    const emails = await s.accountEmails(OWNER);
    const ea = emails.find((e) => e.meta!.messageId[0] === 'a@x')!;
    assert.deepEqual(ea.copies.map((c) => c.folder).sort(), ['Archive/2024', 'INBOX'], 'a copy is the same email in two mailboxes');
    assert.equal(emails.find((e) => e.meta!.messageId[0] === 'b@x')!.threadId, ea.threadId, 'a reply joins its parent');

    await s.renameFolder(OWNER, 'Archive', '保存');
    assert.deepEqual(await s.listFolders(OWNER), ['INBOX', '保存', '保存/2024']);
    assert.deepEqual(await s.subscriptions(OWNER), ['保存/2024']);
    assert.equal((await s.status(OWNER, '保存/2024')).uidValidity, copied.uidValidity, 'UIDVALIDITY survives a rename');

    const moved = await s.move(OWNER, 'INBOX', [2], '保存');
    assert.deepEqual(moved.mapping, [[2, 1]]);
    const eb = (await s.accountEmails(OWNER)).find((e) => e.meta!.messageId[0] === 'b@x')!;
    assert.deepEqual(eb.copies.map((c) => c.folder), ['保存']);
    assert.equal(eb.id, emails.find((e) => e.meta!.messageId[0] === 'b@x')!.id, 'a move keeps the email id');

    await s.expunge(OWNER, 'INBOX', [1]);
    assert.deepEqual(await s.list(OWNER, 'INBOX'), []);
    assert.deepEqual(await s.usage(OWNER, QUOTA), { bytes: mail('a@x', '会議の件').length + mail('b@x', 'Re: 会議の件', ['In-Reply-To: <a@x>']).length, messages: 2 });
    await s.deleteFolder(OWNER, '保存');
    assert.deepEqual(await s.listFolders(OWNER), ['INBOX', '保存/2024'], 'a child stays when its parent is deleted');
    assert.deepEqual(await s.usage(OWNER, QUOTA), { bytes: mail('a@x', '会議の件').length, messages: 1 }, "a deleted folder's messages leave the usage");
    await assert.rejects(s.read(OWNER, 'INBOX', 1), (e: StoreError) => e.code === 'NONEXISTENT');
    await assert.rejects(s.list(OWNER, 'nowhere'), (e: StoreError) => e.code === 'NONEXISTENT');

    // RENAME INBOX: its messages move to the new folder, INBOX stays, empty, with its UIDNEXT
    await s.append(OWNER, 'INBOX', mail('c@x', 'ほか'));
    const before = await s.status(OWNER, 'INBOX');
    await s.renameFolder(OWNER, 'INBOX', 'Old');
    assert.equal((await s.list(OWNER, 'Old')).length, 1);
    const inbox = await s.status(OWNER, 'INBOX');
    assert.deepEqual([inbox.messages, inbox.uidNext, inbox.uidValidity], [0, before.uidNext, before.uidValidity]);
  });

  test('two nodes appending to one mailbox at once never share a UID, and UIDs only grow', async () => {
    const url = await cluster.createDatabase('uids');
    const [n1, n2] = [await node(url), await node(url)];
    const results: { node: number; uid: number }[] = [];
    const run = async (s: PgMailboxStore, id: number) => {
      for (let i = 0; i < 25; i++) {
        const r = await s.append(OWNER, 'INBOX', mail(`${id}-${i}@x`, `並行 ${id} ${i}`));
        results.push({ node: id, uid: r.uid });
      }
    };
    await Promise.all([run(n1, 1), run(n1, 2), run(n2, 3), run(n2, 4)]);
    const uids = results.map((r) => r.uid);
    assert.equal(new Set(uids).size, 100, 'no UID given twice');
    const listed = (await n2.list(OWNER, 'INBOX')).map((m) => m.uid);
    assert.deepEqual(listed, [...Array(100).keys()].map((i) => i + 1));
    for (const id of [1, 2, 3, 4]) {
      // each caller's appends, one after the other, got ascending UIDs
      const mine = results.filter((r) => r.node === id).map((r) => r.uid);
      assert.equal(mine.length, 25);
      assert.deepEqual(mine, [...mine].sort((x, y) => x - y));
    }
    assert.equal((await n1.status(OWNER, 'INBOX')).uidNext, 101);
  });

  test("a change on node A fires node B's watchers; after a cut LISTEN connection every watcher fires", async () => {
    const url = await cluster.createDatabase('events');
    const [a, b] = [await node(url), await node(url)];
    await a.append(OWNER, 'INBOX', mail('w@x', '見張り'));
    let folderFired = 0;
    let accountFired = 0;
    const off1 = b.watch(OWNER, 'INBOX', () => folderFired++);
    const off2 = b.watchAccount(OWNER, () => accountFired++);
    await a.updateFlags(OWNER, 'INBOX', [1], 'add', ['\\Seen']);
    await until('B sees the flag change', () => folderFired > 0 && accountFired > 0);
    assert.deepEqual((await b.list(OWNER, 'INBOX'))[0].flags, ['\\Seen']);
    let otherFolder = 0;
    const off3 = b.watch(OWNER, 'Elsewhere', () => otherFolder++);
    // B's LISTEN connection is cut by the server: B reconnects and fires every watcher (resynchronise)
    const seen = folderFired;
    await a.createFolder(OWNER, 'Elsewhere');
    await until('B hears the folder created', () => otherFolder > 0);
    const seenOther = otherFolder;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()");
    await admin.end();
    await until('B reconnects and resynchronises', () => folderFired > seen && otherFolder > seenOther && b.listening);
    folderFired = 0;
    await a.expunge(OWNER, 'INBOX', [1]);
    await until('B hears the expunge on the new connection', () => folderFired > 0);
    off1();
    off2();
    off3();
  });

  test('CONDSTORE: unchangedSince leaves messages changed after it alone and reports them', async () => {
    const s = await node(await cluster.createDatabase('condstore'));
    for (const i of [1, 2, 3]) await s.append(OWNER, 'INBOX', mail(`c${i}@x`, `条件 ${i}`));
    const [m1] = await s.list(OWNER, 'INBOX');
    const known = (await s.status(OWNER, 'INBOX')).highestModseq;
    await s.updateFlags(OWNER, 'INBOX', [2], 'add', ['\\Flagged']);
    const r = await s.updateFlags(OWNER, 'INBOX', [1, 2, 3], 'add', ['\\Seen'], known);
    assert.deepEqual(r.failed, [2]);
    assert.deepEqual(r.updated.map((m) => m.uid), [1, 3]);
    const after1 = (await s.list(OWNER, 'INBOX')).find((m) => m.uid === 1)!;
    assert.ok(after1.modseq > m1.modseq, 'a change takes a new MODSEQ');
    assert.deepEqual((await s.list(OWNER, 'INBOX')).find((m) => m.uid === 2)!.flags, ['\\Flagged']);
    assert.ok((await s.status(OWNER, 'INBOX')).highestModseq >= after1.modseq);
    // a change to nothing new takes no MODSEQ
    const same = await s.updateFlags(OWNER, 'INBOX', [1], 'add', ['\\Seen']);
    assert.equal(same.updated[0].modseq, after1.modseq);
    // JMAP sees the same history
    const st = await s.refreshAccount(OWNER);
    const page = await s.accountChanges(OWNER, 'Email', after1.modseq - 1, 50);
    assert.ok(page && page.updated.length >= 1 && page.newModseq === st.types.Email);
  });

  test('an append logs its Email, Thread and Mailbox changes: a new conversation, a reply, \\Deleted mail, a reply into a thread of deleted mail', async () => {
    const s = await node(await cluster.createDatabase('append_log'));
    const at = async () => (await s.refreshAccount(OWNER)).modseq;
    const since = async (type: 'Email' | 'Thread' | 'Mailbox', from: number) => {
      const p = (await s.accountChanges(OWNER, type, from, 100))!;
      return { created: p.created, updated: p.updated, destroyed: p.destroyed };
    };
    const email = async (msgid: string) => (await s.accountEmails(OWNER)).find((e) => e.meta!.messageId[0] === msgid)!;
    const none = { created: [], updated: [], destroyed: [] };
    await s.listFolders(OWNER);
    // a new conversation: its email and its thread are created, INBOX's counts changed
    let m = await at();
    await s.append(OWNER, 'INBOX', mail('t1@x', '議事録'));
    const e1 = await email('t1@x');
    assert.deepEqual(await since('Email', m), { ...none, created: [e1.id] });
    assert.deepEqual(await since('Thread', m), { ...none, created: [e1.threadId] });
    assert.equal((await since('Mailbox', m)).updated.length, 1);
    // a reply joins that thread: a new email, the thread updated
    m = await at();
    await s.append(OWNER, 'INBOX', mail('t2@x', 'Re: 議事録', ['In-Reply-To: <t1@x>']));
    const e2 = await email('t2@x');
    assert.equal(e2.threadId, e1.threadId);
    assert.deepEqual(await since('Email', m), { ...none, created: [e2.id] });
    assert.deepEqual(await since('Thread', m), { ...none, updated: [e1.threadId] });
    // appended \Deleted: not visible to JMAP, so neither an email nor a thread appears; the mailbox changed
    m = await at();
    await s.append(OWNER, 'INBOX', mail('d1@x', '下書き'), { flags: ['\\Deleted'] });
    assert.deepEqual(await since('Email', m), none);
    assert.deepEqual(await since('Thread', m), none);
    assert.equal((await since('Mailbox', m)).updated.length, 1);
    // a reply to it joins its thread, whose only email is deleted: for JMAP the thread is created now
    m = await at();
    await s.append(OWNER, 'INBOX', mail('d2@x', 'Re: 下書き', ['In-Reply-To: <d1@x>']));
    const d2 = await email('d2@x');
    assert.notEqual(d2.threadId, threadIdOf(d2.id), 'it joined the deleted mail\'s thread');
    assert.deepEqual(await since('Email', m), { ...none, created: [d2.id] });
    assert.deepEqual(await since('Thread', m), { ...none, created: [d2.threadId] });
  });

  test('a redelivery with the same dedup key is stored once, on either node', async () => {
    const url = await cluster.createDatabase('dedup');
    const [a, b] = [await node(url), await node(url)];
    const first = await a.append(OWNER, 'INBOX', mail('d@x', '重複'), { dedupKey: 'q-123' });
    const again = await b.append(OWNER, 'INBOX', mail('d@x', '重複'), { dedupKey: 'q-123' });
    assert.deepEqual(again, first);
    const both = await Promise.all([a.append(OWNER, 'INBOX', mail('e@x', '同時'), { dedupKey: 'q-9' }), b.append(OWNER, 'INBOX', mail('e@x', '同時'), { dedupKey: 'q-9' })]);
    assert.equal(both[0].uid, both[1].uid);
    assert.equal((await a.list(OWNER, 'INBOX')).length, 2);
  });

  test('bodies are stored once per content, counted, and collected when no message names them', async () => {
    const url = await cluster.createDatabase('blobs');
    const s = await node(url);
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    admin.on('error', () => undefined);
    pools.push(admin);
    const body = mail('same@x', '全員へのお知らせ');
    for (const owner of ['a@example.jp', 'b@example.jp', 'c@example.jp']) await s.append(owner, 'INBOX', body);
    await s.copy('a@example.jp', 'INBOX', [1], 'INBOX');
    const blob = async () => (await admin.query('SELECT refs, (SELECT count(*) FROM mail_blob_chunks) AS chunks FROM mail_blobs')).rows;
    assert.deepEqual(await blob(), [{ refs: 4, chunks: '1' }], 'one body row for four messages');
    await s.expunge('a@example.jp', 'INBOX', [1, 2]);
    await s.expunge('b@example.jp', 'INBOX', [1]);
    assert.equal(await s.collectBodies(0), 0, 'still named by c');
    assert.ok((await s.read('c@example.jp', 'INBOX', 1)).equals(body));
    await s.deleteFolder('c@example.jp', 'INBOX').catch(() => undefined); // refused: INBOX stays
    await s.expunge('c@example.jp', 'INBOX', [1]);
    assert.deepEqual((await blob()).map((r) => r.refs), [0]);
    assert.equal(await s.collectBodies(3_600_000), 0, 'within the grace period it stays');
    assert.equal(await s.collectBodies(0), 1);
    assert.deepEqual(await blob(), []);
    assert.equal((await admin.query('SELECT count(*) AS n FROM mail_blob_chunks')).rows[0].n, '0');
    // the same content again after collection is stored again
    await s.append('c@example.jp', 'INBOX', body);
    assert.ok((await s.read('c@example.jp', 'INBOX', 2)).equals(body));
  });

  test('a large staged APPEND is streamed into chunks and read back in pieces across chunk boundaries', async () => {
    const s = await node(await cluster.createDatabase('large'));
    const text = 'これは大きなメッセージの本文です。ISO-2022-JPではなくUTF-8。\r\n'.repeat(20_000);
    const big = mail('big@x', '大きい', ['Content-Type: text/plain; charset=UTF-8'], text);
    assert.ok(big.length > 3 * CHUNK);
    const file = await s.stagingPath(OWNER);
    fs.writeFileSync(file, big);
    const r = await s.appendFile(OWNER, 'INBOX', file, { flags: ['\\Draft'] });
    assert.equal(fs.existsSync(file), false, 'the staged file is removed once stored');
    const h = await s.open(OWNER, 'INBOX', r.uid);
    assert.equal(h.size, big.length);
    const at = CHUNK - 10;
    assert.ok((await h.read(at, CHUNK + 20)).equals(big.subarray(at, at + CHUNK + 20)));
    assert.ok((await h.read(big.length - 5, 100)).equals(big.subarray(big.length - 5)));
    await h.close();
    assert.ok((await s.read(OWNER, 'INBOX', r.uid)).equals(big));
    await assert.rejects(s.appendFile(OWNER, 'INBOX', '/etc/hostname'), (e: StoreError) => e.code === 'CANNOT');
  });

  test('with the database stopped operations fail with UNAVAILABLE; once it is back the same store works', async () => {
    const url = await cluster.createDatabase('outage');
    const [a, b] = [await node(url), await node(url)];
    await a.append(OWNER, 'INBOX', mail('o1@x', '停止前'));
    await cluster.halt();
    try {
      const unavailable = (e: unknown) => e instanceof StoreError && e.code === 'UNAVAILABLE';
      await assert.rejects(a.append(OWNER, 'INBOX', mail('o2@x', '停止中')), unavailable);
      await assert.rejects(a.list(OWNER, 'INBOX'), unavailable);
      await assert.rejects(a.read(OWNER, 'INBOX', 1), unavailable);
      await assert.rejects(a.updateFlags(OWNER, 'INBOX', [1], 'add', ['\\Seen']), unavailable);
      await assert.rejects(b.status(OWNER, 'INBOX'), unavailable);
      await assert.rejects(b.listFolders(OWNER), unavailable);
    } finally {
      await cluster.resume();
    }
    let fired = 0;
    const off = b.watch(OWNER, 'INBOX', () => fired++);
    // the pools reconnect on their own; the LISTEN connections come back with back-off
    await until('the store answers again', async () => a.list(OWNER, 'INBOX').then(() => true, () => false));
    const r = await a.append(OWNER, 'INBOX', mail('o3@x', '再開後'));
    assert.equal(r.uid, 2, 'the append refused during the outage was not stored');
    assert.deepEqual((await b.list(OWNER, 'INBOX')).map((m) => m.uid), [1, 2]);
    await until('B listens again and hears new mail', () => b.listening && fired > 0);
    off();
  });
});
