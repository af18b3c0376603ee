// The rules delivery of a worker (workers/sieve-delivery.ts) on a real data dir: [sieve] max_redirects_per_day
// counts a message once. The day cap is claimed before the mailbox write; when that write fails the queue retries
// the same message (same queue id), and the retry must not count its redirect a second time — with a cap of one,
// the retried message is still sent on, and only the next message is over the cap.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { openDatabase } from '../../engine/db/database.js';
import { directoryFor } from '../../engine/context.js';
import { SqliteRulesStore } from '../../engine/rules/sqlite-store.js';
import type { Envelope } from '../../engine/spool/envelope.js';
import { RulesDelivery, type DeliveryResult, type RulesInput } from '../../workers/sieve-delivery.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-rules-delivery-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const empty = (): DeliveryResult => ({ delivered: [], remote: [], failed: [], tempFailed: [], skippedDuplicates: 0 });
const events = (r: DeliveryResult) => (r.events ?? []).map((e) => e.event);

test('a delivery retried after a failed mailbox write counts its redirect once', async () => {
  const config = parseConfigText(
    `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[dns]\nservers = ["127.0.0.1:9"]\ntimeout = "200ms"\n[sieve]\nmax_redirects_per_day = 1\n`,
    path.join(dir, 'tegami.toml'),
  );
  const db = openDatabase(config.data_dir);
  const directory = directoryFor(config, db);
  await directory.addUser({ address: 'alice@example.test', password: 'secret-pass-1' });
  const rules = new SqliteRulesStore(db);
  rules.putScript('alice@example.test', 'fwd', 'require "copy";\nredirect :copy "friend@friend.test";\n');
  rules.setActive('alice@example.test', 'fwd');

  const input = (id: string): RulesInput => {
    const env: Envelope = { id, time: Date.now(), mailFrom: 'sender@orig.test', rcptTo: [{ address: 'alice@example.test', kind: 'local' }], client: { ip: '192.0.2.1', helo: 'client.orig.test', protocol: 'ESMTP', listener: 'smtp' } };
    const message = [Buffer.from(`From: sender@orig.test\r\nTo: alice@example.test\r\nSubject: ${id}\r\nMessage-ID: <${id}@orig.test>\r\n\r\nhello\r\n`)];
    return { config, db, directory, env, mailboxes: [{ owner: 'alice@example.test', rcpt: 'alice@example.test' }], verdictHeaders: Buffer.alloc(0), message };
  };
  const written: string[] = [];
  const writeOk = async (_m: unknown, copy: { folder: string }) => {
    written.push(copy.folder);
    return 'written' as const;
  };

  // the first attempt: the redirect is counted, then the mailbox write fails (a full disk): retried later
  const first = empty();
  await new RulesDelivery(input('Q1first')).deliver(first, async () => {
    throw new Error('ENOSPC: no space left on device');
  });
  assert.match(first.tempFailed[0]?.reason ?? '', /^4\.3\.0 Local delivery failed/);
  assert.deepEqual(first.originated ?? [], [], 'nothing sent on while the copy was not stored');

  // the queue's retry of the same message: stored, and sent on (the cap of one is this message's own)
  const retry = empty();
  await new RulesDelivery(input('Q1first')).deliver(retry, writeOk);
  assert.deepEqual(retry.tempFailed, []);
  assert.deepEqual(written, ['INBOX']);
  assert.ok(events(retry).includes('redirect'), `sent on: ${events(retry).join(', ')}`);
  assert.ok(!events(retry).includes('redirect-limit'), 'not counted a second time');
  assert.equal(retry.originated?.length, 1, 'the redirected copy queued');

  // another message is over the cap: kept, not sent on
  const next = empty();
  await new RulesDelivery(input('Q2second')).deliver(next, writeOk);
  assert.ok(events(next).includes('redirect-limit'), events(next).join(', '));
  assert.deepEqual(next.originated ?? [], []);
  assert.deepEqual(written, ['INBOX', 'INBOX']);
  db.close();
});
