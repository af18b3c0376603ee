// Roles, enforced on the server route by route: 401 (never a redirect) on the API without credentials,
// a redirect to the login page for pages, 403 + an audit line outside the caller's role; the admin login
// needs an admin right and the webmail login needs web access; a route without a declared guard cannot
// even be registered.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { User } from '../../engine/accounts/directory.js';
import { buildWebApp } from '../../engine/web/app.js';
import { FlagRoles, requireRole } from '../../engine/web/roles.js';
import { auditLines, Browser, webFixture, type Fixture } from './helpers.js';

describe('roles', () => {
  let f: Fixture;
  let admin: FastifyInstance;
  let webmail: FastifyInstance;
  const sessions = new Map<string, Browser>();
  before(async () => {
    f = await webFixture();
    admin = await f.app('admin');
    webmail = await f.app('webmail');
    for (const a of ['admin@example.com', 'host@example.org', 'lists@example.com']) {
      const b = new Browser(admin);
      assert.equal((await b.login(a)).statusCode, 303, a);
      sessions.set(a, b);
    }
  });
  after(() => f.close());

  it('API routes answer 401 in JSON without credentials, never a redirect', async () => {
    for (const url of ['/api/v1/status', '/api/v1/domains', '/api/v1/domains/example.com', '/api/v1/tokens']) {
      const r = await admin.inject(url);
      assert.equal(r.statusCode, 401, url);
      assert.equal(r.headers.location, undefined);
      assert.equal(r.json().error, 'unauthorized');
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    }
    const post = await admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: {} });
    assert.equal(post.statusCode, 401, 'no credentials is a 401 before any CSRF question');
  });

  it('pages send the anonymous to the login page', async () => {
    for (const url of ['/', '/domains']) {
      const r = await admin.inject(url);
      assert.equal(r.statusCode, 303, url);
      assert.equal(r.headers.location, '/login');
    }
  });

  it('GET /api/v1/domains is filtered by role: all, its own domain with its aliases; 403 for a list admin', async () => {
    const names = async (who: string) => ((await sessions.get(who)!.get('/api/v1/domains')).json().domains as { name: string }[]).map((d) => d.name);
    assert.deepEqual(await names('admin@example.com'), ['example.com', 'example.org', 'mail.example.org', 'mx.example.com']);
    assert.deepEqual(await names('host@example.org'), ['example.org', 'mail.example.org']);
    const lists = await sessions.get('lists@example.com')!.get('/api/v1/domains');
    assert.equal(lists.statusCode, 403, 'a list admin administers no domain: refused like the domain pages, not an empty 200');
    const page = await sessions.get('host@example.org')!.get('/domains');
    assert.match(page.body, /data-domain="example.org"/);
    assert.doesNotMatch(page.body, /data-domain="example.com"/);
  });

  it('a host admin gets 403 (and an audit line) for another domain, by name or by host alias', async () => {
    const host = sessions.get('host@example.org')!;
    assert.equal((await host.get('/api/v1/domains/example.org')).statusCode, 200);
    const viaAlias = await host.get('/api/v1/domains/mail.example.org');
    assert.equal(viaAlias.statusCode, 200);
    assert.equal(viaAlias.json().name, 'example.org');
    for (const d of ['example.com', 'mx.example.com', 'EXAMPLE.COM', 'unknown.example']) {
      const r = await host.get(`/api/v1/domains/${d}`);
      assert.equal(r.statusCode, 403, d);
      assert.equal(r.json().error, 'forbidden');
    }
    const lines = await auditLines(f, (l) => l.some((x) => /who=host@example\.org action="GET \/api\/v1\/domains\/:domain" .*status=403/.test(x)));
    assert.ok(lines.some((x) => /admin\.denied who=host@example\.org action="GET \/api\/v1\/domains\/:domain" ip=\S+ result=denied status=403 via=session reason="role domain-admin"/.test(x)), lines.join('\n'));
    const sys = sessions.get('admin@example.com')!;
    assert.equal((await sys.get('/api/v1/domains/example.org')).statusCode, 200);
    assert.equal((await sys.get('/api/v1/domains/unknown.example')).statusCode, 404, 'a system admin may ask; the domain is just not there');
  });

  it('admin login needs an admin right; webmail login needs web access', async () => {
    const plain = new Browser(admin);
    const r = await plain.login('user@example.com');
    assert.equal(r.statusCode, 403);
    assert.match(r.body, /data-error="forbidden"/);
    assert.match(r.body, /no administration rights/);
    assert.equal(plain.jar['__Host-tegami-admin'], undefined, 'no session');
    const w = new Browser(webmail);
    assert.equal((await w.login('user@example.com')).statusCode, 303);
    const nw = new Browser(webmail);
    const refused = await nw.login('noweb@example.com');
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /Web access is turned off/);
    assert.equal((await new Browser(admin).login('noweb@example.com')).statusCode, 403);
  });

  it('refuses to register a route that declares no guard', async () => {
    await assert.rejects(
      buildWebApp({ kind: 'admin', deps: f.deps, routes: (app) => void app.get('/forgotten', async () => 'oops') }),
      /declares no access/,
    );
  });

  it('a later route with requireRole is checked on the server like the built-in ones', async () => {
    const app = await buildWebApp({
      kind: 'admin',
      deps: f.deps,
      routes: (a) => {
        a.get('/system-only', { config: { access: { guard: requireRole('system-admin') } } }, async () => 'ok');
        a.get<{ Params: { list: string } }>('/lists/:list', { config: { access: { guard: requireRole({ list: (req) => ({ address: (req.params as { list: string }).list, owners: ['lists@example.com'] }) }) } } }, async () => 'ok');
      },
    });
    try {
      const as = async (who: string, url: string) => {
        const b = new Browser(app);
        await b.login(who);
        return (await b.get(url)).statusCode;
      };
      assert.equal(await as('admin@example.com', '/system-only'), 200);
      assert.equal(await as('host@example.org', '/system-only'), 403);
      assert.equal(await as('lists@example.com', '/lists/team@example.com'), 200);
      assert.equal(await as('host@example.org', '/lists/team@example.com'), 403);
      assert.equal(await as('host@example.org', '/lists/team@example.org'), 200, 'a host admin administers its domain\'s lists');
    } finally {
      await app.close();
    }
  });
});

