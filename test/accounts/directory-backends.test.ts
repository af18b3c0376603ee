// The account directory's behaviour, one suite run against both backends (SQLite, and PostgreSQL on a private
// cluster), then what only several PostgreSQL nodes can show: a change on one node reaches the others, and
// two nodes writing the same address at once never both succeed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseConfigText, type LoadedConfig } from '../../engine/config/load.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { BACKENDS, openTestDirectory, type OpenedDirectory, type TestDirectory } from '../helpers/directory.js';
import { postgresUnavailable } from '../helpers/postgres.js';

const pgSkip = postgresUnavailable() ?? false;

function setup(): { dir: string; config: LoadedConfig; db: Db } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-dir-'));
  const dataDir = path.join(dir, 'data');
  const config = parseConfigText(
    [`hostname = "mx.example.jp"`, `data_dir = ${JSON.stringify(dataDir)}`, '[domains]', 'local = ["example.jp"]', 'aliases = { "mail.example.jp" = "example.jp" }', '[auth]', 'recoverable_secrets = true'].join('\n'),
    path.join(dir, 'tegami.toml'),
  );
  return { dir, config, db: openDatabase(dataDir) };
}

/** The password of whichever node won the race for same@example.jp (the earlier test). */
async function whichSamePassword(d: TestDirectory): Promise<string | undefined> {
  for (const p of ['pass-a 1', 'pass-b 1']) if (await d.authenticate('same@example.jp', p)) return p;
  return undefined;
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within 30 s: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const backend of BACKENDS) {
  describe(`account directory (${backend})`, { skip: backend === 'postgres' ? pgSkip : false }, () => {
    let env: ReturnType<typeof setup>;
    let opened: OpenedDirectory;
    let d: TestDirectory;
    before(async () => {
      env = setup();
      opened = await openTestDirectory(env.config, env.db, backend);
      d = opened.directory;
    });
    after(async () => {
      await opened?.close();
      env?.db.close();
      if (env) fs.rmSync(env.dir, { recursive: true, force: true });
    });

    it('knows config domains, added domains and host aliases, and refuses a duplicate', async () => {
      await d.addDomain('Other.JP');
      assert.equal(d.localDomain('other.jp.'), 'other.jp');
      assert.equal(d.localDomain('MAIL.example.jp'), 'example.jp');
      assert.equal(d.localDomain('mx.example.jp'), 'example.jp', 'the hostname stands for the primary domain');
      assert.equal(d.localDomain('elsewhere.jp'), null);
      await assert.rejects(async () => d.addDomain('other.jp'), /exists/);
      assert.deepEqual(d.domains().filter((x) => !x.aliasOf).map((x) => x.name), ['example.jp', 'other.jp']);
    });

    it('adds users with Japanese names, checks passwords, and refuses what it must', async () => {
      const u = await d.addUser({ address: 'Taro@example.jp', password: 'kagi-123 x', fullName: '山田 太郎' });
      assert.equal(u.address, 'taro@example.jp');
      assert.equal(d.user('TARO@example.jp')?.fullName, '山田 太郎');
      assert.equal((await d.authenticate('taro', 'kagi-123 x'))?.address, 'taro@example.jp', 'a bare login is in the primary domain');
      assert.equal((await d.authenticate('taro@mail.example.jp', 'kagi-123 x'))?.address, 'taro@example.jp');
      assert.equal(await d.authenticate('taro@example.jp', 'wrong pass'), undefined);
      assert.equal(await d.authenticate('nobody@example.jp', 'kagi-123 x'), undefined);
      assert.equal(d.secret('taro@example.jp'), 'kagi-123 x', 'recoverable secrets are kept sealed');
      await assert.rejects(d.addUser({ address: 'taro@example.jp', password: 'another-1' }), /exists/);
      await assert.rejects(d.addUser({ address: 'hanako@nowhere.jp', password: 'another-1' }), /not a local domain/);
      await assert.rejects(d.addUser({ address: 'hanako@example.jp', password: 'x' }), /password must be/);
      assert.equal(d.user('hanako@example.jp'), undefined, 'a refused user leaves nothing behind');
    });

    it('resolves mailboxes, aliases, postmaster, unknown and remote addresses', async () => {
      await d.addAlias('info@example.jp', ['taro@example.jp', 'someone@remote.example']);
      await assert.rejects(async () => d.addAlias('taro@example.jp', ['x@example.jp']), /is a user/);
      await assert.rejects(d.addUser({ address: 'info@example.jp', password: 'another-1' }), /is an alias/);
      assert.equal(d.resolve('taro@example.jp').kind, 'mailbox');
      assert.deepEqual(d.resolve('INFO@mail.example.jp'), { kind: 'alias', targets: ['taro@example.jp', 'someone@remote.example'] });
      assert.equal(d.resolve('postmaster@other.jp').kind, 'postmaster');
      assert.equal(d.resolve('ghost@example.jp').kind, 'unknown');
      assert.equal(d.resolve('taro@remote.example').kind, 'remote');
      assert.ok(d.senderAddresses(d.user('taro@example.jp')!).has('info@example.jp'));
      assert.deepEqual(d.listAliases().map((a) => a.address), ['info@example.jp']);
    });

    it('gives SCRAM keys for real accounts, a stable decoy for unknown ones, and no user for a disabled one', async () => {
      const real = d.scramVerifier('taro@example.jp');
      assert.equal(real.user?.address, 'taro@example.jp');
      const decoy1 = d.scramVerifier('ghost@example.jp');
      const decoy2 = d.scramVerifier('ghost@example.jp');
      assert.equal(decoy1.user, undefined);
      assert.deepEqual(decoy1.keys, decoy2.keys);
      await d.updateUser('taro@example.jp', { disabled: true });
      assert.equal(d.scramVerifier('taro@example.jp').user, undefined);
      assert.equal(await d.authenticate('taro@example.jp', 'kagi-123 x'), undefined, 'a disabled account cannot log in');
      assert.equal(d.secret('taro@example.jp'), null);
      await d.updateUser('taro@example.jp', { disabled: false, fullName: 'Taro Yamada' });
      assert.equal(d.user('taro@example.jp')?.fullName, 'Taro Yamada');
    });

    it('changes passwords and deletes users, aliases and empty domains', async () => {
      await d.setPassword('taro@example.jp', 'new-pass 2');
      assert.equal(await d.authenticate('taro@example.jp', 'kagi-123 x'), undefined);
      assert.ok(await d.authenticate('taro@example.jp', 'new-pass 2'));
      await d.addUser({ address: 'jiro@other.jp', password: 'jiro-pass' });
      await assert.rejects(async () => d.deleteDomain('other.jp'), /still has 1 user/);
      await d.deleteUser('jiro@other.jp');
      await d.deleteDomain('other.jp');
      assert.equal(d.localDomain('other.jp'), null);
      await d.deleteAlias('info@example.jp');
      assert.equal(d.resolve('info@example.jp').kind, 'unknown');
      await assert.rejects(async () => d.deleteUser('jiro@other.jp'), /no such user/);
      assert.deepEqual(d.listUsers().map((u) => u.address), ['taro@example.jp']);
    });
  });
}

