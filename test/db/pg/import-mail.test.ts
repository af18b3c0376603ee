// `tegami db import-local` moves a single node's Maildir mail into the shared mailbox store (engine/store/pg-import.ts):
// every folder (a Japanese name too) and message with its flags, INTERNALDATE, UID (a gap left by an expunge kept)
// and the folder's UIDVALIDITY, so an IMAP client's cache stays valid; the counts are printed and checked; a second
// run (--merge) stores nothing twice. Read back through PgMailboxStore, what IMAP/POP3/JMAP on PostgreSQL use.
// The spool's remote recipients move into the shared queue with their state (engine/queue/pg-import.ts), a local
// one stays in the spool, and a domain hold becomes a queue_holds row.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import pg from 'pg';
import { writeHolds } from '../../../engine/outbound/holds.js';
import { readState, writeState } from '../../../engine/queue/state.js';
import { newQueueId } from '../../../engine/spool/envelope.js';
import { Spool } from '../../../engine/spool/spool.js';
import { MaildirStore } from '../../../engine/store/maildir-store.js';
import { PgMailboxStore } from '../../../engine/store/pg-store.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { BIN, run } from '../../helpers/server.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();

const USER = 'taro@example.test';
const FOLDER = '請求書';

interface Count {
  table: string;
  source: number;
  imported: number;
  postgres: number;
  missing: number;
}

