// The shared login throttle over real sockets: two IMAP servers (two nodes, each with its own LoginFlow) on one
// private PostgreSQL, and Python's imaplib guessing a password over both. Failures spread over the nodes block
// the client on both; without the shared counts neither node would have blocked it (pg-login-counts.test.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseConfigText } from '../../engine/config/load.js';
import { directoryFor } from '../../engine/context.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { migrate } from '../../engine/db/pg/migrations.js';
import { startImap, type ImapServer } from '../../engine/imap/server.js';
import { Logger } from '../../engine/log/logger.js';
import { LoginFlow } from '../../engine/net/login.js';
import { PgLoginCounts } from '../../engine/net/pg-login-counts.js';
import { MemoryStore } from '../../engine/store/memory-store.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { hasCommand } from '../helpers/server.js';
import { run } from '../pop3/harness.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skip = postgresUnavailable() ?? (hasCommand('python3') ? false : 'python3 not installed');
const PASSWORD = 'kagi-123 x';

const SCRIPT = `
import imaplib, sys
for spec in sys.argv[1:]:
    port, user, pw = spec.split(',', 2)
    c = imaplib.IMAP4('127.0.0.1', int(port))
    try:
        c.login(user, pw)
        print('OK')
    except imaplib.IMAP4.error as e:
        print('NO', e)
    try:
        c.logout()
    except Exception:
        pass
`;

describe('login throttle shared by two IMAP nodes (Python imaplib)', { skip }, () => {
  let cluster: PgCluster;
  let pool: pg.Pool;
  let dir: string;
  let db: Db;
  let logger: Logger;
  const servers: ImapServer[] = [];

  before(async () => {
    cluster = await startPostgres();
    pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
    await migrate(pool);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgimap-'));
    const dataDir = path.join(dir, 'data');
    const config = parseConfigText(
      [`hostname = "mx.example.jp"`, `data_dir = ${JSON.stringify(dataDir)}`, '[domains]', 'local = ["example.jp"]', '[auth]', 'throttle_after = 0', 'block_after = 6', '[log]', 'stdout = false'].join('\n'),
      path.join(dir, 'tegami.toml'),
    );
    db = openDatabase(dataDir);
    const directory = directoryFor(config, db);
    await directory.addUser({ address: 'taro@example.jp', password: PASSWORD });
    logger = new Logger({ dir: path.join(dataDir, 'logs'), stdout: false, files: true, level: 'debug' });
    const pair = await loadOrCreateCertificate({ dataDir, hostname: 'localhost' });
    const store = new MemoryStore();
    for (let i = 0; i < 2; i++) {
      const counts = new PgLoginCounts(pool, { windowMs: config.auth.window, blockAfter: config.auth.block_after, blockForMs: config.auth.block_for });
      const login = LoginFlow.fromConfig(config, directory, logger, counts);
      servers.push(await startImap({ tls: { key: pair.key, cert: pair.cert }, store, directory, config, logger, login, listen: '127.0.0.1:0', implicitTls: false }));
    }
  });
  after(async () => {
    for (const s of servers) await s.close();
    await logger?.close();
    db?.close();
    await pool?.end();
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('three wrong passwords on each node block the client on both, even for the right password', async () => {
    const [a, b] = servers.map((s) => s.port);
    const tries = [a, b, a, b, a, b].map((p, i) => `${p},taro@example.jp,guess-${i}`);
    tries.push(`${a},taro@example.jp,${PASSWORD}`, `${b},taro@example.jp,${PASSWORD}`);
    const r = await run('python3', ['-c', SCRIPT, ...tries]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 8, r.stdout);
    for (const l of lines.slice(0, 6)) assert.match(l, /^NO .*AUTHENTICATIONFAILED/);
    for (const l of lines.slice(6)) assert.match(l, /^NO .*UNAVAILABLE.*Too many failed logins/);
  });
});