describe('FlagRoles', () => {
  const user = (p: Partial<User>): User => ({
    address: 'u@a.example', local: 'u', domain: 'a.example', fullName: '', replyTo: '', forward: [], keepCopy: true, disabled: false,
    cannotChangePassword: false, webAccess: true, hostAdminOf: [], listAdminOf: [], hostAdmin: false, listAdmin: false, systemAdmin: false,
    quota: { bytes: 0, messages: 0 }, ...p,
  });
  const roles = new FlagRoles((d) => ({ 'a.example': 'a.example', 'alias.a.example': 'a.example', 'b.example': 'b.example' })[d.toLowerCase()] ?? null);

  it('gives nothing to a disabled admin, and no list to a list admin it does not own', () => {
    assert.equal(roles.hasAdminRight(user({ systemAdmin: true, disabled: true })), false);
    assert.equal(roles.canAdminDomain(user({ systemAdmin: true, disabled: true }), 'a.example'), false);
    const host = (...d: string[]) => user({ hostAdminOf: d, hostAdmin: d.length > 0 });
    const lists = (...l: string[]) => user({ listAdminOf: l, listAdmin: l.length > 0 });
    assert.equal(roles.canAdminDomain(host('a.example'), 'ALIAS.a.example'), true);
    assert.equal(roles.canAdminDomain(host('a.example'), 'b.example'), false);
    assert.equal(roles.canAdminDomain(host('b.example'), 'b.example'), true, 'a host admin of another domain than its own');
    assert.equal(roles.canAdminDomain(host('b.example'), 'a.example'), false, 'not of its own domain unless given it');
    assert.equal(roles.canAdminDomain(lists('l@a.example'), 'a.example'), false);
    assert.equal(roles.canAdminList(lists('l@a.example'), { address: 'm@a.example' }), false, 'only the lists it was given');
    assert.equal(roles.canAdminList(lists('l@b.example'), { address: 'L@b.example' }), true);
    assert.equal(roles.canAdminList(lists('l@a.example'), { address: 'l@ALIAS.a.example' }), true, 'through a host alias');
    assert.equal(roles.canAdminList(user({}), { address: 'l@b.example', owners: ['u@a.example'] }), false, 'owners on the list side give no right');
    assert.equal(roles.canAdminList(host('a.example'), { address: 'l@b.example' }), false);
    assert.equal(roles.canAdminList(host('b.example'), { address: 'l@b.example' }), true);
    assert.equal(roles.isSystemAdmin(user({ hostAdminOf: ['a.example'], listAdminOf: ['l@a.example'] })), false);
    assert.equal(roles.hasAdminRight(lists('l@a.example')), true);
    assert.equal(roles.hasAdminRight(user({ hostAdmin: true, listAdmin: true })), false, 'the old booleans alone give nothing');
  });
});
