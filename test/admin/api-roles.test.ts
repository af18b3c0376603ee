// Every /api/v1 route of the administration, called as each role over inject(): anonymous gets 401 (with
// WWW-Authenticate), a role outside the route gets 403 (with an audit line), and the role it is for gets its
// answer. A host admin of example.org asking for example.com gets 403, never a filtered 200. The table must
// name every API route the server has, so a new route cannot skip this test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditLines } from '../web/helpers.js';
import { SqliteActivity } from '../../engine/lists/activity.js';
import { adminFixture, adminRoutes, json, type AdminFixture, type Role } from './fixture.js';

type Expect = Partial<Record<Exclude<Role, 'anonymous'>, number>>;
interface Case {
  method: string;
  url: string;
  body?: (role: string) => unknown;
  expect: Expect;
  /** The route pattern this case covers (defaults to url). */
  route?: string;
}

const ALL_200: Expect = { system: 200, host: 200, list: 200 };
const SYS_ONLY = (ok: number): Expect => ({ system: ok, host: 403, list: 403 });

describe('admin API: roles, route by route', () => {
  let f: AdminFixture;
  let queued: string[] = [];

  before(async () => {
    f = await adminFixture();
    await f.directory.addUser({ address: 'victim@example.com', password: 'correct horse 1', fullName: 'Victim' });
    await f.directory.addUser({ address: 'member@example.org', password: 'correct horse 1', fullName: 'Member' });
    f.directory.addAlias('sales@example.org', ['member@example.org']);
    f.directory.addAlias('info@example.com', ['victim@example.com']);
    f.writeLog('smtp', '20261205', ['2026-12-05T09:00:00.000Z INFO connect sid=abc ip=192.0.2.7']);
    queued = [await f.queueMessage(), await f.queueMessage(), await f.queueMessage()];
    // team@example.org names the list admin as moderator; staff@example.com names nobody
    f.directory.lists.createList('team@example.org');
    f.directory.lists.addAdmin('team@example.org', 'lists@example.com');
    f.directory.lists.addMember('team@example.org', 'member@example.org');
    f.directory.lists.createList('staff@example.com');
    const activity = new SqliteActivity(f.db);
    for (const id of ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc', 'dddddddddd']) {
      activity.hold({ id, list: id < 'c' ? 'team@example.org' : 'staff@example.com', postKey: `k${id}`, sender: 'p@x.test', mailFrom: 'p@x.test', subject: 'held', size: 10, reason: 'moderated', created: Date.now(), expires: Date.now() + 86_400_000 });
    }
  });
  after(() => f?.close());

  const cases = (): Case[] => [
    { method: 'GET', url: '/api/v1/status', expect: ALL_200 },
    { method: 'GET', url: '/api/v1/dashboard', expect: SYS_ONLY(200) },
    { method: 'GET', url: '/api/v1/domains', expect: { system: 200, host: 200, list: 403 } },
    { method: 'POST', url: '/api/v1/domains', body: (r) => ({ name: `new-${r}.test` }), expect: SYS_ONLY(201) },
    { method: 'GET', url: '/api/v1/domains/example.org', route: '/api/v1/domains/:domain', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/domains/example.com', route: '/api/v1/domains/:domain', expect: { system: 200, host: 403, list: 403 } },
    { method: 'DELETE', url: '/api/v1/domains/new-system.test', route: '/api/v1/domains/:domain', expect: SYS_ONLY(204) },
    { method: 'POST', url: '/api/v1/domains/example.org/dkim', route: '/api/v1/domains/:domain/dkim', body: (r) => ({ selector: `s${r}` }), expect: SYS_ONLY(201) },
    { method: 'GET', url: '/api/v1/domains/example.org/dns?check=false', route: '/api/v1/domains/:domain/dns', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/domains/example.com/dns?check=false', route: '/api/v1/domains/:domain/dns', expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/domains/example.org/defaults', route: '/api/v1/domains/:domain/defaults', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/domains/example.com/defaults', route: '/api/v1/domains/:domain/defaults', expect: { system: 200, host: 403, list: 403 } },
    { method: 'PATCH', url: '/api/v1/domains/example.org/defaults', route: '/api/v1/domains/:domain/defaults', body: (r) => ({ replyTo: `help-${r}@example.org` }), expect: { system: 200, host: 200, list: 403 } },
    { method: 'PATCH', url: '/api/v1/domains/example.com/defaults', route: '/api/v1/domains/:domain/defaults', body: (r) => ({ replyTo: `help-${r}@example.com` }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/users?domain=example.org', route: '/api/v1/users', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/users?domain=example.com', route: '/api/v1/users', expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/users?domain=mail.example.org', route: '/api/v1/users', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/users', expect: SYS_ONLY(200) },
    { method: 'POST', url: '/api/v1/users', body: (r) => ({ address: `new-${r}@example.org`, password: 'long enough 1' }), expect: { system: 201, host: 201, list: 403 } },
    { method: 'POST', url: '/api/v1/users', body: (r) => ({ address: `new-${r}@example.com`, password: 'long enough 1' }), expect: { system: 201, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/users/member@example.org', route: '/api/v1/users/:address', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/users/victim@example.com', route: '/api/v1/users/:address', expect: { system: 200, host: 403, list: 403 } },
    { method: 'PATCH', url: '/api/v1/users/member@example.org', route: '/api/v1/users/:address', body: () => ({ fullName: 'Member M' }), expect: { system: 200, host: 200, list: 403 } },
    { method: 'PATCH', url: '/api/v1/users/victim@example.com', route: '/api/v1/users/:address', body: () => ({ fullName: 'Pwned' }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/users/member@example.org/send-limit', route: '/api/v1/users/:address/send-limit', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/users/victim@example.com/send-limit', route: '/api/v1/users/:address/send-limit', expect: { system: 200, host: 403, list: 403 } },
    { method: 'PUT', url: '/api/v1/users/member@example.org/send-limit', route: '/api/v1/users/:address/send-limit', body: () => ({ messagesPerHour: 10 }), expect: { system: 200, host: 200, list: 403 } },
    { method: 'PUT', url: '/api/v1/users/victim@example.com/send-limit', route: '/api/v1/users/:address/send-limit', body: () => ({ messagesPerHour: 0 }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/domains/example.org/send-limit', route: '/api/v1/domains/:domain/send-limit', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/domains/example.com/send-limit', route: '/api/v1/domains/:domain/send-limit', expect: { system: 200, host: 403, list: 403 } },
    { method: 'PUT', url: '/api/v1/domains/example.org/send-limit', route: '/api/v1/domains/:domain/send-limit', body: () => ({ recipientsPerDay: 100 }), expect: { system: 200, host: 200, list: 403 } },
    { method: 'PUT', url: '/api/v1/domains/example.com/send-limit', route: '/api/v1/domains/:domain/send-limit', body: () => ({ recipientsPerDay: 0 }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'POST', url: '/api/v1/users/member@example.org/password', route: '/api/v1/users/:address/password', body: () => ({ password: 'another one 1' }), expect: { system: 204, host: 204, list: 403 } },
    { method: 'POST', url: '/api/v1/users/victim@example.com/password', route: '/api/v1/users/:address/password', body: () => ({ password: 'another one 1' }), expect: { system: 204, host: 403, list: 403 } },
    { method: 'DELETE', url: '/api/v1/users/new-host@example.org', route: '/api/v1/users/:address', expect: { system: 404, host: 200, list: 403 } },
    { method: 'DELETE', url: '/api/v1/users/new-system@example.com', route: '/api/v1/users/:address', expect: { system: 200, host: 403, list: 403 } },
    { method: 'POST', url: '/api/v1/users/import', body: () => ({ csv: 'address,password\r\nimp@example.org,long enough 1\r\n', mode: 'preview' }), expect: { system: 200, host: 200, list: 403 } },
    { method: 'POST', url: '/api/v1/users/import', body: (r) => ({ csv: `address,password\r\nimp-${r}@example.com,long enough 1\r\n`, mode: 'all' }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/users/export?domain=example.org', route: '/api/v1/users/export', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/users/export?domain=example.com', route: '/api/v1/users/export', expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/aliases?domain=example.org', route: '/api/v1/aliases', expect: { system: 200, host: 200, list: 403 } },
    { method: 'GET', url: '/api/v1/aliases?domain=example.com', route: '/api/v1/aliases', expect: { system: 200, host: 403, list: 403 } },
    { method: 'POST', url: '/api/v1/aliases', body: (r) => ({ address: `a-${r}@example.org`, targets: ['member@example.org'] }), expect: { system: 201, host: 201, list: 403 } },
    { method: 'POST', url: '/api/v1/aliases', body: (r) => ({ address: `a-${r}@example.com`, targets: ['member@example.org'] }), expect: { system: 201, host: 403, list: 403 } },
    { method: 'DELETE', url: '/api/v1/aliases/info@example.com', route: '/api/v1/aliases/:address', expect: { system: 204, host: 403, list: 403 } },
    { method: 'DELETE', url: '/api/v1/aliases/sales@example.org', route: '/api/v1/aliases/:address', expect: { system: 404, host: 204, list: 403 } },
    { method: 'POST', url: '/api/v1/rules/example.org/check', route: '/api/v1/rules/:domain/check', body: () => ({ script: 'keep;' }), expect: { system: 200, host: 200, list: 403 } },
    { method: 'POST', url: '/api/v1/rules/example.com/check', route: '/api/v1/rules/:domain/check', body: () => ({ script: 'keep;' }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/settings', expect: SYS_ONLY(200) },
    { method: 'PATCH', url: '/api/v1/settings', body: () => ({ changes: { 'spam.spam_threshold': 6 } }), expect: SYS_ONLY(200) },
    { method: 'POST', url: '/api/v1/dnsbl/test', body: () => ({ query_domain: 'bl.example.test', type: 'DNS' }), expect: SYS_ONLY(200) },
    { method: 'GET', url: '/api/v1/queue', expect: SYS_ONLY(200) },
    { method: 'GET', url: `/api/v1/queue/${queued[0]}`, route: '/api/v1/queue/:id', expect: SYS_ONLY(200) },
    { method: 'POST', url: `/api/v1/queue/${queued[0]}/hold`, route: '/api/v1/queue/:id/hold', expect: SYS_ONLY(200) },
    { method: 'POST', url: `/api/v1/queue/${queued[0]}/release`, route: '/api/v1/queue/:id/release', expect: SYS_ONLY(200) },
    { method: 'POST', url: `/api/v1/queue/${queued[0]}/retry`, route: '/api/v1/queue/:id/retry', expect: SYS_ONLY(200) },
    { method: 'POST', url: `/api/v1/queue/${queued[1]}/delete`, route: '/api/v1/queue/:id/delete', expect: SYS_ONLY(200) },
    { method: 'DELETE', url: `/api/v1/queue/${queued[2]}`, route: '/api/v1/queue/:id', expect: SYS_ONLY(200) },
    { method: 'POST', url: '/api/v1/queue/by-domain/retry', route: '/api/v1/queue/by-domain/:action', body: () => ({ domain: 'remote.test' }), expect: SYS_ONLY(200) },
    { method: 'GET', url: '/api/v1/logs?service=smtp&day=20261205&q=abc', route: '/api/v1/logs', expect: SYS_ONLY(200) },
    { method: 'GET', url: '/api/v1/logs/days', expect: SYS_ONLY(200) },
    { method: 'GET', url: '/api/v1/backup/last', expect: SYS_ONLY(200) },
    { method: 'GET', url: '/api/v1/metrics', expect: SYS_ONLY(200) },
    { method: 'POST', url: '/api/v1/backup', expect: SYS_ONLY(200) },
    { method: 'GET', url: '/api/v1/lists', expect: ALL_200 },
    { method: 'POST', url: '/api/v1/lists', body: (r) => ({ address: `l-${r}@example.org` }), expect: { system: 201, host: 201, list: 403 } },
    { method: 'POST', url: '/api/v1/lists', body: (r) => ({ address: `l-${r}@example.com` }), expect: { system: 201, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/lists/team@example.org', route: '/api/v1/lists/:list', expect: ALL_200 },
    { method: 'GET', url: '/api/v1/lists/staff@example.com', route: '/api/v1/lists/:list', expect: { system: 200, host: 403, list: 403 } },
    { method: 'PATCH', url: '/api/v1/lists/team@example.org', route: '/api/v1/lists/:list', body: () => ({ subjectPrefix: '[team]' }), expect: ALL_200 },
    { method: 'PATCH', url: '/api/v1/lists/team@example.org', route: '/api/v1/lists/:list', body: () => ({ moderators: ['lists@example.com', 'member@example.org'] }), expect: { system: 200, host: 200, list: 403 } },
    { method: 'PATCH', url: '/api/v1/lists/staff@example.com', route: '/api/v1/lists/:list', body: () => ({ moderated: true }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'GET', url: '/api/v1/lists/team@example.org/members', route: '/api/v1/lists/:list/members', expect: ALL_200 },
    { method: 'POST', url: '/api/v1/lists/team@example.org/members', route: '/api/v1/lists/:list/members', body: (r) => ({ addresses: [`m-${r}@elsewhere.test`] }), expect: ALL_200 },
    { method: 'POST', url: '/api/v1/lists/staff@example.com/members', route: '/api/v1/lists/:list/members', body: (r) => ({ addresses: [`m-${r}@elsewhere.test`] }), expect: { system: 200, host: 403, list: 403 } },
    { method: 'DELETE', url: '/api/v1/lists/team@example.org/members/m-list@elsewhere.test', route: '/api/v1/lists/:list/members/:address', expect: { system: 404, host: 404, list: 204 } },
    { method: 'GET', url: '/api/v1/lists/team@example.org/held', route: '/api/v1/lists/:list/held', expect: ALL_200 },
    { method: 'POST', url: '/api/v1/lists/team@example.org/held/aaaaaaaaaa/approve', route: '/api/v1/lists/:list/held/:id/approve', expect: { system: 409, host: 409, list: 200 } },
    { method: 'POST', url: '/api/v1/lists/team@example.org/held/bbbbbbbbbb/reject', route: '/api/v1/lists/:list/held/:id/reject', expect: { system: 409, host: 409, list: 200 } },
    { method: 'POST', url: '/api/v1/lists/staff@example.com/held/cccccccccc/approve', route: '/api/v1/lists/:list/held/:id/approve', expect: { system: 200, host: 403, list: 403 } },
    { method: 'POST', url: '/api/v1/lists/staff@example.com/held/dddddddddd/reject', route: '/api/v1/lists/:list/held/:id/reject', expect: { system: 200, host: 403, list: 403 } },
    { method: 'DELETE', url: '/api/v1/lists/l-system@example.com', route: '/api/v1/lists/:list', expect: { system: 204, host: 403, list: 403 } },
    { method: 'DELETE', url: '/api/v1/lists/l-host@example.org', route: '/api/v1/lists/:list', expect: { system: 404, host: 204, list: 403 } },
    { method: 'GET', url: '/api/v1/tokens', expect: ALL_200 },
    { method: 'POST', url: '/api/v1/tokens', body: () => ({ label: 'x' }), expect: { system: 201, host: 201, list: 201 } },
    { method: 'DELETE', url: '/api/v1/tokens/999', route: '/api/v1/tokens/:id', expect: { system: 404, host: 404, list: 404 } },
  ];

  it('answers 401 without credentials and 401 for a bad token, on every route', async () => {
    for (const c of cases()) {
      const r = await f.api('anonymous', c.method, c.url, c.body?.('anonymous'));
      assert.equal(r.statusCode, 401, `${c.method} ${c.url}: ${r.body}`);
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
      assert.equal(json(r).error, 'unauthorized');
      const bad = await f.admin.inject({ method: c.method as 'GET', url: c.url, headers: { authorization: 'Bearer tgm_' + 'A'.repeat(43) } });
      assert.equal(bad.statusCode, 401, `bad token ${c.method} ${c.url}`);
    }
  });

  it('answers each role as the route allows (list admin, host admin of example.org, system admin)', async () => {
    for (const role of ['list', 'host', 'system'] as const) {
      for (const c of cases()) {
        const want = c.expect[role];
        if (want === undefined) continue;
        const r = await f.api(role, c.method, c.url, c.body?.(role));
        assert.equal(r.statusCode, want, `${role} ${c.method} ${c.url}: ${r.body.slice(0, 300)}`);
        if (want === 403) assert.equal(json(r).error, 'forbidden', `${role} ${c.method} ${c.url}`);
      }
    }
  });

  it('a refusal leaves an audit line naming who, what and why', async () => {
    const r = await f.api('host', 'GET', '/api/v1/users?domain=example.com');
    assert.equal(r.statusCode, 403);
    const lines = await auditLines(f, (l) => l.some((x) => x.includes('who=host@example.org') && x.includes('GET /api/v1/users') && x.includes('status=403')));
    const line = lines.find((x) => x.includes('who=host@example.org') && x.includes('GET /api/v1/users') && x.includes('status=403'));
    assert.ok(line, lines.join('\n'));
    assert.match(line, /result=denied/);
    assert.match(line, /via=token/);
  });

  it('the host admin never sees another domain in a list, and the system admin sees all', async () => {
    const host = json<{ users: { address: string }[] }>(await f.api('host', 'GET', '/api/v1/users?domain=example.org&per_page=500'));
    assert.ok(host.users.length > 0);
    assert.ok(host.users.every((u) => u.address.endsWith('@example.org')), JSON.stringify(host.users));
    const domains = json<{ domains: { name: string }[] }>(await f.api('host', 'GET', '/api/v1/domains'));
    assert.deepEqual(domains.domains.map((d) => d.name).sort(), ['example.org', 'mail.example.org']);
    const sys = json<{ total: number }>(await f.api('system', 'GET', '/api/v1/users'));
    assert.ok(sys.total >= 8);
  });

  it('covers every API route the admin server has', () => {
    const routes = new Set(adminRoutes(f.admin).filter((r) => r.path.startsWith('/api/v1/')).map((r) => `${r.method} ${r.path}`));
    assert.ok(routes.size > 30, [...routes].join('\n'));
    const covered = new Set(cases().map((c) => `${c.method} ${c.route ?? c.url.split('?')[0]}`));
    const missing = [...routes].filter((r) => !covered.has(r));
    assert.deepEqual(missing, []);
  });
});
