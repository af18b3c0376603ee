// The shared submission entry point (engine/submission/submit.ts) on its own, with a real spool and a queue that
// records what it is handed: the same sender, recipient and author rules as SMTP AUTH, the origin DKIM decides
// on, the size limit, and nothing left in the spool when a message is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../engine/config/load.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { SqliteDirectory } from '../../engine/accounts/sqlite-directory.js';
import { nullLogger } from '../../engine/log/logger.js';
import { RelayPolicy } from '../../engine/policy/relay.js';
import { Spool, type SpoolWriter } from '../../engine/spool/spool.js';
import type { Envelope } from '../../engine/spool/envelope.js';
import { submitter, type Submit, type SubmissionRequest } from '../../engine/submission/submit.js';
import type { User } from '../../engine/accounts/directory.js';

let dir: string;
let db: Db;
let submit: Submit;
let spool: Spool;
let alice: User;
let admin: User;
const handed: { env: Envelope; body: Buffer }[] = [];
let full = false;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-submit-'));
  const configPath = path.join(dir, 'tegami.toml');
  fs.writeFileSync(configPath, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(dir)}\nmax_message_size = "4K"\n[domains]\nlocal = ["example.test", "other.test"]\n[smtp]\nadmins_may_send_as_anyone = true\n[log]\nstdout = false\n`);
  const config = loadConfig(configPath);
  db = openDatabase(dir);
  const directory = new SqliteDirectory(db, {
    hostname: 'mx.example.test', configDomains: ['example.test', 'other.test'], hostAliases: {}, serverKey: crypto.randomBytes(32), decoyKey: crypto.randomBytes(32),
    recoverableSecrets: false, minUserLength: 1, passwordMin: 8, passwordMax: 128,
  });
  await directory.addUser({ address: 'alice@example.test', password: 'password-1' });
  await directory.addUser({ address: 'root@example.test', password: 'password-1', systemAdmin: true });
  directory.addAlias('sales@other.test', ['alice@example.test']);
  alice = directory.user('alice@example.test')!;
  admin = directory.user('root@example.test')!;
  spool = new Spool(path.join(dir, 'spool'));
  const queue = {
    spool,
    isFull: () => full,
    beginReceive: () => () => undefined,
    async receive(w: SpoolWriter, env: Envelope) {
      await w.finish();
      const src = w.source();
      const body = 'shared' in src ? Buffer.from(src.shared) : fs.readFileSync(w.file).subarray(w.bodyOffset);
      handed.push({ env, body });
      await spool.discard(w);
      return { kind: 'accepted' as const, id: env.id, delivered: false };
    },
  };
  submit = submitter({ config, directory, logger: nullLogger, queue: queue as never, relay: new RelayPolicy(config.relay.mode, config.relay.allow_ips) });
});
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const msg = (from: string, extra = '') => Buffer.from(`From: ${from}\r\nTo: friend@remote.test\r\nSubject: s\r\n${extra}\r\nhello\r\n`);
const req = (o: Partial<SubmissionRequest>): SubmissionRequest => ({
  user: alice, mailFrom: 'alice@example.test', rcptTo: ['friend@remote.test'], message: msg('alice@example.test'),
  client: { ip: '192.0.2.1', helo: '', protocol: 'HTTPSA', listener: 'jmap' }, sid: 't', ...o,
});

function spoolEmpty(): boolean {
  return ['incoming', 'queue'].every((d) => !fs.existsSync(path.join(spool.root, d)) || fs.readdirSync(path.join(spool.root, d)).length === 0);
}

test('accepted: the message reaches the queue with the author as origin (DKIM may sign for example.test)', async () => {
  handed.length = 0;
  const r = await submit(req({}));
  assert.equal(r.kind, 'accepted');
  assert.equal(handed.length, 1);
  assert.deepEqual(handed[0].env.origin, { kind: 'author', domain: 'example.test', by: 'login' });
  assert.deepEqual(handed[0].env.rcptTo, [{ address: 'friend@remote.test', kind: 'remote' }]);
  assert.equal(handed[0].env.client.user, 'alice@example.test');
  assert.equal(handed[0].body.toString(), msg('alice@example.test').toString());
  // an alias of hers in another hosted domain is hers too, envelope and From: alike
  const alias = await submit(req({ mailFrom: 'sales@other.test', message: msg('Sales <sales@other.test>') }));
  assert.equal(alias.kind, 'accepted');
  assert.deepEqual(handed[1].env.origin, { kind: 'author', domain: 'other.test', by: 'login' });
});

test('refused as SMTP AUTH refuses: a sender, a From: or a Sender: not hers, an unknown local user, too large, a full queue', async () => {
  handed.length = 0;
  const cases: [Partial<SubmissionRequest>, string, number][] = [
    [{ mailFrom: 'ceo@example.test' }, 'sender', 553],
    [{ message: msg('ceo@example.test') }, 'author', 550],
    [{ message: msg('alice@example.test', 'Sender: ceo@other.test\r\n') }, 'author', 550],
    [{ rcptTo: ['nobody@example.test', 'friend@remote.test'] }, 'recipients', 550],
    [{ message: Buffer.concat([msg('alice@example.test'), Buffer.alloc(5000, 0x61)]) }, 'size', 552],
  ];
  for (const [o, stage, code] of cases) {
    const r = await submit(req(o));
    assert.equal(r.kind, 'refused', stage);
    if (r.kind !== 'refused') continue;
    assert.deepEqual([r.stage, r.refusal.code], [stage, code]);
    if (stage === 'recipients') assert.deepEqual(r.recipients?.map((x) => x.address), ['nobody@example.test']);
  }
  full = true;
  const busy = await submit(req({}));
  full = false;
  assert.deepEqual(busy.kind === 'refused' && [busy.stage, busy.refusal.code], ['busy', 451]);
  assert.equal(handed.length, 0, 'nothing refused reached the queue');
  assert.ok(spoolEmpty(), 'and nothing refused is left in the spool');
});

test('an admin may send as anyone when admins_may_send_as_anyone is on, and then nothing is signed for a foreign domain', async () => {
  handed.length = 0;
  const r = await submit(req({ user: admin, mailFrom: 'anyone@remote.test', message: msg('anyone@remote.test') }));
  assert.equal(r.kind, 'accepted');
  assert.notDeepEqual(handed[0].env.origin, { kind: 'author', domain: 'remote.test', by: 'login' }, 'a foreign From: is not signed as ours');
});
