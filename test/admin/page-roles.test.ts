// Every page route of the administration (the HTML pages and their forms, apart from /api/v1), called as each
// role with a real cookie session and the form's CSRF token: anonymous is sent to the login page, a role
// outside the route gets 403 (with an audit line) and nothing is written, the role it is for gets its page or
// its redirect. A host admin of example.org never reaches example.com; a list admin reaches its lists only.
// The table must name every page route the server has, so a new page cannot skip this test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteActivity } from '../../engine/lists/activity.js';
import { readHolds } from '../../engine/outbound/holds.js';
import { auditLines, Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, adminRoutes, ROLES, type AdminFixture } from './fixture.js';

type R = 'list' | 'host' | 'system';
interface Case {
  method: 'GET' | 'POST';
  url: (r: R) => string;
  body?: (r: R) => Record<string, string>;
  /** The answer per role: a status, or 'login' (anonymous only, implied). */
  expect: Record<R, number>;
  route: string;
  /** For a refused write: what must still hold afterwards. */
  unchanged?: () => void;
}

const SYS = (ok: number) => ({ system: ok, host: 403, list: 403 });
const DOMAIN = (ok: number) => ({ system: ok, host: ok, list: 403 });
const FOREIGN = (ok: number) => ({ system: ok, host: 403, list: 403 });
const ALL = (ok: number) => ({ system: ok, host: ok, list: ok });

// routes of the web foundation, tested in test/web/* (login, language switch, logout, static files)
const FOUNDATION = new Set(['GET /login', 'POST /login', 'POST /lang', 'POST /logout', 'GET /static/:name']);

