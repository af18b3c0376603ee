// CSRF over inject(): every state-changing request needs the session's token (form field or header);
// a missing, stale or foreign token, or a cross-site Origin, gets 403 and an audit line; the login form
// has its own pre-login token; bearer-token API calls are exempt.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { auditLines, Browser, cookieHeader, csrfField, FORM, form, PASSWORD, webFixture, type Fixture } from './helpers.js';

describe('CSRF', () => {
  let f: Fixture;
  let admin: FastifyInstance;
  before(async () => {
    f = await webFixture();
    admin = await f.app('admin');
  });
  after(() => f.close());

  async function signedIn(address = 'admin@example.com'): Promise<Browser> {
    const b = new Browser(admin);
    await b.login(address);
    await b.get('/');
    return b;
  }

  it('refuses a form POST without a token with 403 and an audit line, and keeps the session', async () => {
    const b = await signedIn();
    const r = await b.post('/logout', {}, { csrf: null });
    assert.equal(r.statusCode, 403);
    assert.match(r.headers['content-type'] as string, /^text\/html/);
    assert.match(r.body, /data-status="403"/);
    assert.match(r.body, /This form has expired/);
    const lines = await auditLines(f, (l) => l.some((x) => /action=csrf .*reason="csrf missing"/.test(x)));
    assert.ok(lines.some((x) => /admin\.denied who=admin@example\.com action=csrf ip=\S+ result=denied status=403/.test(x)), lines.join('\n'));
    assert.equal((await b.get('/')).statusCode, 200, 'still signed in: the forged logout did nothing');
  });

  it('refuses a stale token (from an earlier session) and a token from another session', async () => {
    const b = await signedIn();
    const stale = csrfField(b.lastPage);
    await b.post('/logout', {});
    await b.login('admin@example.com');
    await b.get('/');
    const fresh = csrfField(b.lastPage);
    assert.notEqual(fresh, stale, 'each session has its own token');
    assert.equal((await b.post('/logout', {}, { csrf: stale })).statusCode, 403);
    const other = await signedIn('host@example.org');
    assert.equal((await b.post('/logout', {}, { csrf: csrfField(other.lastPage) })).statusCode, 403);
    assert.equal((await b.post('/logout', {}, { csrf: fresh })).statusCode, 303);
    const lines = await auditLines(f, (l) => l.filter((x) => /reason="csrf mismatch"/.test(x)).length >= 2);
    assert.ok(lines.filter((x) => /reason="csrf mismatch"/.test(x)).length >= 2);
  });

  it('takes the token from the X-CSRF-Token header for fetch() calls with the session cookie', async () => {
    const b = await signedIn();
    const token = csrfField(b.lastPage);
    const post = (headers: Record<string, string>) =>
      admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: { label: 'x' }, headers: { cookie: cookieHeader(b.jar), ...headers } });
    const none = await post({});
    assert.equal(none.statusCode, 403);
    assert.equal(none.json().error, 'csrf');
    assert.equal((await post({ 'x-csrf-token': 'A'.repeat(43) })).statusCode, 403);
    const ok = await post({ 'x-csrf-token': token });
    assert.equal(ok.statusCode, 201, ok.body);
  });

  it('refuses cross-site requests by Origin and Sec-Fetch-Site even with the right token', async () => {
    const b = await signedIn();
    const token = csrfField(b.lastPage);
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, { origin: 'http://localhost:80' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }]) {
      const r = await admin.inject({ method: 'POST', url: '/logout', payload: form({ _csrf: token }), headers: { cookie: cookieHeader(b.jar), 'content-type': FORM, ...headers } });
      assert.equal(r.statusCode, 403, JSON.stringify(headers));
    }
    const same = await admin.inject({
      method: 'POST',
      url: '/logout',
      payload: form({ _csrf: token }),
      headers: { cookie: cookieHeader(b.jar), 'content-type': FORM, origin: 'https://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' },
    });
    assert.equal(same.statusCode, 303);
  });

  it('protects the login form with the pre-login cookie (no login CSRF)', async () => {
    const b = new Browser(admin);
    await b.get('/login');
    assert.ok(b.jar['__Host-tegami-admin-csrf'], 'the login page sets the pre-login token cookie');
    const noToken = await b.post('/login', { login: 'admin@example.com', password: PASSWORD }, { csrf: null });
    assert.equal(noToken.statusCode, 403);
    // an attacker's page can post its own token, but not set the victim's __Host- cookie to match
    const attacker = new Browser(admin);
    await attacker.get('/login');
    const forged = await admin.inject({
      method: 'POST',
      url: '/login',
      payload: form({ login: 'admin@example.com', password: PASSWORD, _csrf: csrfField(attacker.lastPage) }),
      headers: { 'content-type': FORM, cookie: cookieHeader(b.jar) },
    });
    assert.equal(forged.statusCode, 403);
    assert.equal((await b.post('/login', { login: 'admin@example.com', password: PASSWORD })).statusCode, 303);
  });

  it('checks the token before the body is validated, and on PUT/PATCH/DELETE too', async () => {
    const b = await signedIn();
    const bad = await admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: { nonsense: true }, headers: { cookie: cookieHeader(b.jar) } });
    assert.equal(bad.statusCode, 403, 'no token: refused before the schema says anything');
    const del = await admin.inject({ method: 'DELETE', url: '/api/v1/tokens/1', headers: { cookie: cookieHeader(b.jar) } });
    assert.equal(del.statusCode, 403);
    for (const method of ['PUT', 'PATCH'] as const) {
      const r = await admin.inject({ method, url: '/api/v1/tokens', payload: {}, headers: { cookie: cookieHeader(b.jar) } });
      assert.ok(r.statusCode === 403 || r.statusCode === 404, `${method}: ${r.statusCode}`);
      assert.notEqual(r.statusCode, 200);
    }
  });

  it('exempts bearer-token API calls, which carry no cookie authority', async () => {
    const { token } = f.deps.tokens.create('admin@example.com');
    const r = await admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: { label: 'scripted' }, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.statusCode, 201, r.body);
  });
});
