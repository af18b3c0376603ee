// Admin API tokens: shown once, stored as SHA-256, accepted as Authorization: Bearer on /api/v1/ only,
// revocable, worthless once the account loses its admin right; a bad token is a 401 even when a valid
// session cookie rides along. `tegami admin token create|revoke` run as a process, as an operator would.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openDatabase } from '../../engine/db/database.js';
import { TokenStore } from '../../engine/web/token-store.js';
import { BIN } from '../helpers/server.js';
import { Browser, cookieHeader, webFixture, type Fixture } from './helpers.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('API tokens', () => {
  let f: Fixture;
  let admin: FastifyInstance;
  before(async () => {
    f = await webFixture();
    admin = await f.app('admin');
  });
  after(() => f.close());

  it('opens the API with Authorization: Bearer and keeps only a hash at rest', async () => {
    const { token } = f.deps.tokens.create('host@example.org', 'ci');
    assert.match(token, /^tgm_[A-Za-z0-9_-]{43}$/);
    const r = await admin.inject({ url: '/api/v1/domains', headers: bearer(token) });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json().domains.map((d: { name: string }) => d.name), ['example.org', 'mail.example.org']);
    assert.equal((await admin.inject({ url: '/api/v1/domains/example.com', headers: bearer(token) })).statusCode, 403);
    const rows = f.db.prepare('SELECT hash FROM api_tokens').all() as { hash: string }[];
    assert.ok(rows.some((x) => x.hash === crypto.createHash('sha256').update(token).digest('hex')));
    f.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const name of fs.readdirSync(f.dir).filter((n) => n.startsWith('tegami.db'))) assert.ok(!fs.readFileSync(path.join(f.dir, name)).includes(token.slice(4)), name);
  });

  it('a bad, revoked or foreign-scheme credential is a 401, never a fall-back to the cookie', async () => {
    const b = new Browser(admin);
    await b.login('admin@example.com');
    const cookie = cookieHeader(b.jar);
    const { token, info } = f.deps.tokens.create('admin@example.com');
    for (const authorization of ['Bearer tgm_' + 'A'.repeat(43), 'Bearer nonsense', 'Basic YWRtaW46eA==', 'Bearer']) {
      const r = await admin.inject({ url: '/api/v1/status', headers: { authorization, cookie } });
      assert.equal(r.statusCode, 401, authorization);
    }
    assert.equal((await admin.inject({ url: '/api/v1/status', headers: bearer(token) })).statusCode, 200);
    assert.equal(f.deps.tokens.revoke(info.id, 'admin@example.com'), true);
    assert.equal((await admin.inject({ url: '/api/v1/status', headers: bearer(token) })).statusCode, 401);
  });

  it('stops working when the account loses its admin right, and is no key to pages or the webmail', async () => {
    const { token } = f.deps.tokens.create('lists@example.com');
    assert.equal((await admin.inject({ url: '/api/v1/status', headers: bearer(token) })).statusCode, 200);
    f.directory.updateUser('lists@example.com', { listAdmin: false });
    try {
      assert.equal((await admin.inject({ url: '/api/v1/status', headers: bearer(token) })).statusCode, 401);
    } finally {
      f.directory.updateUser('lists@example.com', { listAdmin: true });
    }
    assert.equal((await admin.inject({ url: '/', headers: bearer(token) })).statusCode, 303, 'pages take no bearer token');
    const webmail = await f.app('webmail');
    assert.equal((await webmail.inject({ url: '/', headers: bearer(token) })).statusCode, 303);
  });

  it('an admin manages its own tokens over the API: create (shown once), list (no secrets), revoke', async () => {
    const { token } = f.deps.tokens.create('host@example.org');
    const created = await admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: { label: 'backup job' }, headers: bearer(token) });
    assert.equal(created.statusCode, 201);
    const fresh = created.json() as { id: number; token: string };
    assert.match(fresh.token, /^tgm_/);
    const list = await admin.inject({ url: '/api/v1/tokens', headers: bearer(fresh.token) });
    assert.ok(list.json().tokens.some((t: { id: number; label: string }) => t.id === fresh.id && t.label === 'backup job'));
    assert.ok(!list.body.includes('tgm_'), 'listing shows no token');
    const other = f.deps.tokens.create('admin@example.com');
    assert.equal((await admin.inject({ method: 'DELETE', url: `/api/v1/tokens/${other.info.id}`, headers: bearer(fresh.token) })).statusCode, 404, 'not another admin\'s token');
    assert.equal((await admin.inject({ url: '/api/v1/status', headers: bearer(other.token) })).statusCode, 200);
    assert.equal((await admin.inject({ method: 'DELETE', url: `/api/v1/tokens/${fresh.id}`, headers: bearer(token) })).statusCode, 204);
    assert.equal((await admin.inject({ url: '/api/v1/status', headers: bearer(fresh.token) })).statusCode, 401);
  });
});

describe('tegami admin token', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-admin-cli-'));
  const config = path.join(dir, 'tegami.toml');
  const run = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, args[0] === 'user' ? [BIN, ...args] : [BIN, 'admin', ...args], { input, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('create prints the token alone on stdout for an admin, fails for others; revoke removes them', async () => {
    fs.writeFileSync(config, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\n`);
    assert.equal(run(['user', 'add', 'boss@example.test', '--admin', '--password-stdin', '--config', config], 'a-password\n').code, 0);
    assert.equal(run(['user', 'add', 'alice@example.test', '--password-stdin', '--config', config], 'a-password\n').code, 0);

    const made = run(['token', 'create', 'boss@example.test', '--config', config]);
    assert.equal(made.code, 0, made.err);
    assert.match(made.out, /^tgm_[A-Za-z0-9_-]{43}\n$/, 'the token alone on stdout');
    assert.match(made.err, /created for boss@example\.test/);
    const token = made.out.trim();
    const db = openDatabase(path.join(dir, 'data'));
    try {
      assert.equal(new TokenStore(db).verify(token)?.address, 'boss@example.test');
      for (const who of ['alice@example.test', 'nobody@example.test']) {
        const refused = run(['token', 'create', who, '--config', config]);
        assert.equal(refused.code, 1, who);
        assert.equal(refused.out, '');
        assert.match(refused.err, /no admin right|no such user/);
      }
      assert.match(run(['token', 'list', 'boss@example.test', '--config', config]).out, /^\d+\t\S+\t\S+\tcli$/m);
      const revoked = run(['token', 'revoke', 'boss@example.test', '--config', config]);
      assert.equal(revoked.code, 0, revoked.err);
      assert.match(revoked.out, /revoked 1 token/);
      assert.equal(new TokenStore(db).verify(token), null);
    } finally {
      db.close();
    }
    assert.equal(run(['token', 'frobnicate', 'x', '--config', config]).code, 2);
    const logs = fs.readdirSync(path.join(dir, 'data', 'logs')).filter((n) => n.startsWith('admin-'));
    const audit = logs.map((n) => fs.readFileSync(path.join(dir, 'data', 'logs', n), 'utf8')).join('');
    assert.match(audit, /admin\.action who=boss@example\.test action=token\.create ip=cli result=ok/);
    assert.match(audit, /admin\.denied who=alice@example\.test action=token\.create ip=cli result=denied/);
    assert.ok(!audit.includes(token.slice(4)), 'the token is not in the audit log');
  });
});
