// Starting a node on [storage] backend = "postgres" as an operator does (docs/scale-out.md, "Adding a node"), with the
// two mistakes of operator-run-1: (1) a certificate beside a key it does not belong to: `tegami serve` says so and
// exits 1, its pid file gone, so systemd's Restart= sees the failure (before, the pool and LISTEN kept the process
// alive with nothing listening: a node that neither served nor exited); (2) a second node started without a copy
// of keys/secret.key: it says, in its log and on stderr, that its key is not the cluster's and what to do, while
// a node holding the first node's key says nothing (before, it made a key of its own in silence and then failed
// APOP, which this test also shows with poplib on the real listeners).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postgresUnavailable } from '../../helpers/postgres.js';
import { BIN, requireCommand } from '../../helpers/server.js';
import { pgNodes, storageToml } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const PW = 'alice-secret-1';

/** APOP over poplib against a node: the reply line, or the error's text. */
function apop(port: number): string {
  const py = `import poplib\np = poplib.POP3('127.0.0.1', ${port}, timeout=30)\ntry:\n  print(p.apop('alice@example.test', '${PW}').decode())\nexcept poplib.error_proto as e:\n  print(e.args[0].decode())\n`;
  return spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 60_000 }).stdout.trim();
}

describe('a node on PostgreSQL started as the operator does', { skip: skip ?? false, timeout: 300_000 }, () => {
  const fx = pgNodes('tegami_serve_start');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgstart-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

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

  it('says when a node holds another keys/secret.key than the cluster, and not when it holds the same', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    // node A holds the organisation's key and is the first to serve: it records the key's fingerprint
    const a = await fx.node({ name: 'node-a', sharedKey: true, listeners: ['pop3'], users: [{ address: 'alice@example.test', password: PW }] });
    assert.match(apop(a.ports.pop3), /^\+OK/);
    assert.doesNotMatch(a.output(), /server-key-differs|is not the key/);
    // node B: the operator forgot to copy the key; at its first start it has none
    const b = await fx.node({ name: 'node-b', listeners: ['pop3'] });
    const sysLog = () => fs.readdirSync(path.join(b.dataDir, 'logs')).filter((f) => f.startsWith('system-')).map((f) => fs.readFileSync(path.join(b.dataDir, 'logs', f), 'utf8')).join('');
    assert.match(sysLog(), /ERROR server-key-differs key=secret\.key reason=missing/);
    assert.match(sysLog(), /ERROR server-key-differs key=srs\.secret reason=missing/);
    assert.match(b.output(), /tegami serve: \S+keys\/secret\.key is missing, but the other nodes' APOP\/CRAM-MD5 secrets, DKIM keys and list tokens use a key of fingerprint [0-9a-f]{16}: stop this node, copy \S+keys\/secret\.key from a node already serving \(node-a recorded it; install -m 600/);
    assert.match(b.output(), /tegami serve: \S+keys\/srs\.secret is missing, but the other nodes' SRS addresses of forwarded mail \(their bounces\) use a key/);
    // it made one of its own meanwhile, which is not the cluster's: said again at every start
    await b.restart();
    assert.match(b.output(), /tegami serve: \S+keys\/secret\.key \(fingerprint [0-9a-f]{16}\) is not the key the other nodes use \(fingerprint [0-9a-f]{16}\).*copy \S+keys\/secret\.key from a node already serving \(node-a recorded it/);
    assert.match(sysLog(), /ERROR server-key-differs key=secret\.key reason=differs/);
    assert.match(sysLog(), /ERROR server-key-differs key=srs\.secret reason=differs/);
    // what it means for the users: the account made on A cannot log in with APOP on B
    assert.match(apop(b.ports.pop3), /^-ERR/);
    // node C holds the organisation's key, as the docs say to copy it: nothing said, APOP works there too
    const c = await fx.node({ name: 'node-c', sharedKey: true, listeners: ['pop3'] });
    assert.doesNotMatch(c.output(), /server-key-differs|is not the key/);
    assert.match(apop(c.ports.pop3), /^\+OK/);
  });
});
