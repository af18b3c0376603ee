// DKIM keys on [storage] backend = "postgres" (engine/outbound/dkim-keys.ts, migration 31): a key made with
// `tegami dkim keygen` on node A is a dkim_keys row sealed with keys/secret.key (the file both nodes hold), never
// the PEM in clear; mail alice submits (swaks, logged in) to node B is signed with it, and mailauth verifies the
// signature at a lab sink against the record published in the lab DNS. `tegami db import-local` turns a single
// node's key files into such rows, and node B signs with an imported key too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promises as dnsp } from 'node:dns';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startSink, type ReceivedMessage, type Sink } from '../../../lab/peers/sink.js';
import { startDnsServer, type DnsServer } from '../../../lab/dns/server.js';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { requireCommand, run, type TestServer } from '../../helpers/server.js';
import { pgNodes } from './pg-node.js';
import { until } from './shared-mail.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const ALICE_PW = 'alice-secret-1';

describe('DKIM keys sealed in PostgreSQL, used by every node', { skip: skip ?? false, timeout: 180_000 }, () => {
  // the nodes hold the fixture's sealing key, as every node must (docs/scale-out.md, "Keys")
  const fx = pgNodes('tegami_serve_dkim');
  let sink: Sink;
  let dns: DnsServer;
  let a: TestServer;
  let b: TestServer;
  let db: pg.Client;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgdkim-'));

  /** A single node's data dir holding the same sealing key. */
  const dataDir = (name: string) => {
    const d = path.join(tmp, name);
    fs.mkdirSync(path.join(d, 'keys'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(d, 'keys', 'secret.key'), fx.secret, { mode: 0o600 });
    return d;
  };
  /** Everything but [storage]: the lab DNS, no spam checks, a fast retry, remote.test routed to the sink. */
  const toml = () => ['[dns]', `servers = ["${dns.address}"]`, '[spam]', 'enabled = false', '[queue]', 'retry_schedule = ["1s"]', '[[route]]', 'domain = "remote.test"', `to = "${sink.address}"`].join('\n');

  before(async () => {
    sink = await startSink({});
    dns = await startDnsServer({ zones: [] });
    const storage = { pool_size: 3 };
    a = await fx.node({ name: 'node-a', storage, sharedKey: true, listeners: ['smtp'], hostname: 'a.example.test', toml: toml(), users: [{ address: 'alice@example.test', password: ALICE_PW }] });
    b = await fx.node({ name: 'node-b', storage, sharedKey: true, listeners: ['submission'], hostname: 'b.example.test', toml: toml() });
    db = await fx.client();
  });
  after(async () => {
    await sink?.close();
    await dns?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function verify(m: ReceivedMessage): Promise<{ result: string; domain?: string; selector?: string }[]> {
    const resolver = new dnsp.Resolver();
    resolver.setServers([dns.address]);
    const v = await dkimVerify(m.raw, { resolver: (name: string, rr: string) => resolver.resolve(name, rr) as Promise<string[][]> });
    return v.results.map((r) => ({ result: r.status.result, domain: r.signingDomain, selector: r.selector }));
  }

  /** alice, logged in on node B's submission port; the message as the sink received it. */
  async function sendViaB(subject: string): Promise<ReceivedMessage> {
    const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(b.ports.submission), '--auth', 'PLAIN', '--auth-user', 'alice@example.test', '--auth-password', ALICE_PW, '--from', 'alice@example.test', '--to', 'friend@remote.test', '--header', 'From: alice@example.test', '--header', `Subject: ${subject}`, '--body', 'こんにちは、署名つき。', '--timeout', '30']);
    assert.match(r.stdout, /<- {2}250 /, r.stdout + r.stderr);
    return until(`"${subject}" at the sink`, () => !!sink.messages.find((m) => m.raw.toString().includes(`Subject: ${subject}`)), 120_000).then(() => sink.messages.find((m) => m.raw.toString().includes(`Subject: ${subject}`))!);
  }

  /** Node B's local copy holds the row (the replica's notification reached it). */
  const copiedToB = (selector: string) =>
    until(`key ${selector} in node B's copy`, () => {
      const copy = new Database(path.join(b.dataDir, 'tegami.db'), { readonly: true });
      try {
        return !!copy.prepare('SELECT 1 FROM dkim_keys WHERE domain = ? AND selector = ?').get('example.test', selector);
      } finally {
        copy.close();
      }
    }, 30_000);

  it("a key made on node A's CLI signs mail sent through node B; the row holds it sealed", async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const r = a.cli(['dkim', 'keygen', 'example.test', '--selector', 'pg1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rec = JSON.parse(r.stdout) as { name: string; value: string; file?: string };
    assert.equal(rec.file, undefined, 'no key file');
    assert.ok(!fs.existsSync(path.join(a.dataDir, 'dkim')), 'nothing written under data_dir/dkim/');
    dns.add([{ name: rec.name, type: 'TXT', data: rec.value }]);

    const row = (await db.query<{ key_sealed: string }>("SELECT key_sealed FROM dkim_keys WHERE domain = 'example.test' AND selector = 'pg1'")).rows[0];
    assert.ok(row, 'the key is a row in PostgreSQL');
    const all = JSON.stringify((await db.query('SELECT * FROM dkim_keys')).rows);
    // the fixed DER start of an RSA key's base64 (PKCS#8 or PKCS#1), not any "MII…": a sealed blob of ~2,000 random
    // base64 characters holds "MII" and 20 more by chance in about 1 run of 130
    assert.doesNotMatch(all, /PRIVATE KEY|MII[A-Za-z0-9+/]{3}(?:IBADANBgkqhkiG9w0BAQEFAASC|IBAAKCAQEA)/, 'no PEM (nor its base64 body) in clear');
    // it is the private half of the published record, sealed under the shared key
    const raw = Buffer.from(row.key_sealed, 'base64');
    const d = crypto.createDecipheriv('aes-256-gcm', fx.secret, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    const pem = Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString();
    const pub = crypto.createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
    assert.ok(rec.value.endsWith(`p=${pub}`), 'the sealed key is the one published');

    await copiedToB('pg1');
    const m = await sendViaB('signed on node B');
    assert.deepEqual(await verify(m), [{ result: 'pass', domain: 'example.test', selector: 'pg1' }]);
  });

  it('tegami db import-local moves a single node\'s key files into sealed rows that node B signs with', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    // a single node's data dir (SQLite) with a key file made by its own `tegami dkim keygen`
    const single = dataDir('single');
    const cfg = path.join(single, 'tegami.toml');
    fs.writeFileSync(cfg, ['hostname = "single.example.test"', `data_dir = "${single}"`, '[domains]', 'local = ["example.test"]'].join('\n'));
    const tegami = path.resolve('bin/tegami');
    const gen = await run('node', [tegami, 'dkim', 'keygen', 'example.test', '--selector', 'file2', '--json', '--config', cfg]);
    assert.equal(gen.code, 0, gen.stderr);
    const rec = JSON.parse(gen.stdout) as { name: string; value: string; file: string };
    assert.ok(fs.existsSync(rec.file), 'SQLite: a key file, as always');
    dns.add([{ name: rec.name, type: 'TXT', data: rec.value }]);
    fs.appendFileSync(cfg, ['', '[storage]', 'backend = "postgres"', `url = ${JSON.stringify(fx.url)}`, 'tls = "disable"'].join('\n'));
    const imp = await run('node', [tegami, 'db', 'import-local', '--merge', '--json', '--config', cfg]);
    assert.equal(imp.code, 0, imp.stderr);
    const counts = (JSON.parse(imp.stdout) as { counts: { table: string; source: number; missing: number }[] }).counts.filter((c) => c.table === 'dkim_keys' && c.source > 0);
    assert.deepEqual(counts.map((c) => [c.source, c.missing]), [[1, 0]]);
    const row = (await db.query<{ key_sealed: string }>("SELECT key_sealed FROM dkim_keys WHERE selector = 'file2'")).rows[0];
    assert.ok(row && !row.key_sealed.includes(fs.readFileSync(rec.file, 'utf8').split('\n')[1]), 'imported sealed');

    // the newest key signs: the imported one is newer than pg1 only if its file is; make it so
    await db.query("UPDATE dkim_keys SET created = created + 1000000 WHERE selector = 'file2'");
    await until("node B's copy has the newer key", () => {
      const copy = new Database(path.join(b.dataDir, 'tegami.db'), { readonly: true });
      try {
        return (copy.prepare("SELECT selector FROM dkim_keys WHERE domain = 'example.test' ORDER BY created DESC LIMIT 1").get() as { selector: string } | undefined)?.selector === 'file2';
      } finally {
        copy.close();
      }
    }, 30_000);
    const m = await sendViaB('imported key on node B');
    assert.deepEqual(await verify(m), [{ result: 'pass', domain: 'example.test', selector: 'file2' }]);
  });
});
