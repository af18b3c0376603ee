// Starting a node on [storage] backend = "postgres" as an operator does (docs/scale-out.md, "Adding a node"), with the
// two mistakes of operator-run-1: (1) a certificate beside a key it does not belong to: `tegami serve` says so and
// exits 1, its pid file gone, so systemd's Restart= sees the failure (before, the pool and LISTEN kept the process
// alive with nothing listening: a node that neither served nor exited); (2) a second node started without a copy
// of keys/secret.key and the SRS key: it does not start, saying in its log and on stderr which file is not the
// cluster's and what to do, and starts once it holds the copies (before operator-run-1 it made keys of its own in
// silence and then failed APOP; after it, it said so but served anyway). A key changed on purpose is made the
// cluster's with `tegami keys adopt`; a node still holding the old one then stops at its start.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postgresUnavailable } from '../../helpers/postgres.js';
import crypto from 'node:crypto';
import { BIN, requireCommand, startTestServer } from '../../helpers/server.js';
import { copyKeys, pgNodes, storageToml } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const PW = 'alice-secret-1';

/** `tegami serve` run to its end (a refused start exits 1 within seconds; a bound keeps a hang from blocking). */
function serve(config: string) {
  return spawnSync(process.execPath, [BIN, 'serve', '--config', config], { encoding: 'utf8', timeout: 120_000 });
}

/** Start `tegami serve` and stop it once its listeners are up: 'started', or its stderr when it exits first. */
async function serveFor(config: string): Promise<string> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  proc.stdout.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  while (proc.exitCode === null && !/\n  \S+ +127\.0\.0\.1:\d+/.test(err) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const up = proc.exitCode === null;
  proc.kill('SIGTERM');
  await exited;
  return up ? 'started' : err;
}

/** The system log lines of a data dir. */
function sysLog(dataDir: string): string {
  const dir = path.join(dataDir, 'logs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('system-')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('') : '';
}

/** APOP over poplib against a node: the reply line, or the error's text. */
function apop(port: number): string {
  const py = `import poplib\np = poplib.POP3('127.0.0.1', ${port}, timeout=30)\ntry:\n  print(p.apop('alice@example.test', '${PW}').decode())\nexcept poplib.error_proto as e:\n  print(e.args[0].decode())\n`;
  return spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 60_000 }).stdout.trim();
}

