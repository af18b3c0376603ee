// `tegami keys rotate` on [storage] backend = "postgres" (a private cluster, two `serve` nodes, the real CLI): the
// APOP secrets and the DKIM key in the shared rows are re-sealed in one transaction that also records the new key's
// fingerprint as the cluster's. Refused while this node's server runs and while another node is connected (it holds
// the old key in memory). Killed after the commit, a second run finishes with the same key. A node still holding
// the old key does not start (naming the file to copy); with the copy it starts and APOP (poplib) works on both.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { BIN, requireCommand } from '../../helpers/server.js';
import { unseal } from '../../../engine/accounts/password.js';
import { keyFingerprint } from '../../../engine/db/pg/server-key-check.js';
import { copyKeys, pgNodes } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const PW = 'alice-パスワード-1';

function apop(port: number): string {
  const py = `import os, poplib\np = poplib.POP3('127.0.0.1', ${port}, timeout=30)\ntry:\n  print(p.apop('alice@example.test', os.environ['PW']).decode())\nexcept poplib.error_proto as e:\n  print(e.args[0].decode())\n`;
  return spawnSync('python3', ['-c', py], { encoding: 'utf8', env: { ...process.env, PW }, timeout: 60_000 }).stdout.trim();
}

function rotate(config: string, kill?: string) {
  const env = { ...process.env, ...(kill ? { TEGAMI_TEST_KEYS_ROTATE_KILL: kill } : {}) };
  return spawnSync(process.execPath, [BIN, 'keys', 'rotate', '--json', '--config', config], { encoding: 'utf8', env, timeout: 120_000 });
}

describe('tegami keys rotate on PostgreSQL', { skip: skip ?? false, timeout: 300_000 }, () => {
  const fx = pgNodes('tegami_keys_rotate');

  it('re-seals the shared rows, records the new fingerprint, survives a crash; other nodes need the copy', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const a = await fx.node({ name: 'node-a', listeners: ['pop3'], users: [{ address: 'alice@example.test', password: PW }] });
    const b = await fx.node({ name: 'node-b', listeners: ['pop3'] });
    assert.match(apop(a.ports.pop3), /^\+OK/);
    assert.match(apop(b.ports.pop3), /^\+OK/);
    const keygen = a.cli(['dkim', 'keygen', 'example.test', '--selector', 's1']);
    assert.equal(keygen.status, 0, keygen.stderr);
    const c = await fx.client();
    const rows = async () => ({
      secret: (await c.query<{ s: string }>("SELECT secret_sealed AS s FROM users WHERE address = 'alice@example.test'")).rows[0].s,
      dkim: (await c.query<{ s: string }>("SELECT key_sealed AS s FROM dkim_keys WHERE domain = 'example.test' AND selector = 's1'")).rows[0].s,
      fingerprint: (await c.query<{ f: string }>("SELECT fingerprint AS f FROM server_key WHERE name = 'secret.key'")).rows[0].f,
    });
    const before = await rows();
    assert.equal(unseal(fx.secret, before.secret), PW);
    const pem = unseal(fx.secret, before.dkim);
    assert.match(pem ?? '', /BEGIN PRIVATE KEY/);
    assert.equal(before.fingerprint, keyFingerprint(fx.secret));

    // node A's server runs: refused; A stopped but B still connected: refused, naming B
    let r = rotate(a.configPath);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /a tegami \(pid \d+\) is running/);
    await a.stop();
    r = rotate(a.configPath);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /other nodes are connected to the database \(node-b\).*stop every node first.*nothing was changed/);
    assert.deepEqual(await rows(), before);
    await b.stop();

    // killed after its transaction committed: the rows and the fingerprint are the new key's, secret.key still the old
    const keyFile = path.join(a.dataDir, 'keys', 'secret.key');
    r = rotate(a.configPath, 'resealed');
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const next = fs.readFileSync(`${keyFile}.next`);
    assert.ok(fs.readFileSync(keyFile).equals(fx.secret));
    const mid = await rows();
    assert.equal(unseal(next, mid.secret), PW);
    assert.equal(unseal(next, mid.dkim), pem);
    assert.equal(unseal(fx.secret, mid.secret), null);
    assert.equal(mid.fingerprint, keyFingerprint(next));

    // the second run finishes: nothing re-sealed again, the new key in place
    r = rotate(a.configPath);
    assert.equal(r.status, 0, r.stderr);
    const done = JSON.parse(r.stdout) as { resumed: boolean; resealed: number; already: number };
    assert.deepEqual([done.resumed, done.resealed, done.already], [true, 0, 2]);
    assert.ok(fs.readFileSync(keyFile).equals(next));
    assert.deepEqual(await rows(), mid);

    // node B still holds the old key: it does not start, and says which file to copy
    const serveB = spawnSync(process.execPath, [BIN, 'serve', '--config', b.configPath], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(serveB.status, 1);
    assert.match(serveB.stderr, /keys\/secret\.key \(fingerprint [0-9a-f]{16}\) is not the key the other nodes use \(fingerprint [0-9a-f]{16}\)/);
    copyKeys(a.dataDir, b.dataDir);
    await a.restart();
    await b.restart();
    assert.match(apop(a.ports.pop3), /^\+OK/);
    assert.match(apop(b.ports.pop3), /^\+OK/);
  });
});
