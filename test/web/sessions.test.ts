// Web sessions over inject(): cookie flags, a fresh id at login (a planted id is never adopted), logout
// ends the session on the server (a replayed cookie is dead), the idle timeout and absolute lifetime,
// an admin cookie is worthless on the webmail, and the database keeps only hashes of session ids.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Browser, PASSWORD, cookieHeader, setCookieLines, setCookies, webFixture, type Fixture } from './helpers.js';

describe('web sessions', () => {
  let f: Fixture;
  let admin: FastifyInstance;
  let webmail: FastifyInstance;
  before(async () => {
    f = await webFixture({ sessions: { idleMs: 30 * 60_000, lifetimeMs: 8 * 3_600_000 } });
    admin = await f.app('admin');
    webmail = await f.app('webmail');
  });
  after(() => f.close());

  it('anonymous GET / ends, after redirects, in the login page with 200', async () => {
    const b = new Browser(admin);
    const r = await b.get('/');
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/login');
    const page = await b.get('/login');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<form method="post" action="\/login"/);
  });

  it('login sets a Secure, HttpOnly, SameSite=Strict, Path=/ __Host- cookie with a 256-bit id', async () => {
    const b = new Browser(admin);
    const r = await b.login('admin@example.com');
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/');
    const line = setCookieLines(r).find((l) => l.startsWith('__Host-tegami-admin='));
    assert.ok(line, setCookieLines(r).join('\n'));
    for (const flag of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(line.split('; ').includes(flag), `${flag} in ${line}`);
    assert.doesNotMatch(line, /Domain=/i);
    const id = setCookies(r)['__Host-tegami-admin'];
    assert.equal(Buffer.from(id, 'base64url').length, 32);
    const home = await b.get('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /Ada Admin/);
  });

  it('never adopts a session id the browser brings: a planted id is refused and a new one issued', async () => {
    const planted = 'A'.repeat(43);
    const b = new Browser(admin);
    b.jar['__Host-tegami-admin'] = planted;
    const r = await b.login('admin@example.com');
    assert.equal(r.statusCode, 303);
    const issued = setCookies(r)['__Host-tegami-admin'];
    assert.ok(issued && issued !== planted);
    const withPlanted = await admin.inject({ url: '/', headers: { cookie: `__Host-tegami-admin=${planted}` } });
    assert.equal(withPlanted.statusCode, 303, 'the planted id opens nothing');
  });

  it('rotates the id at login: the session a browser had before logging in again is gone', async () => {
    const b = new Browser(admin);
    await b.login('admin@example.com');
    const first = b.jar['__Host-tegami-admin'];
    // log in again over the live session (another account on a shared machine, say): the login form
    // posted with the session's own CSRF token
    assert.equal((await b.get('/login')).headers.location, '/', 'a signed-in browser is sent home from /login');
    await b.get('/');
    const r = await b.post('/login', { login: 'host@example.org', password: PASSWORD });
    const second = setCookies(r)['__Host-tegami-admin'];
    assert.ok(second && second !== first);
    const old = await admin.inject({ url: '/', headers: { cookie: `__Host-tegami-admin=${first}` } });
    assert.equal(old.statusCode, 303, 'the earlier session was destroyed, not kept beside the new one');
  });

  it('logout destroys the session on the server: replaying the cookie afterwards fails', async () => {
    const b = new Browser(admin);
    await b.login('admin@example.com');
    const id = b.jar['__Host-tegami-admin'];
    await b.get('/');
    const out = await b.post('/logout', {});
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, '/login?bye=1');
    assert.ok(setCookieLines(out).some((l) => l.startsWith('__Host-tegami-admin=;') && /Max-Age=0/.test(l)), 'cookie cleared');
    const replay = await admin.inject({ url: '/', headers: { cookie: `__Host-tegami-admin=${id}` } });
    assert.equal(replay.statusCode, 303);
    const api = await admin.inject({ url: '/api/v1/status', headers: { cookie: `__Host-tegami-admin=${id}` } });
    assert.equal(api.statusCode, 401);
  });

  it('an admin session is worthless on the webmail, and a webmail session on the admin', async () => {
    const a = new Browser(admin);
    await a.login('admin@example.com');
    const adminId = a.jar['__Host-tegami-admin'];
    for (const name of ['__Host-tegami-admin', '__Host-tegami-webmail']) {
      const r = await webmail.inject({ url: '/', headers: { cookie: `${name}=${adminId}` } });
      assert.equal(r.statusCode, 303, `admin id under ${name} on the webmail`);
    }
    const w = new Browser(webmail);
    await w.login('admin@example.com');
    const webmailId = w.jar['__Host-tegami-webmail'];
    assert.equal((await w.get('/')).statusCode, 200);
    for (const name of ['__Host-tegami-admin', '__Host-tegami-webmail']) {
      const r = await admin.inject({ url: '/api/v1/status', headers: { cookie: `${name}=${webmailId}` } });
      assert.equal(r.statusCode, 401, `webmail id under ${name} on the admin`);
    }
  });

  it('ends a session after the idle timeout, and after the absolute lifetime however active', async () => {
    const b = new Browser(admin);
    await b.login('admin@example.com');
    f.clock.now += 29 * 60_000;
    assert.equal((await b.get('/')).statusCode, 200, 'still alive after 29 idle minutes');
    f.clock.now += 29 * 60_000;
    assert.equal((await b.get('/')).statusCode, 200, 'activity restarted the idle clock');
    f.clock.now += 30 * 60_000;
    assert.equal((await b.get('/')).statusCode, 303, 'gone after 30 idle minutes');

    const c = new Browser(admin);
    await c.login('admin@example.com');
    for (let i = 0; i < 16; i++) {
      f.clock.now += 29 * 60_000;
      assert.equal((await c.get('/api/v1/status')).statusCode, 200, `active at ${(i + 1) * 29} min`);
    }
    f.clock.now += 29 * 60_000; // 8 h 3 min after login
    assert.equal((await c.get('/api/v1/status')).statusCode, 401, 'gone after the absolute lifetime');
  });

  it('ends the sessions of an account that loses its right or is disabled', async () => {
    const b = new Browser(admin);
    await b.login('lists@example.com');
    assert.equal((await b.get('/')).statusCode, 200);
    f.directory.updateUser('lists@example.com', { listAdmin: false });
    try {
      assert.equal((await b.get('/')).statusCode, 303);
      assert.equal((f.db.prepare("SELECT COUNT(*) AS n FROM web_sessions WHERE address = 'lists@example.com' AND kind = 'admin'").get() as { n: number }).n, 0);
    } finally {
      f.directory.updateUser('lists@example.com', { listAdminOf: ['team@example.com'] });
    }
    const w = new Browser(webmail);
    await w.login('user@example.com');
    assert.equal((await w.get('/')).statusCode, 200);
    f.directory.updateUser('user@example.com', { disabled: true });
    try {
      assert.equal((await w.get('/')).statusCode, 303);
    } finally {
      f.directory.updateUser('user@example.com', { disabled: false });
    }
  });

  it('keeps only hashes of session ids in the database file', async () => {
    const b = new Browser(admin);
    await b.login('admin@example.com');
    const id = b.jar['__Host-tegami-admin'];
    f.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const name of fs.readdirSync(f.dir).filter((n) => n.startsWith('tegami.db'))) {
      assert.ok(!fs.readFileSync(path.join(f.dir, name)).includes(id), `${name} holds no session id`);
    }
    assert.equal((await admin.inject({ url: '/', headers: { cookie: cookieHeader(b.jar) } })).statusCode, 200);
  });

  it('sweeps expired sessions out of the table', async () => {
    const count = () => (f.db.prepare('SELECT COUNT(*) AS n FROM web_sessions').get() as { n: number }).n;
    await f.deps.sessions.sweep();
    const live = count();
    await f.deps.sessions.create('webmail', 'user@example.com', '192.0.2.1');
    await f.deps.sessions.create('webmail', 'user@example.com', '192.0.2.1');
    assert.equal(count(), live + 2);
    f.clock.now += 31 * 60_000;
    assert.ok((await f.deps.sessions.sweep()) >= 2);
    assert.equal(count(), 0, 'every session here was idle for 31 minutes');
  });

  it('refuses malformed session cookies without touching the database', async () => {
    for (const v of ['', 'x', '../../etc', "' OR 1=1 --", 'A'.repeat(5000)]) {
      const r = await admin.inject({ url: '/', headers: { cookie: `__Host-tegami-admin=${encodeURIComponent(v)}` } });
      assert.equal(r.statusCode, 303, v.slice(0, 20));
    }
  });
});