describe('account directory on PostgreSQL: several nodes on one database', { skip: pgSkip }, () => {
  let env: ReturnType<typeof setup>;
  let a: OpenedDirectory;
  let b: OpenedDirectory;
  before(async () => {
    env = setup();
    a = await openTestDirectory(env.config, env.db, 'postgres');
    b = await openTestDirectory(env.config, env.db, 'postgres', a.url);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    env?.db.close();
    if (env) fs.rmSync(env.dir, { recursive: true, force: true });
  });

  it('a change made on one node reaches the other (NOTIFY), including a disabled account', async () => {
    await a.directory.addUser({ address: 'hanako@example.jp', password: 'hana-pass 1', fullName: '花子' });
    await until('node B knows hanako', () => b.directory.user('hanako@example.jp')?.fullName === '花子');
    assert.ok(await b.directory.authenticate('hanako@example.jp', 'hana-pass 1'));
    await a.directory.updateUser('hanako@example.jp', { disabled: true });
    await until('node B refuses the disabled account', async () => (await b.directory.authenticate('hanako@example.jp', 'hana-pass 1')) === undefined);
  });

  it('two nodes adding the same address at once: exactly one succeeds', async () => {
    const results = await Promise.allSettled([
      a.directory.addUser({ address: 'same@example.jp', password: 'pass-a 1' }),
      b.directory.addUser({ address: 'same@example.jp', password: 'pass-b 1' }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.match(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason), /exists/);
    // a user on one node and an alias of the same address on the other: one of them, never both
    const mixed = await Promise.allSettled([
      a.directory.addUser({ address: 'both@example.jp', password: 'pass-a 1' }),
      Promise.resolve(b.directory.addAlias('both@example.jp', ['hanako@example.jp'])),
    ]);
    assert.deepEqual(mixed.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const pool = new pg.Pool({ connectionString: a.url });
    try {
      const n = await pool.query("SELECT (SELECT count(*) FROM users WHERE address = 'both@example.jp') + (SELECT count(*) FROM aliases WHERE address = 'both@example.jp') AS n");
      assert.equal(Number(n.rows[0].n), 1);
    } finally {
      await pool.end();
    }
  });

  it('while the database is away, nodes answer from their copy, writes fail and change nothing; then all resumes', async () => {
    const url = new URL(a.url!);
    const dbName = url.pathname.slice(1);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      // the database goes away: no new connections, every existing one cut
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName]);
      // (hanako was disabled above, and a disabled account resolves as unknown: same@ is an enabled one)
      assert.equal(b.directory.resolve('same@example.jp').kind, 'mailbox');
      assert.ok(await whichSamePassword(b.directory), 'logins are checked from the copy');
      await assert.rejects(a.directory.addUser({ address: 'during@example.jp', password: 'during-pass' }));
      assert.equal(a.directory.user('during@example.jp'), undefined, 'a failed write leaves the copy as the database has it');
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
      // no restart: the pool reconnects for the write, B's LISTEN connection reconnects on its own
      await a.directory.addUser({ address: 'after@example.jp', password: 'after-pass' });
      await until('node B sees the user added after the database came back', () => b.directory.user('after@example.jp') !== undefined);
    } finally {
      await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
    }
  });

  it('a node whose LISTEN connection is cut reconnects and catches up with what it missed', async () => {
    const admin = new pg.Client({ connectionString: a.url });
    await admin.connect();
    const listening = async () => Number((await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()")).rows[0].n);
    try {
      // the test before cut every connection: its LISTEN connections come back on their own, in their own time
      await until('both nodes listen before the cut', async () => (await listening()) === 2);
      const cut = await admin.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()");
      assert.equal(cut.rowCount, 2, 'both nodes listen');
      await a.directory.addAlias('sales@example.jp', ['hanako@example.jp']);
      await until('node B sees the alias added while it was disconnected', () => b.directory.resolve('sales@example.jp').kind === 'alias');
      await until('both nodes listen again', async () => (await listening()) === 2);
    } finally {
      await admin.end();
    }
  });
});
