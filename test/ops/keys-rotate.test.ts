// `tegami keys rotate` on an existing SQLite data dir, with the real CLI and server: every APOP/CRAM-MD5 secret
// sealed with keys/secret.key is re-sealed under a new key, and APOP (Python's poplib) works before and after. A
// rotation killed (SIGKILL, through the test-only TEGAMI_TEST_KEYS_ROTATE_KILL hook) after it wrote the new key, and
// again after its transaction committed, loses nothing: `serve` refuses to start on the half-done state, and a
// second run finishes with the key the first one wrote (a no-op for the values done). A key file of the wrong size
// or a key from another server is refused with a clear error and nothing changed; so is a rotation while a server
// runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, requireCommand, startTestServer, type TestServer } from '../helpers/server.js';
import { unseal } from '../../engine/accounts/password.js';

const USERS = [
  { address: 'taro@example.test', password: 'pass-word-taro' },
  { address: 'hanako@example.test', password: 'パスワード-花子' },
  { address: 'jiro@example.test', password: 'pass-word-jiro' },
];

let srv: TestServer;
let keyFile: string;

before(async () => {
  srv = await startTestServer({ listeners: ['pop3'], users: USERS });
  keyFile = path.join(srv.dataDir, 'keys', 'secret.key');
});
after(async () => {
  await srv?.stop();
});

function rotate(kill?: string, json = false) {
  const env = { ...process.env, ...(kill ? { TEGAMI_TEST_KEYS_ROTATE_KILL: kill } : {}) };
  return spawnSync(process.execPath, [BIN, 'keys', 'rotate', ...(json ? ['--json'] : []), '--config', srv.configPath], { encoding: 'utf8', env, timeout: 60_000 });
}

function sealedRows(): Map<string, string> {
  const db = new Database(path.join(srv.dataDir, 'tegami.db'), { readonly: true });
  try {
    return new Map((db.prepare('SELECT address, secret_sealed FROM users WHERE secret_sealed IS NOT NULL').all() as { address: string; secret_sealed: string }[]).map((r) => [r.address, r.secret_sealed]));
  } finally {
    db.close();
  }
}

function openAll(key: Buffer): string[] {
  return [...sealedRows().values()].map((s) => unseal(key, s) ?? '(unreadable)').sort();
}

const passwords = USERS.map((u) => u.password).sort();

function apopAll(): void {
  const script = `
import os, poplib, json
for u in json.loads(os.environ['USERS']):
    p = poplib.POP3('127.0.0.1', int(os.environ['POP']), timeout=30)
    p.apop(u['address'], u['password'])
    p.quit()
print('ok')
`;
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, POP: String(srv.ports.pop3), USERS: JSON.stringify(USERS) }, timeout: 60_000 });
  assert.equal(r.stdout.trim(), 'ok', r.stderr);
}

test('keys rotate re-seals every secret; crashes in the middle lose nothing; bad keys are refused', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  apopAll();
  const key0 = fs.readFileSync(keyFile);
  assert.deepEqual(openAll(key0), passwords);
  const rows0 = sealedRows();
  assert.equal(rows0.size, 3);

  // while the server runs: refused, nothing changed
  const running = rotate();
  assert.equal(running.status, 1);
  assert.match(running.stderr, /keys rotate: a tegami \(pid \d+\) is running on .*: stop it first .*nothing was changed/);
  assert.ok(fs.readFileSync(keyFile).equals(key0));
  await srv.stop();

  // a key file of the wrong size: a clear error, nothing written
  fs.writeFileSync(keyFile, key0.subarray(0, 20));
  const short = rotate();
  assert.equal(short.status, 1);
  assert.match(short.stderr, /secret\.key is not a key of the right size \(20 bytes, not 32/);
  assert.deepEqual(sealedRows(), rows0);
  assert.ok(!fs.existsSync(`${keyFile}.next`));
  // a key from another server: it opens none of the values
  fs.writeFileSync(keyFile, crypto.randomBytes(32));
  const wrong = rotate();
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /opens none of the 3 sealed value\(s\): it is not the key they were sealed with.*nothing was changed/);
  assert.deepEqual(sealedRows(), rows0);
  assert.ok(!fs.existsSync(`${keyFile}.next`), 'the new key of a refused run is not left behind');
  fs.writeFileSync(keyFile, key0, { mode: 0o600 });

  // killed after writing the new key: the values and secret.key are as they were, the new key waits beside them
  const k1 = rotate('next-written');
  assert.equal(k1.signal, 'SIGKILL', k1.stderr);
  assert.ok(fs.readFileSync(keyFile).equals(key0));
  const next = fs.readFileSync(`${keyFile}.next`);
  assert.equal(next.length, 32);
  assert.deepEqual(sealedRows(), rows0);

  // killed again, this time after the transaction committed (the run resumes with the same new key)
  const k2 = rotate('resealed');
  assert.equal(k2.signal, 'SIGKILL', k2.stderr);
  assert.ok(fs.readFileSync(keyFile).equals(key0), 'the old key is still in use');
  assert.ok(fs.readFileSync(`${keyFile}.next`).equals(next));
  assert.deepEqual(openAll(next), passwords, 'every value is under the new key');
  const rows2 = sealedRows();
  for (const [a, s] of rows2) assert.notEqual(s, rows0.get(a));

  // serve refuses to start on the half-done rotation
  const serve = spawnSync(process.execPath, [BIN, 'serve', '--config', srv.configPath], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(serve.status, 1);
  assert.match(serve.stderr, /a rotation of .*secret\.key was interrupted \(secret\.key\.next is there\): run tegami keys rotate again/);

  // the second run finishes: a no-op for the values, the new key in place
  const done = rotate(undefined, true);
  assert.equal(done.status, 0, done.stderr);
  const r = JSON.parse(done.stdout) as { resumed: boolean; resealed: number; already: number; unreadable: unknown[] };
  assert.deepEqual([r.resumed, r.resealed, r.already, r.unreadable.length], [true, 0, 3, 0]);
  assert.ok(fs.readFileSync(keyFile).equals(next));
  assert.ok(!fs.existsSync(`${keyFile}.next`));
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  assert.deepEqual(sealedRows(), rows2, 'nothing re-sealed twice');

  // and a plain rotation from there, with a value sealed under neither key left alone and named
  const db = new Database(path.join(srv.dataDir, 'tegami.db'));
  db.prepare("UPDATE users SET secret_sealed = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE address = 'jiro@example.test'").run();
  db.close();
  const plain = rotate();
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^keys\/secret\.key rotated: fingerprint [0-9a-f]{16} → [0-9a-f]{16}$/m);
  assert.match(plain.stdout, /^re-sealed 2 value\(s\)$/m);
  assert.match(plain.stdout, /left as it was \(opens with neither key, already unreadable\): users\.secret_sealed jiro@example\.test/);
  const key2 = fs.readFileSync(keyFile);
  assert.ok(!key2.equals(next));
  assert.deepEqual(openAll(key2), ['(unreadable)', USERS[0].password, USERS[1].password].sort());

  // the server starts with the new key and APOP works
  await srv.restart();
  const pop = spawnSync('python3', ['-c', `
import os, poplib
for a, p in (('taro@example.test', 'pass-word-taro'), ('hanako@example.test', 'パスワード-花子')):
    c = poplib.POP3('127.0.0.1', int(os.environ['POP']), timeout=30); c.apop(a, p); c.quit()
print('ok')
`], { encoding: 'utf8', env: { ...process.env, POP: String(srv.ports.pop3) }, timeout: 60_000 });
  assert.equal(pop.stdout.trim(), 'ok', pop.stderr);
});