describe('a node on PostgreSQL started as the operator does', { skip: skip ?? false, timeout: 300_000 }, () => {
  const fx = pgNodes('tegami_serve_start');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgstart-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  /** A node's data dir and config on this describe's database, written by hand as an operator does. */
  const nodeConfig = (name: string) => {
    const dataDir = path.join(tmp, name);
    const config = path.join(tmp, `${name}.toml`);
    fs.writeFileSync(config, [`hostname = "mx.example.test"`, `data_dir = ${JSON.stringify(dataDir)}`, '[listen]', 'pop3 = "127.0.0.1:0"', '[log]', 'stdout = false', storageToml(fx.url, name)].join('\n') + '\n');
    return { dataDir, config };
  };

  it('exits 1 with both files named when the certificate and the key do not belong together', async () => {
    const pair = (name: string) => {
      const key = path.join(tmp, `${name}.key`);
      const crt = path.join(tmp, `${name}.crt`);
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '2', '-subj', `/CN=${name}.example.test`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return { key, crt };
    };
    const one = pair('one');
    const two = pair('two');
    const dataDir = path.join(tmp, 'bad-cert');
    const config = path.join(tmp, 'bad-cert.toml');
    // a database of its own: this node is the first to serve there, so it records its key (the next test's is apart)
    fs.writeFileSync(config, [`hostname = "mx.example.test"`, `data_dir = ${JSON.stringify(dataDir)}`, '[listen]', 'smtp = "127.0.0.1:0"', '[log]', 'stdout = false', '[tls]', `cert = ${JSON.stringify(one.crt)}`, `key = ${JSON.stringify(two.key)}`, storageToml(await fx.cluster.createDatabase('tegami_bad_cert'), 'node-x')].join('\n') + '\n');
    const proc = spawn(process.execPath, [BIN, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => (err += d));
    proc.stdout.resume();
    // a generous bound: the old code never exits (its pool keeps the event loop alive); SIGKILL then, and fail
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        proc.kill('SIGKILL');
        resolve(-1);
      }, 120_000);
      proc.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    assert.equal(code, 1, `serve must exit 1 after a failed start (got ${code}); stderr: ${err}`);
    assert.match(err, /\[tls\] cert .*one\.crt with key .*two\.key: the key does not belong to the certificate/);
    assert.equal(fs.existsSync(path.join(dataDir, 'run', 'tegami.pid')), false, 'the pid file is removed');
  });

  it('a node holding other keys than the cluster does not start, naming the file and the fix; with the copies it starts', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    // node A holds the organisation's keys and is the first to serve: it records their fingerprints
    const a = await fx.node({ name: 'node-a', listeners: ['pop3'], users: [{ address: 'alice@example.test', password: PW }] });
    assert.match(apop(a.ports.pop3), /^\+OK/);
    assert.doesNotMatch(a.output(), /server-key-differs|is not the key/);
    // node B: the operator forgot to copy the keys
    const b = nodeConfig('node-b');
    let r = serve(b.config);
    assert.equal(r.status, 1, `refused: ${r.stderr}`);
    assert.match(r.stderr, /tegami serve: \S+keys\/secret\.key is missing, but the other nodes' APOP\/CRAM-MD5 secrets, DKIM keys and list tokens use a key of fingerprint [0-9a-f]{16}: copy \S+keys\/secret\.key from a node already serving \(node-a recorded it; install -m 600/);
    assert.match(r.stderr, /tegami serve: \S+keys\/srs\.secret is missing, but the other nodes' SRS addresses of forwarded mail \(their bounces\) use a key/);
    assert.match(r.stderr, /tegami serve: \S+keys\/decoy\.key is missing, but the other nodes' SCRAM answers to unknown names use a key/);
    assert.match(r.stderr, /run `tegami keys adopt` on a node holding the new one/);
    assert.match(r.stderr, /not started: every node of one database must hold the same keys/);
    assert.match(sysLog(b.dataDir), /ERROR server-key-differs key=secret\.key reason=missing/);
    assert.match(sysLog(b.dataDir), /ERROR server-key-differs key=srs\.secret reason=missing/);
    assert.equal(fs.existsSync(path.join(b.dataDir, 'keys', 'secret.key')), false, 'no key of its own made');
    assert.equal(fs.existsSync(path.join(b.dataDir, 'run', 'tegami.pid')), false);
    // a key of its own (made by hand, or an old copy): refused, the fingerprints named
    fs.mkdirSync(path.join(b.dataDir, 'keys'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(b.dataDir, 'keys', 'secret.key'), crypto.randomBytes(32), { mode: 0o600 });
    r = serve(b.config);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\S+keys\/secret\.key \(fingerprint [0-9a-f]{16}\) is not the key the other nodes use \(fingerprint [0-9a-f]{16}\)/);
    // the fix the message names: copy the files from a node already serving; then it starts and APOP works there
    copyKeys(a.dataDir, b.dataDir);
    const bNode = await startTestServer({ dataDir: b.dataDir, listeners: ['pop3'], toml: storageToml(fx.url, 'node-b') });
    try {
      assert.doesNotMatch(bNode.output(), /server-key-differs|is not the key/);
      assert.match(apop(bNode.ports.pop3), /^\+OK/);
    } finally {
      await bNode.stop();
    }
  });

  it('a deliberate change of a key: tegami keys adopt makes it the cluster\'s; a node without the new copy then stops at its start', async () => {
    // node R1 holds the organisation's keys (the fixture's copies); node R2 a copy of them
    const first = await fx.node({ name: 'node-r1', listeners: ['smtp'] });
    await first.stop();
    const a = { dataDir: first.dataDir, config: first.configPath };
    const b = nodeConfig('node-r2');
    copyKeys(a.dataDir, b.dataDir);
    // the SRS key is rotated on node A (a new secret, as the SRS docs allow): A no longer starts until it is adopted
    fs.writeFileSync(path.join(a.dataDir, 'keys', 'srs.secret'), crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    let r = serve(a.config);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /srs\.secret \(fingerprint [0-9a-f]{16}\) is not the key the other nodes use/);
    const adopt = spawnSync(process.execPath, [BIN, 'keys', 'adopt', '--config', a.config], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(adopt.status, 0, adopt.stderr);
    assert.match(adopt.stdout, /^srs\.secret: \S+srs\.secret, fingerprint [0-9a-f]{16} is now the cluster's \(was [0-9a-f]{16}, recorded by node-(a|r1)\)$/m);
    assert.match(adopt.stdout, /^secret\.key: \S+secret\.key, fingerprint [0-9a-f]{16} is now the cluster's \(unchanged\)$/m);
    assert.match(adopt.stdout, /copy these files to every other node/);
    const again = serveFor(a.config);
    assert.equal(await again, 'started');
    // node B still holds the old SRS key: it stops at its start, and starts once it has the new copy
    r = serve(b.config);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /srs\.secret \(fingerprint [0-9a-f]{16}\) is not the key the other nodes use .*\(node-r1 recorded it/);
    copyKeys(a.dataDir, b.dataDir);
    const bNode = await startTestServer({ dataDir: b.dataDir, listeners: ['smtp'], toml: storageToml(fx.url, 'node-r2') });
    await bNode.stop();
    // keys adopt on SQLite: refused, it has nothing to compare
    const sqliteCfg = path.join(tmp, 'single.toml');
    fs.writeFileSync(sqliteCfg, `hostname = "mx.example.test"\ndata_dir = ${JSON.stringify(path.join(tmp, 'single'))}\n`);
    const single = spawnSync(process.execPath, [BIN, 'keys', 'adopt', '--config', sqliteCfg], { encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(single.status, 0);
    assert.match(single.stderr, /PostgreSQL database only/);
  });
});
