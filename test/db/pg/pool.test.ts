// The pool's connection settings against a private PostgreSQL that speaks TLS: verify-full (the default)
// connects only to a certificate that chains to tls_ca and names the host; require encrypts without
// checking; disable does not encrypt; sslmode in the URL is refused; statement_timeout and the node's name
// reach the server; a connection cut while the node holds it (the database restarted, pg_terminate_backend) fails
// its queries and leaves the pool working, never an uncaught exception that stops the process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { configSchema, type StorageConfig } from '../../../engine/config/schema.js';
import { clientConfig, openPool } from '../../../engine/db/pg/pool.js';
import { hasCommand } from '../../helpers/server.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';

const skip = postgresUnavailable() ?? (hasCommand('openssl') ? false : 'openssl not installed');

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** A test CA, and a server certificate it signs for `ip`. */
function makeCa(dir: string, name: string): { certFile: string; sign(ip: string): { cert: string; key: string } } {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`]);
  let n = 0;
  return {
    certFile,
    sign(ip) {
      const base = path.join(dir, `${name}-${++n}`);
      fs.writeFileSync(`${base}.ext`, `subjectAltName=IP:${ip}\n`);
      openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${ip}`]);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', certFile, '-CAkey', keyFile, '-CAcreateserial', '-out', `${base}.crt`, '-days', '2', '-extfile', `${base}.ext`]);
      return { cert: fs.readFileSync(`${base}.crt`, 'utf8'), key: fs.readFileSync(`${base}.key`, 'utf8') };
    },
  };
}

const storage = (s: Record<string, unknown>): StorageConfig => configSchema.parse({ storage: { backend: 'postgres', ...s } }).storage;

describe('PostgreSQL connection settings', { skip }, () => {
  let cluster: PgCluster;
  let dir: string;
  let ca: ReturnType<typeof makeCa>;
  let otherCa: ReturnType<typeof makeCa>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgtls-'));
    ca = makeCa(dir, 'test-ca');
    otherCa = makeCa(dir, 'other-ca');
    cluster = await startPostgres('tegami', { tls: ca.sign('127.0.0.1') });
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Connect with these [storage] settings; whether the session is encrypted, or the error. */
  async function connect(s: StorageConfig): Promise<{ ssl: boolean } | Error> {
    const pool = openPool(s);
    try {
      const r = await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return { ssl: r.rows[0].ssl };
    } catch (e) {
      return e as Error;
    } finally {
      await pool.end();
    }
  }

  it('defaults to verify-full: encrypted and accepted only for a certificate that chains to tls_ca and names the host', async () => {
    assert.equal(storage({ url: cluster.url }).tls, 'verify-full');
    assert.deepEqual(await connect(storage({ url: cluster.url, tls_ca: ca.certFile })), { ssl: true });
    const noCa = await connect(storage({ url: cluster.url }));
    assert.ok(noCa instanceof Error && /certificate/i.test(noCa.message), `the system CAs do not know the test CA: ${String(noCa)}`);
    const wrongCa = await connect(storage({ url: cluster.url, tls_ca: otherCa.certFile }));
    assert.ok(wrongCa instanceof Error && /certificate/i.test(wrongCa.message), `another CA does not vouch for it: ${String(wrongCa)}`);
    // the right CA, but a certificate made out to another address
    const misnamed = await startPostgres('tegami', { tls: ca.sign('127.0.0.2') });
    try {
      const r = await connect(storage({ url: misnamed.url, tls_ca: ca.certFile }));
      assert.ok(r instanceof Error && /does not match|altnames/i.test(r.message), String(r));
      assert.deepEqual(await connect(storage({ url: misnamed.url, tls: 'require' })), { ssl: true }, 'require does not check the name');
    } finally {
      await misnamed.stop();
    }
  });

  it('a TLS parameter in the URL never overrides [storage] tls: ?ssl=0 under verify-full is refused, not a plaintext session', async () => {
    const r = await connect(storage({ url: `${cluster.url}?ssl=0` })).catch((e: Error) => e);
    // the old code connected without TLS (and without any certificate check) although tls = "verify-full"
    assert.ok(r instanceof Error && /not ssl in the URL/.test(r.message), `refused: ${JSON.stringify(r)}`);
  });

  it('require encrypts without checking the certificate; disable does not encrypt', async () => {
    assert.deepEqual(await connect(storage({ url: cluster.url, tls: 'require' })), { ssl: true });
    assert.deepEqual(await connect(storage({ url: cluster.url, tls: 'disable' })), { ssl: false });
  });

  it('refuses sslmode in the URL (TLS is set by [storage] tls only) and a URL of another scheme', () => {
    assert.throws(() => clientConfig(storage({ url: `${cluster.url}?sslmode=disable` })), /not sslmode/);
    // pg reads these too, over the ssl settings given beside the URL (docs/security-review-5.md, finding 3)
    for (const q of ['ssl=0', 'ssl=false', `sslrootcert=${encodeURIComponent(otherCa.certFile)}`, 'sslcert=/dev/null&sslkey=/dev/null', 'uselibpqcompat=true']) {
      assert.throws(() => clientConfig(storage({ url: `${cluster.url}?${q}` })), new RegExp(`not ${q.split('=')[0]} in the URL`), q);
    }
    assert.throws(() => storage({ url: 'mysql://x@127.0.0.1/db' }));
    assert.throws(() => configSchema.parse({ storage: { backend: 'postgres' } }), /needs url/);
    assert.equal(configSchema.parse({}).storage.backend, 'sqlite', 'SQLite stays the default');
  });

  it('applies statement_timeout and names the node to the server', async () => {
    const pool = openPool(storage({ url: cluster.url, tls: 'disable', statement_timeout: '300ms', node_name: 'mx-2.example' }));
    try {
      await assert.rejects(pool.query('SELECT pg_sleep(20)'), /statement timeout/);
      const r = await pool.query<{ a: string }>('SELECT application_name AS a FROM pg_stat_activity WHERE pid = pg_backend_pid()');
      assert.equal(r.rows[0].a, 'tegami/mx-2.example');
    } finally {
      await pool.end();
    }
  });

  it('a connection cut while it is checked out fails its queries, not the process; the pool serves again', async () => {
    const errors: Error[] = [];
    const pool = openPool(storage({ url: cluster.url, tls: 'disable' }), { onIdleError: (e) => errors.push(e) });
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    try {
      const c = await pool.connect();
      const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const ended = new Promise((r) => c.once('end', r));
      // the server says why and closes the session: pg emits both as 'error' events of the client it had lent
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await ended;
      await assert.rejects(c.query('SELECT 1'));
      c.release(true);
      assert.ok(errors.some((e) => /terminat/i.test(e.message)), `reported: ${errors.map((e) => e.message).join('; ')}`);
      assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});