describe('admin pages: roles, route by route', () => {
  let f: AdminFixture;
  const queued: Record<R, string> = { list: '', host: '', system: '' };
  let bossToken = 0;
  const browsers = {} as Record<R, Browser>;

  before(async () => {
    f = await adminFixture();
    await f.directory.addUser({ address: 'victim@example.com', password: PASSWORD, fullName: 'Victim' });
    await f.directory.addUser({ address: 'member@example.org', password: PASSWORD, fullName: 'Member' });
    for (const r of ['list', 'host', 'system'] as const) {
      await f.directory.addUser({ address: `gone-${r}@example.org`, password: PASSWORD });
      await f.directory.addUser({ address: `gone-${r}@example.com`, password: PASSWORD });
      f.directory.addAlias(`al-${r}@example.org`, ['member@example.org']);
      f.directory.addAlias(`al-${r}@example.com`, ['victim@example.com']);
      queued[r] = await f.queueMessage({ subject: `queued for ${r}` });
    }
    f.directory.addDomain('drop-system.test');
    f.directory.addDomain('drop-host.test');
    f.directory.addDomain('drop-list.test');
    bossToken = f.deps.tokens.create(ROLES.system, 'boss').info.id;
    f.writeLog('smtp', '20261205', ['2026-12-05T09:00:00.000Z INFO connect sid=abc ip=192.0.2.7']);
    // team@example.org names the list admin as moderator; staff@example.com names nobody
    f.directory.lists.createList('team@example.org');
    f.directory.lists.addAdmin('team@example.org', ROLES.list);
    f.directory.lists.createList('staff@example.com');
    for (const r of ['list', 'host', 'system'] as const) {
      f.directory.lists.createList(`del-${r}@example.org`);
      f.directory.lists.addAdmin(`del-${r}@example.org`, ROLES.list);
      f.directory.lists.addMember('team@example.org', `m-${r}@elsewhere.test`);
      f.directory.lists.addMember('staff@example.com', `m-${r}@elsewhere.test`);
    }
    const activity = new SqliteActivity(f.db);
    const hold = (id: string, list: string) =>
      activity.hold({ id, list, postKey: `k${id}`, sender: 'p@x.test', mailFrom: 'p@x.test', subject: 'held', size: 10, reason: 'moderated', created: Date.now(), expires: Date.now() + 86_400_000 });
    // one held post per role and action on each list: team (a..f), staff (g..l)
    'abcdefghijkl'.split('').forEach((c, i) => hold(c.repeat(10), i < 6 ? 'team@example.org' : 'staff@example.com'));
    for (const r of ['list', 'host', 'system'] as const) {
      browsers[r] = new Browser(f.admin, { 'accept-language': 'en' });
      const res = await browsers[r].login(ROLES[r], PASSWORD);
      assert.equal(res.statusCode, 303, `${r} logs in`);
    }
  });
  after(() => f?.close());

  const heldId = (list: 'team' | 'staff', action: 'approve' | 'reject', r: R) => {
    const base = (list === 'team' ? 0 : 6) + (action === 'approve' ? 0 : 3) + ['list', 'host', 'system'].indexOf(r);
    return 'abcdefghijkl'[base].repeat(10);
  };

  const cases = (): Case[] => [
    { method: 'GET', url: () => '/', route: '/', expect: ALL(200) },
    // domains
    { method: 'GET', url: () => '/domains', route: '/domains', expect: DOMAIN(200) },
    { method: 'POST', url: () => '/domains', route: '/domains', body: (r) => ({ domain: `new-${r}.test` }), expect: SYS(303), unchanged: () => assert.equal(f.directory.localDomain('new-host.test'), null) },
    { method: 'GET', url: () => '/domains/example.org', route: '/domains/:domain', expect: DOMAIN(200) },
    { method: 'GET', url: () => '/domains/example.com', route: '/domains/:domain', expect: FOREIGN(200) },
    { method: 'POST', url: (r) => `/domains/drop-${r}.test/delete`, route: '/domains/:domain/delete', body: () => ({}), expect: SYS(303), unchanged: () => assert.ok(f.directory.localDomain('drop-host.test')) },
    { method: 'POST', url: () => '/domains/example.org/dkim', route: '/domains/:domain/dkim', body: (r) => ({ selector: `s${r}` }), expect: SYS(200) },
    { method: 'POST', url: () => '/domains/example.org/defaults', route: '/domains/:domain/defaults', body: (r) => ({ replyTo: `help-${r}@example.org`, forward: '', keepCopy: '', cannotChangePassword: '', disabled: '', webAccess: 'no', quotaBytes: '', quotaMessages: '' }), expect: DOMAIN(303), unchanged: () => assert.notEqual(f.directory.defaults.get('example.org').replyTo, 'help-list@example.org') },
    { method: 'POST', url: () => '/domains/example.com/defaults', route: '/domains/:domain/defaults', body: (r) => ({ replyTo: `help-${r}@example.com`, webAccess: 'no' }), expect: FOREIGN(303), unchanged: () => assert.notEqual(f.directory.defaults.get('example.com').replyTo, 'help-host@example.com') },
    // users
    { method: 'GET', url: () => '/users', route: '/users', expect: { system: 200, host: 303, list: 403 } },
    { method: 'GET', url: () => '/users?domain=example.org', route: '/users', expect: DOMAIN(200) },
    { method: 'GET', url: () => '/users?domain=example.com', route: '/users', expect: FOREIGN(200) },
    { method: 'GET', url: () => '/users/new', route: '/users/new', expect: DOMAIN(200) },
    { method: 'POST', url: () => '/users/new', route: '/users/new', body: (r) => ({ address: `new-${r}@example.org`, password: PASSWORD }), expect: DOMAIN(303), unchanged: () => assert.equal(f.directory.user('new-list@example.org'), undefined) },
    { method: 'POST', url: () => '/users/new', route: '/users/new', body: (r) => ({ address: `new-${r}@example.com`, password: PASSWORD }), expect: FOREIGN(303), unchanged: () => assert.equal(f.directory.user('new-host@example.com'), undefined) },
    { method: 'GET', url: () => '/users/member@example.org', route: '/users/:address', expect: DOMAIN(200) },
    { method: 'GET', url: () => '/users/victim@example.com', route: '/users/:address', expect: FOREIGN(200) },
    { method: 'POST', url: () => '/users/member@example.org', route: '/users/:address', body: (r) => ({ fullName: `Member ${r}` }), expect: DOMAIN(303), unchanged: () => assert.notEqual(f.directory.user('member@example.org')!.fullName, 'Member list') },
    { method: 'POST', url: () => '/users/victim@example.com', route: '/users/:address', body: (r) => ({ fullName: `Pwned by ${r}` }), expect: FOREIGN(303), unchanged: () => assert.ok(!f.directory.user('victim@example.com')!.fullName.includes('host')) },
    { method: 'GET', url: () => '/users/member@example.org/send-limit', route: '/users/:address/send-limit', expect: DOMAIN(200) },
    { method: 'GET', url: () => '/users/victim@example.com/send-limit', route: '/users/:address/send-limit', expect: FOREIGN(200) },
    { method: 'POST', url: () => '/users/member@example.org/send-limit', route: '/users/:address/send-limit', body: () => ({ messagesPerHour: '10', messagesPerDay: '', recipientsPerHour: '', recipientsPerDay: '' }), expect: DOMAIN(303) },
    { method: 'POST', url: () => '/users/victim@example.com/send-limit', route: '/users/:address/send-limit', body: () => ({ messagesPerHour: '0', messagesPerDay: '', recipientsPerHour: '', recipientsPerDay: '' }), expect: FOREIGN(303) },
    { method: 'POST', url: () => '/users/member@example.org/password', route: '/users/:address/password', body: () => ({ password: 'another one 1' }), expect: DOMAIN(303) },
    { method: 'POST', url: () => '/users/victim@example.com/password', route: '/users/:address/password', body: () => ({ password: 'another one 1' }), expect: FOREIGN(303) },
    { method: 'POST', url: (r) => `/users/gone-${r}@example.org/delete`, route: '/users/:address/delete', body: () => ({}), expect: DOMAIN(303), unchanged: () => assert.ok(f.directory.user('gone-list@example.org')) },
    { method: 'POST', url: (r) => `/users/gone-${r}@example.com/delete`, route: '/users/:address/delete', body: () => ({}), expect: FOREIGN(303), unchanged: () => assert.ok(f.directory.user('gone-host@example.com')) },
    { method: 'GET', url: () => '/users/import', route: '/users/import', expect: DOMAIN(200) },
    { method: 'POST', url: () => '/users/import', route: '/users/import', body: (r) => ({ csv: `address,password\r\nimp-${r}@example.org,${PASSWORD}\r\n`, mode: 'all' }), expect: DOMAIN(303), unchanged: () => assert.equal(f.directory.user('imp-list@example.org'), undefined) },
    { method: 'POST', url: () => '/users/import', route: '/users/import', body: (r) => ({ csv: `address,password\r\nimp-${r}@example.com,${PASSWORD}\r\n`, mode: 'all' }), expect: { system: 303, host: 400, list: 403 }, unchanged: () => assert.equal(f.directory.user('imp-host@example.com'), undefined) },
    { method: 'GET', url: () => '/users/export.csv?domain=example.org', route: '/users/export.csv', expect: DOMAIN(200) },
    { method: 'GET', url: () => '/users/export.csv?domain=example.com', route: '/users/export.csv', expect: FOREIGN(200) },
    // aliases
    { method: 'GET', url: () => '/aliases', route: '/aliases', expect: DOMAIN(200) },
    { method: 'GET', url: () => '/aliases?domain=example.com', route: '/aliases', expect: FOREIGN(200) },
    { method: 'POST', url: () => '/aliases', route: '/aliases', body: (r) => ({ address: `a-${r}@example.org`, targets: 'member@example.org' }), expect: DOMAIN(303), unchanged: () => assert.ok(!f.directory.listAliases().some((a) => a.address === 'a-list@example.org')) },
    { method: 'POST', url: () => '/aliases', route: '/aliases', body: (r) => ({ address: `a-${r}@example.com`, targets: 'member@example.org' }), expect: FOREIGN(303), unchanged: () => assert.ok(!f.directory.listAliases().some((a) => a.address === 'a-host@example.com')) },
    { method: 'POST', url: (r) => `/aliases/al-${r}@example.org/delete`, route: '/aliases/:address/delete', body: () => ({}), expect: DOMAIN(303), unchanged: () => assert.ok(f.directory.listAliases().some((a) => a.address === 'al-list@example.org')) },
    { method: 'POST', url: (r) => `/aliases/al-${r}@example.com/delete`, route: '/aliases/:address/delete', body: () => ({}), expect: FOREIGN(303), unchanged: () => assert.ok(f.directory.listAliases().some((a) => a.address === 'al-host@example.com')) },
    // lists
    { method: 'GET', url: () => '/lists', route: '/lists', expect: ALL(200) },
    { method: 'POST', url: () => '/lists', route: '/lists', body: (r) => ({ address: `l-${r}@example.org` }), expect: DOMAIN(303), unchanged: () => assert.equal(f.directory.lists.list('l-list@example.org'), undefined) },
    { method: 'POST', url: () => '/lists', route: '/lists', body: (r) => ({ address: `l-${r}@example.com` }), expect: FOREIGN(303), unchanged: () => assert.equal(f.directory.lists.list('l-host@example.com'), undefined) },
    { method: 'GET', url: () => '/lists/team@example.org', route: '/lists/:list', expect: ALL(200) },
    { method: 'GET', url: () => '/lists/staff@example.com', route: '/lists/:list', expect: FOREIGN(200) },
    { method: 'POST', url: () => '/lists/team@example.org', route: '/lists/:list', body: () => ({ post: 'members', replyTo: 'sender', dmarcRewrite: 'policy', maxSize: '0', subjectPrefix: '[team]' }), expect: ALL(303) },
    { method: 'POST', url: () => '/lists/staff@example.com', route: '/lists/:list', body: () => ({ post: 'members', replyTo: 'sender', dmarcRewrite: 'policy', maxSize: '0', subjectPrefix: '[pwned]' }), expect: FOREIGN(303), unchanged: () => assert.notEqual(f.directory.lists.list('staff@example.com')!.subjectPrefix, '[pwned]') },
    { method: 'POST', url: (r) => `/lists/del-${r}@example.org/delete`, route: '/lists/:list/delete', body: () => ({}), expect: DOMAIN(303), unchanged: () => assert.ok(f.directory.lists.list('del-list@example.org'), 'a moderator does not delete the list') },
    { method: 'POST', url: () => '/lists/team@example.org/members', route: '/lists/:list/members', body: (r) => ({ members: `n-${r}@elsewhere.test` }), expect: ALL(303) },
    { method: 'POST', url: () => '/lists/staff@example.com/members', route: '/lists/:list/members', body: (r) => ({ members: `n-${r}@elsewhere.test` }), expect: FOREIGN(303), unchanged: () => assert.ok(!f.directory.lists.members('staff@example.com').some((m) => m.address === 'n-host@elsewhere.test')) },
    { method: 'POST', url: () => '/lists/team@example.org/members/remove', route: '/lists/:list/members/remove', body: (r) => ({ address: `m-${r}@elsewhere.test` }), expect: ALL(303) },
    { method: 'POST', url: () => '/lists/staff@example.com/members/remove', route: '/lists/:list/members/remove', body: (r) => ({ address: `m-${r}@elsewhere.test` }), expect: FOREIGN(303), unchanged: () => assert.ok(f.directory.lists.members('staff@example.com').some((m) => m.address === 'm-host@elsewhere.test')) },
    ...(['approve', 'reject'] as const).flatMap((a): Case[] => [
      { method: 'POST', url: (r) => `/lists/team@example.org/held/${heldId('team', a, r)}/${a}`, route: `/lists/:list/held/:id/${a}`, body: () => ({}), expect: ALL(303) },
      { method: 'POST', url: (r) => `/lists/staff@example.com/held/${heldId('staff', a, r)}/${a}`, route: `/lists/:list/held/:id/${a}`, body: () => ({}), expect: FOREIGN(303), unchanged: () => assert.equal(new SqliteActivity(f.db).heldById(heldId('staff', a, 'host'))!.state, 'held') },
    ]),
    // rules
    { method: 'GET', url: () => '/rules', route: '/rules', expect: { system: 303, host: 303, list: 403 } },
    { method: 'GET', url: () => '/rules/example.org', route: '/rules/:domain', expect: DOMAIN(200) },
    { method: 'GET', url: () => '/rules/example.com', route: '/rules/:domain', expect: FOREIGN(200) },
    { method: 'POST', url: () => '/rules/example.org/raw', route: '/rules/:domain/raw', body: () => ({ script: 'keep;' }), expect: DOMAIN(200) },
    { method: 'POST', url: () => '/rules/example.com/raw', route: '/rules/:domain/raw', body: () => ({ script: 'keep;' }), expect: FOREIGN(200) },
    { method: 'POST', url: () => '/rules/example.com/form', route: '/rules/:domain/form', body: () => ({}), expect: FOREIGN(200) },
    { method: 'POST', url: () => '/rules/example.org/form', route: '/rules/:domain/form', body: () => ({}), expect: DOMAIN(200) },
    // settings, queue, logs, backup: the system admin's
    { method: 'GET', url: () => '/settings', route: '/settings', expect: SYS(303) },
    { method: 'GET', url: () => '/settings/spam', route: '/settings/:group', expect: SYS(200) },
    { method: 'POST', url: () => '/settings/spam', route: '/settings/:group', body: () => ({ 'spam.spam_threshold': '7' }), expect: SYS(303), unchanged: () => assert.notEqual(f.svc.settings.list().find((s) => s.key === 'spam.spam_threshold')!.value, 3) },
    { method: 'POST', url: () => '/settings/dnsbl/test', route: '/settings/dnsbl/test', body: () => ({ test: '99' }), expect: SYS(404) },
    { method: 'GET', url: () => '/queue', route: '/queue', expect: SYS(200) },
    { method: 'GET', url: (r) => `/queue/${queued[r]}`, route: '/queue/:id', expect: SYS(200) },
    ...(['hold', 'release', 'retry'] as const).map((a): Case => ({ method: 'POST', url: (r) => `/queue/${queued[r]}/${a}`, route: `/queue/:id/${a}`, body: () => ({}), expect: SYS(303) })),
    { method: 'POST', url: (r) => `/queue/${queued[r]}/delete`, route: '/queue/:id/delete', body: () => ({}), expect: SYS(303) },
    { method: 'POST', url: () => '/queue/by-domain/hold', route: '/queue/by-domain/:action', body: () => ({ domain: 'remote.test' }), expect: SYS(303), unchanged: () => assert.ok(!readHolds(f.dir).has('remote.test')) },
    { method: 'GET', url: () => '/logs?service=smtp&day=20261205', route: '/logs', expect: SYS(200) },
    // one's own API tokens: every admin; another's token is not found
    { method: 'GET', url: () => '/tokens', route: '/tokens', expect: ALL(200) },
    { method: 'POST', url: () => '/tokens', route: '/tokens', body: (r) => ({ label: `page-${r}` }), expect: ALL(200) },
    { method: 'POST', url: () => `/tokens/${bossToken}/revoke`, route: '/tokens/:id/revoke', body: () => ({}), expect: { system: 303, host: 404, list: 404 } },
    { method: 'GET', url: () => '/backup', route: '/backup', expect: SYS(200) },
    { method: 'POST', url: () => '/backup', route: '/backup', body: () => ({}), expect: SYS(200) },
  ];

  it('sends anonymous callers to the login page on every page route, GET and POST', async () => {
    for (const c of cases()) {
      const b = new Browser(f.admin);
      await b.get('/login'); // a pre-login CSRF token, so only the missing session can refuse
      const r = c.method === 'GET' ? await b.get(c.url('system')) : await b.post(c.url('system'), c.body!('system'));
      assert.equal(r.statusCode, 303, `${c.method} ${c.url('system')}`);
      assert.equal(r.headers.location, '/login', `${c.method} ${c.url('system')}`);
    }
  });

  it('answers each role as the route allows (list admin, host admin of example.org, system admin), and a refusal writes nothing', async () => {
    const wrong: string[] = [];
    for (const role of ['list', 'host', 'system'] as const) {
      const b = browsers[role];
      for (const c of cases()) {
        const url = c.url(role);
        let r;
        if (c.method === 'GET') r = await b.get(url);
        else {
          await b.get('/'); // the page the form was on: a fresh CSRF token
          r = await b.post(url, c.body!(role));
        }
        const what = `${role} ${c.method} ${url}: ${r.statusCode} ${String(r.headers.location ?? '')} ${r.body.includes('<html') ? (/<h1>([^<]*)/.exec(r.body)?.[1] ?? '') : r.body.slice(0, 100)}`;
        if (r.statusCode !== c.expect[role]) wrong.push(`${what} (want ${c.expect[role]})`);
        if (r.statusCode === 303) assert.notEqual(r.headers.location, '/login', what);
        if (r.statusCode === 403) {
          assert.match(r.body, /<html/, `${what}: a page, not JSON`);
          c.unchanged?.();
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('a host admin\'s CSV import cannot grant the system right, by page or API, and writes nothing', async () => {
    const csv = `address,password,system_admin,host_admin,list_admin\r\nclimb1@example.org,${PASSWORD},true,false,false\r\nfine1@example.org,${PASSWORD},false,true,false\r\n`;
    const b = browsers.host;
    await b.get('/users/import');
    const page = await b.post('/users/import', { csv, mode: 'all' });
    assert.ok([400, 403].includes(page.statusCode), `${page.statusCode}`);
    const api = await f.api('host', 'POST', '/api/v1/users/import', { csv, mode: 'all' });
    assert.equal(api.statusCode, 403, api.body);
    assert.equal(f.directory.user('climb1@example.org'), undefined);
    assert.equal(f.directory.user('fine1@example.org'), undefined, 'all or nothing');
    // only the good line, when asked: the host right of its own domain it may grant
    await b.get('/users/import');
    const good = await b.post('/users/import', { csv, mode: 'good-only' });
    assert.equal(good.statusCode, 303, good.body.slice(0, 300));
    assert.equal(f.directory.user('climb1@example.org'), undefined);
    assert.deepEqual([f.directory.user('fine1@example.org')?.hostAdmin, f.directory.user('fine1@example.org')?.systemAdmin], [true, false]);
  });

  it('a refused page leaves an audit line naming who, what and why', async () => {
    const b = browsers.list;
    assert.equal((await b.get('/users/new')).statusCode, 403);
    const lines = await auditLines(f, (l) => l.some((x) => x.includes(`who=${ROLES.list}`) && x.includes('GET /users/new') && x.includes('status=403')));
    const line = lines.find((x) => x.includes(`who=${ROLES.list}`) && x.includes('GET /users/new') && x.includes('status=403'));
    assert.ok(line, lines.join('\n'));
    assert.match(line, /result=denied/);
    assert.match(line, /via=session/);
  });

  it('the navigation offers a list admin only its dashboard and lists, and every link it offers answers 200', async () => {
    for (const role of ['list', 'host', 'system'] as const) {
      const b = browsers[role];
      const page = (await b.get('/')).body;
      const nav = /<header[\s\S]*?<nav[^>]*>([\s\S]*?)<\/nav>/.exec(page);
      assert.ok(nav, 'a navigation');
      const hrefs = [...nav[1].matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
      if (role === 'list') assert.deepEqual(hrefs, ['/', '/lists']);
      for (const h of hrefs) {
        let r = await b.get(h);
        if (r.statusCode === 303) r = await b.get(String(r.headers.location));
        assert.equal(r.statusCode, 200, `${role} ${h}`);
      }
    }
  });

  it('covers every page route the admin server has', () => {
    const routes = new Set(adminRoutes(f.admin).filter((r) => !r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path}`));
    assert.ok(routes.size > 30, [...routes].join('\n'));
    const covered = new Set([...cases().map((c) => `${c.method} ${c.route}`), ...FOUNDATION]);
    assert.deepEqual([...routes].filter((r) => !covered.has(r)), []);
  });
});