const mail = (subject: string, body: Buffer | string, charset = 'UTF-8') =>
  Buffer.concat([Buffer.from(`From: s@origin.test\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@origin.test>\r\nContent-Type: text/plain; charset=${charset}\r\n\r\n`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);

describe('tegami db import-local: Maildir mail and the spool into the shared store and queue', { skip: skip ?? false }, () => {
  let cluster: PgCluster;
  let dir: string;
  let configPath: string;
  const source = new Map<string, { uid: number; flags: string[]; raw: Buffer; internalDate: number }[]>();
  const validity = new Map<string, number>();
  const queued = newQueueId();
  const retryAt = Date.now() + 3_600_000;
  let spool: Spool;

  before(async () => {
    cluster = await startPostgres('tegami_import_mail');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-import-mail-'));
    const dataDir = path.join(dir, 'data');
    configPath = path.join(dir, 'tegami.toml');
    fs.writeFileSync(configPath, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(dataDir)}\n[domains]\nlocal = ["example.test"]\n`);
    const add = await run(BIN, ['user', 'add', USER, '--password-stdin', '--config', configPath], { input: 'taro-pass-1\n' });
    assert.equal(add.code, 0, add.stderr);
    // the single node's mail, as its server would have stored it
    const md = new MaildirStore(dataDir);
    try {
      await md.append(USER, 'INBOX', mail('one', 'こんにちは'), { flags: ['\\Seen'] });
      await md.append(USER, 'INBOX', mail('two', 'expunged'));
      await md.append(USER, 'INBOX', mail('three', iconv.encode('迷惑ではありません', 'Shift_JIS'), 'Shift_JIS'), { flags: ['\\Flagged', '$Junk'] });
      await md.expunge(USER, 'INBOX', [2]);
      await md.createFolder(USER, FOLDER);
      await md.append(USER, FOLDER, mail('invoice', iconv.encode('請求書を送ります', 'EUC-JP'), 'EUC-JP'), { flags: ['\\Answered', '\\Seen'] });
      for (const f of ['INBOX', FOLDER]) {
        validity.set(f, (await md.status(USER, f)).uidValidity);
        const list = await md.list(USER, f);
        source.set(f, await Promise.all(list.map(async (m) => ({ uid: m.uid, flags: [...m.flags].sort(), raw: await md.read(USER, f, m.uid), internalDate: m.internalDate }))));
      }
    } finally {
      await md.close();
    }
    assert.deepEqual(source.get('INBOX')!.map((m) => m.uid), [1, 3]);
    // its queue: one message deferred twice for a remote recipient, with a local recipient waiting too; a domain hold
    spool = new Spool(path.join(dataDir, 'spool'));
    const env = { id: queued, time: Date.now() - 60_000, mailFrom: USER, rcptTo: [{ address: 'jiro@remote.test', kind: 'remote' as const }, { address: USER, kind: 'local' as const }], client: { ip: '127.0.0.1', helo: 'c.test', protocol: 'ESMTP', listener: 'submission' } };
    const w = await spool.create(env);
    w.write(mail('queued', 'キューの中'));
    await spool.commit(w);
    await w.release();
    await writeState(spool.queueDir, {
      id: queued,
      created: env.time,
      held: false,
      recipients: [
        { address: 'jiro@remote.test', rcpt: 'jiro@remote.test', kind: 'remote', status: 'deferred', attempts: 2, nextAttempt: retryAt, lastAttempt: env.time + 1000, lastError: '451 4.4.1 try later', notify: ['FAILURE'] },
        { address: USER, rcpt: USER, kind: 'local', status: 'deferred', attempts: 1, nextAttempt: retryAt, lastError: '4.2.2 Mailbox full' },
      ],
    });
    writeHolds(dataDir, new Set(['held.test']));
    fs.appendFileSync(configPath, `[storage]\nbackend = "postgres"\nurl = ${JSON.stringify(cluster.url)}\ntls = "disable"\nnode_name = "node-a"\n`);
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps folders, flags, UIDs and UIDVALIDITY, moves queued remote recipients with their state, checks the counts, and imports nothing twice', async () => {
    const first = await run(BIN, ['db', 'import-local', '--json', '--config', configPath]);
    assert.equal(first.code, 0, first.stderr);
    const counts = new Map((JSON.parse(first.stdout) as { counts: Count[] }).counts.map((c) => [c.table, c]));
    const msgs = counts.get('mail_messages')!;
    assert.deepEqual([msgs.source, msgs.imported, msgs.postgres, msgs.missing], [3, 3, 3, 0]);
    assert.equal(counts.get('mail_mailboxes')!.missing, 0);
    assert.ok(counts.get('mail_mailboxes')!.source >= 2);
    const q = counts.get('queue_recipients')!;
    assert.deepEqual([q.source, q.imported, q.missing], [1, 1, 0]);
    assert.deepEqual([counts.get('queue_holds')!.imported, counts.get('queue_holds')!.missing], [1, 0]);

    const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
    const store = new PgMailboxStore(pool, { listen: {}, collectEveryMs: 0 });
    try {
      // the remote recipient in the shared queue with its state; the local one left in the spool
      const rows = (await pool.query('SELECT address, state, attempts, next_attempt::float8 AS next, last_reply, notify FROM queue_recipients WHERE message_id = $1', [queued])).rows;
      assert.deepEqual(rows, [{ address: 'jiro@remote.test', state: 'deferred', attempts: 2, next: retryAt, last_reply: '451 4.4.1 try later', notify: ['FAILURE'] }]);
      const body = await pool.query<{ data: Buffer }>('SELECT b.data FROM queue_envelopes e JOIN queue_bodies b ON b.sha256 = e.body_sha256 WHERE e.id = $1', [queued]);
      assert.match(body.rows[0].data.toString('utf8'), /Subject: queued/);
      const left = await readState(spool.queueDir, queued);
      assert.deepEqual(left?.recipients.map((r) => r.address), [USER]);
      assert.deepEqual((await pool.query('SELECT domain FROM queue_holds')).rows, [{ domain: 'held.test' }]);
      assert.ok((await store.listFolders(USER)).includes(FOLDER));
      for (const f of ['INBOX', FOLDER]) {
        const st = await store.status(USER, f);
        assert.equal(st.uidValidity, validity.get(f), `${f}: UIDVALIDITY kept`);
        const want = source.get(f)!;
        assert.ok(st.uidNext > want[want.length - 1].uid, `${f}: UIDNEXT above every UID`);
        const got = await store.list(USER, f);
        assert.deepEqual(got.map((m) => m.uid), want.map((m) => m.uid), `${f}: UIDs kept`);
        for (const [i, m] of got.entries()) {
          assert.deepEqual([...m.flags].sort(), want[i].flags, `${f} ${m.uid}: flags`);
          assert.equal(m.internalDate, want[i].internalDate, `${f} ${m.uid}: INTERNALDATE`);
          assert.ok((await store.read(USER, f, m.uid)).equals(want[i].raw), `${f} ${m.uid}: the bytes`);
        }
      }
      // a new message after the import takes the next UID, above the imported ones
      const next = await store.append(USER, 'INBOX', mail('after', 'new'));
      assert.equal(next.uid, 4);

      const again = await run(BIN, ['db', 'import-local', '--merge', '--json', '--config', configPath]);
      assert.equal(again.code, 0, again.stderr);
      const second = new Map((JSON.parse(again.stdout) as { counts: Count[] }).counts.map((c) => [c.table, c]));
      assert.equal(second.get('mail_messages')!.imported, 0, 'nothing stored twice');
      assert.equal(second.get('mail_messages')!.missing, 0);
      assert.equal(second.get('queue_recipients')!.imported, 0, 'the queue too');
      assert.equal(Number((await pool.query('SELECT count(*) AS n FROM queue_recipients')).rows[0].n), 1);
      assert.deepEqual((await store.list(USER, 'INBOX')).map((m) => m.uid), [1, 3, 4]);
    } finally {
      await store.close();
      await pool.end();
    }
  });
});
