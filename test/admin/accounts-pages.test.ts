// The account model in the admin pages and API (issue 12 shown by issue 13): a user's quota with its usage
// (the store's maildirsize figure) and every A2 setting the CLI sets, the admin rights editable by a system
// admin only, and a domain's defaults for new accounts — in English and Japanese, over a real cookie session
// with CSRF tokens and over the API. A host admin sets limits and defaults only in its domain and never above
// its own limits, never grants a right it does not hold; a list admin gets 403.
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maildirRoot, ensureMaildir } from '../../engine/store/maildir.js';
import { auditLines, Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, json, ROLES, type AdminFixture } from './fixture.js';

const MB = 1024 * 1024;

/** The text of the field error next to `field`, or null. */
function fieldError(page: string, field: string): { code: string; text: string } | null {
  const m = new RegExp(`class="field-error" id="${field}-error" role="alert" data-field="${field}" data-code="([^"]*)">([^<]*)<`).exec(page);
  return m ? { code: m[1], text: m[2] } : null;
}

/** The attributes of the form control named `name` (input, textarea or select), or null. */
function control(page: string, name: string): string | null {
  const m = new RegExp(`<(?:input|textarea|select) id="f-${name}" name="${name}"[^>]*>`).exec(page);
  return m ? m[0] : null;
}

const SETTINGS_FORM = { fullName: '', replyTo: '', forward: '', keepCopy: 'on', webAccess: 'on', quotaBytes: '', quotaMessages: '' };

describe('admin pages: quotas, every user setting, rights, domain defaults', () => {
  let f: AdminFixture;
  const browsers: Record<string, Browser> = {};

  async function as(address: string, lang: 'en' | 'ja' = 'en'): Promise<Browser> {
    const key = `${address} ${lang}`;
    if (browsers[key]) return browsers[key];
    const b = new Browser(f.admin, { 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
    const r = await b.login(address, PASSWORD);
    assert.equal(r.statusCode, 303, r.body.slice(0, 200));
    return (browsers[key] = b);
  }

  before(async () => {
    f = await adminFixture();
    for (const a of ['sato@example.org', 'suzuki@example.org', 'tanaka@example.org', 'victim@example.com']) await f.directory.addUser({ address: a, password: PASSWORD, fullName: a });
    f.directory.lists.createList('team@example.org');
    // three messages in sato's mailbox: 1000 + 2000 + 3000 bytes
    const root = maildirRoot(f.dir, 'sato@example.org');
    await ensureMaildir(root);
    for (const [i, n] of [1000, 2000, 3000].entries()) fs.writeFileSync(path.join(root, 'new', `170000000${i}.M${i}P1.test,S=${n}`), 'x'.repeat(n));
  });
  after(() => f?.close());

  it('the user page shows the limits in force with the usage delivery sees, in English and Japanese', async () => {
    f.directory.defaults.set('example.org', { quotaBytes: 50 * MB, quotaMessages: 1000 });
    const en = await (await as(ROLES.system)).get('/users/sato@example.org');
    assert.equal(en.statusCode, 200);
    assert.match(en.body, /<dd data-quota="bytes" data-limit="52428800" data-used="6000">5\.9 KB of 50 MB<\/dd>/);
    assert.match(en.body, /<dd data-quota="messages" data-limit="1000" data-used="3">3 of 1,000<\/dd>/);
    assert.match(en.body, /These limits are the defaults of example\.org\./);
    assert.match(control(en.body, 'quotaBytes') ?? '', /value=""/, 'no limit of its own: the field is empty');
    const ja = await (await as(ROLES.system, 'ja')).get('/users/sato@example.org');
    assert.match(ja.body, /<dd data-quota="bytes"[^>]*>50 MB のうち 5\.9 KB<\/dd>/);
    assert.match(ja.body, /容量の上限/);
    assert.match(ja.body, /管理するドメイン/);
    assert.match(ja.body, /example\.org の既定の制限です。/);
    // the API gives the same: limits in force and the override (none)
    const api = json<{ quota: { bytes: number; messages: number }; quotaBytes: number | null }>(await f.api('system', 'GET', '/api/v1/users/sato@example.org'));
    assert.deepEqual(api.quota, { bytes: 50 * MB, messages: 1000 });
    assert.equal(api.quotaBytes, null);
  });

  it('a system admin sets every A2 setting, the quota and the rights from the user page', async () => {
    const b = await as(ROLES.system);
    await b.get('/users/suzuki@example.org');
    const r = await b.post('/users/suzuki@example.org', {
      fullName: '鈴木 一郎', replyTo: 'office@example.org', forward: 'a@remote.test\nb@remote.test', keepCopy: 'on', cannotChangePassword: 'on',
      disabled: 'on', quotaBytes: '20M', quotaMessages: '500', systemAdmin: '', hostAdminOf: 'mail.example.org', listAdminOf: 'team@example.org',
    });
    assert.equal(r.statusCode, 303, r.body.slice(0, 500));
    const u = f.directory.user('suzuki@example.org')!;
    assert.deepEqual(
      [u.fullName, u.replyTo, u.forward, u.keepCopy, u.cannotChangePassword, u.disabled, u.webAccess, u.systemAdmin, u.hostAdminOf, u.listAdminOf],
      ['鈴木 一郎', 'office@example.org', ['a@remote.test', 'b@remote.test'], true, true, true, false, false, ['example.org'], ['team@example.org']],
      'the host alias is kept as its domain',
    );
    assert.deepEqual(f.directory.quotaOf('suzuki@example.org'), { bytes: 20 * MB, messages: 500 });
    const page = await b.get('/users/suzuki@example.org');
    assert.match(control(page.body, 'quotaBytes') ?? '', /value="20M"/);
    assert.match(page.body, /These limits are set on this account\./);
    assert.match(page.body, /<textarea id="f-hostAdminOf" name="hostAdminOf"[^>]*>example\.org<\/textarea>/);
    // the settings back off again, and the quota back to the domain's default (empty fields)
    await b.post('/users/suzuki@example.org', { ...SETTINGS_FORM, fullName: 'Suzuki', hostAdminOf: '', listAdminOf: '' });
    const back = f.directory.user('suzuki@example.org')!;
    assert.deepEqual([back.disabled, back.cannotChangePassword, back.webAccess, back.hostAdminOf, back.listAdminOf], [false, false, true, [], []]);
    assert.deepEqual(f.directory.quotaOverride('suzuki@example.org'), { bytes: null, messages: null });
    assert.deepEqual(f.directory.quotaOf('suzuki@example.org'), { bytes: 50 * MB, messages: 1000 });
  });

  it('bad values are shown next to their field in the page\'s language, and nothing is written', async () => {
    for (const [lang, text] of [['en', 'Not a size: lots'], ['ja', '容量として読めません: lots']] as const) {
      const b = await as(ROLES.system, lang);
      await b.get('/users/tanaka@example.org');
      const r = await b.post('/users/tanaka@example.org', { ...SETTINGS_FORM, fullName: 'Changed', quotaBytes: 'lots', quotaMessages: '-3', hostAdminOf: 'not-ours.test', listAdminOf: '' });
      assert.equal(r.statusCode, 400);
      assert.ok(fieldError(r.body, 'quotaBytes')?.text.startsWith(text), r.body.slice(0, 200));
      assert.equal(fieldError(r.body, 'quotaMessages')?.code, 'not-count');
      const rights = await b.post('/users/tanaka@example.org', { ...SETTINGS_FORM, fullName: 'Changed', hostAdminOf: 'not-ours.test', listAdminOf: '' });
      assert.equal(rights.statusCode, 400);
      assert.equal(fieldError(rights.body, 'hostAdminOf')?.code, 'not-local-domain');
      assert.equal(f.directory.user('tanaka@example.org')!.fullName, 'tanaka@example.org', 'nothing written');
    }
    const api = await f.api('system', 'PATCH', '/api/v1/users/tanaka@example.org', { quotaBytes: -1 });
    assert.equal(api.statusCode, 400);
    const old = await f.api('system', 'PATCH', '/api/v1/users/tanaka@example.org', { listAdmin: true });
    assert.equal(old.statusCode, 400, 'the old boolean names no list: refused, not a 500');
    assert.equal(f.directory.user('tanaka@example.org')!.listAdmin, false);
  });

  it('a host admin sets quotas in its domain, never above its own limits, and never its own', async () => {
    f.directory.updateUser(ROLES.host, { quota: { bytes: 100 * MB, messages: 5000 } });
    const b = await as(ROLES.host);
    await b.get('/users/tanaka@example.org');
    const okay = await b.post('/users/tanaka@example.org', { ...SETTINGS_FORM, fullName: 'Tanaka', quotaBytes: '80M', quotaMessages: '4000' });
    assert.equal(okay.statusCode, 303, okay.body.slice(0, 300));
    assert.deepEqual(f.directory.quotaOf('tanaka@example.org'), { bytes: 80 * MB, messages: 4000 });
    for (const [bytes, messages] of [['200M', '4000'], ['0', '4000'], ['80M', '0']]) {
      await b.get('/users/tanaka@example.org');
      const r = await b.post('/users/tanaka@example.org', { ...SETTINGS_FORM, fullName: 'Tanaka', quotaBytes: bytes, quotaMessages: messages });
      assert.equal(r.statusCode, 403, `${bytes}/${messages}`);
      const field = bytes === '80M' ? 'quotaMessages' : 'quotaBytes';
      assert.equal(fieldError(r.body, field)?.code, 'above-own-quota', r.body.slice(0, 300));
      assert.deepEqual(f.directory.quotaOf('tanaka@example.org'), { bytes: 80 * MB, messages: 4000 }, 'unchanged');
    }
    assert.equal((await f.api('host', 'PATCH', '/api/v1/users/tanaka@example.org', { quotaBytes: 101 * MB })).statusCode, 403);
    // back to the domain's default: 50 MB is within its 100 MB; an unlimited default is not
    assert.equal((await f.api('host', 'PATCH', '/api/v1/users/tanaka@example.org', { quotaBytes: null })).statusCode, 200);
    f.directory.defaults.set('example.org', { quotaBytes: 0 });
    const lift = await f.api('host', 'PATCH', '/api/v1/users/tanaka@example.org', { quotaMessages: null, quotaBytes: 10 * MB });
    assert.equal(lift.statusCode, 200, 'the messages default (1000) is within 5000');
    const unlimited = await f.api('host', 'PATCH', '/api/v1/users/tanaka@example.org', { quotaBytes: null });
    assert.equal(unlimited.statusCode, 403, 'the default of no limit is above its own');
    assert.equal(json<{ fields: { code: string }[] }>(unlimited).fields[0].code, 'above-own-quota');
    f.directory.defaults.set('example.org', { quotaBytes: 50 * MB });
    // its own limits: not editable on its page, refused over the API
    const self = await b.get(`/users/${ROLES.host}`);
    assert.match(control(self.body, 'quotaBytes') ?? '', / readonly/);
    const raise = await f.api('host', 'PATCH', `/api/v1/users/${ROLES.host}`, { quotaBytes: 1000 * MB });
    assert.equal(raise.statusCode, 403);
    assert.equal(json<{ fields: { code: string }[] }>(raise).fields[0].code, 'own-limits');
    await b.post(`/users/${ROLES.host}`, { ...SETTINGS_FORM, fullName: 'Host', quotaBytes: '0', quotaMessages: '0' });
    assert.deepEqual(f.directory.quotaOf(ROLES.host), { bytes: 100 * MB, messages: 5000 }, 'the form\'s quota fields are not read for its own account');
    // another domain's account
    assert.equal((await f.api('host', 'PATCH', '/api/v1/users/victim@example.com', { quotaBytes: 1 })).statusCode, 403);
    const lines = await auditLines(f, (l) => l.some((x) => x.includes(`who=${ROLES.host}`) && x.includes('result=denied') && x.includes('above-own-quota')));
    assert.ok(lines.some((x) => x.includes('action=user.update') && x.includes('status=403') && x.includes('address=tanaka@example.org') && x.includes('reason=above-own-quota')), lines.join('\n'));
  });

  it('rights: a host admin sees them read-only, grants none it does not hold; only a system admin edits them on the page', async () => {
    const b = await as(ROLES.host);
    const page = await b.get('/users/tanaka@example.org');
    assert.match(control(page.body, 'hostAdminOf') ?? '', / readonly/);
    assert.match(control(page.body, 'systemAdmin') ?? '', / disabled/);
    assert.match(page.body, /Only a system administrator changes administrator rights\./);
    await b.post('/users/tanaka@example.org', { ...SETTINGS_FORM, fullName: 'Tanaka', hostAdminOf: 'example.org\nexample.com', listAdminOf: 'team@example.org', systemAdmin: 'on' });
    const u = f.directory.user('tanaka@example.org')!;
    assert.deepEqual([u.hostAdminOf, u.listAdminOf, u.systemAdmin], [[], [], false], 'the rights fields are not read from a host admin\'s form');
    const foreign = await f.api('host', 'PATCH', '/api/v1/users/tanaka@example.org', { hostAdminOf: ['example.com'] });
    assert.equal(foreign.statusCode, 403);
    assert.equal(json<{ fields: { code: string }[] }>(foreign).fields[0].code, 'cannot-grant');
    const foreignList = await f.api('host', 'PATCH', '/api/v1/users/tanaka@example.org', { listAdminOf: ['staff@example.com'] });
    assert.equal(foreignList.statusCode, 403);
    assert.deepEqual(f.directory.user('tanaka@example.org')!.listAdminOf, []);
    // what it holds it may hand on: its domain's lists
    const own = await f.api('host', 'PATCH', '/api/v1/users/tanaka@example.org', { listAdminOf: ['team@example.org'] });
    assert.equal(own.statusCode, 200, own.body);
    assert.deepEqual(json<{ listAdminOf: string[] }>(own).listAdminOf, ['team@example.org']);
    assert.equal((await f.api('host', 'PATCH', `/api/v1/users/${ROLES.host}`, { hostAdminOf: ['example.org', 'example.com'] })).statusCode, 403);
    assert.deepEqual(f.directory.user(ROLES.host)!.hostAdminOf, ['example.org']);
  });

  it('a list admin gets 403 on the user pages and API, quota or not', async () => {
    const b = await as(ROLES.list);
    assert.equal((await b.get('/users/tanaka@example.org')).statusCode, 403);
    assert.equal((await f.api('list', 'PATCH', '/api/v1/users/tanaka@example.org', { quotaBytes: 1 })).statusCode, 403);
    assert.equal((await b.get('/domains/example.org')).statusCode, 403);
    assert.equal((await f.api('list', 'PATCH', '/api/v1/domains/example.org/defaults', { quotaBytes: 1 })).statusCode, 403);
    assert.equal(f.directory.defaults.get('example.org').quotaBytes, 50 * MB);
  });

  it('the domain page sets the defaults of `tegami domain set`, and a new account starts with them', async () => {
    const b = await as(ROLES.system, 'ja');
    const page = await b.get('/domains/example.com');
    assert.match(page.body, /新しいユーザーの既定の設定/);
    assert.match(page.body, /指定なし（はい）/);
    const r = await b.post('/domains/example.com/defaults', {
      replyTo: 'help@example.com', forward: 'archive@remote.test', keepCopy: 'no', cannotChangePassword: 'yes', disabled: '', webAccess: 'no', quotaBytes: '1G', quotaMessages: '20000',
    });
    assert.equal(r.statusCode, 303, r.body.slice(0, 300));
    assert.deepEqual(f.directory.defaults.get('example.com'), {
      replyTo: 'help@example.com', forward: ['archive@remote.test'], keepCopy: false, cannotChangePassword: true, disabled: null, webAccess: false, quotaBytes: 1024 * MB, quotaMessages: 20000,
    });
    const shown = await b.get(String(r.headers.location));
    assert.match(shown.body, /既定の設定を保存しました。/);
    assert.match(control(shown.body, 'quotaBytes') ?? '', /value="1G"/);
    assert.match(shown.body, /<option value="no" selected>いいえ<\/option>/);
    const made = await f.api('system', 'POST', '/api/v1/users', { address: 'newbie@example.com', password: PASSWORD });
    assert.equal(made.statusCode, 201, made.body);
    const u = f.directory.user('newbie@example.com')!;
    assert.deepEqual([u.replyTo, u.forward, u.keepCopy, u.cannotChangePassword, u.webAccess, u.quota], ['help@example.com', ['archive@remote.test'], false, true, false, { bytes: 1024 * MB, messages: 20000 }]);
    // the API reads and changes the same
    const api = json<{ quotaMessages: number; disabled: boolean | null }>(await f.api('system', 'GET', '/api/v1/domains/example.com/defaults'));
    assert.deepEqual([api.quotaMessages, api.disabled], [20000, null]);
    const patch = await f.api('system', 'PATCH', '/api/v1/domains/example.com/defaults', { replyTo: null, quotaMessages: 0 });
    assert.equal(patch.statusCode, 200);
    assert.deepEqual([f.directory.defaults.get('example.com').replyTo, f.directory.defaults.get('example.com').quotaMessages], [null, 0]);
  });

  it('domain defaults: bad values next to their field, nothing written; a host admin only in its domain and within its limits', async () => {
    const before = f.directory.defaults.get('example.org');
    const en = await as(ROLES.system);
    await en.get('/domains/example.org');
    const bad = await en.post('/domains/example.org/defaults', { replyTo: 'nobody', forward: '', keepCopy: 'maybe', cannotChangePassword: '', disabled: '', webAccess: '', quotaBytes: 'huge', quotaMessages: '' });
    assert.equal(bad.statusCode, 400);
    assert.equal(fieldError(bad.body, 'quotaBytes')?.code, 'not-size');
    assert.equal(fieldError(bad.body, 'keepCopy')?.code, 'not-yes-no');
    assert.match(control(bad.body, 'quotaBytes') ?? '', /value="huge"/, 'what was typed is shown again');
    const badAddress = await en.post('/domains/example.org/defaults', { replyTo: 'nobody', quotaBytes: '1M' });
    assert.equal(fieldError(badAddress.body, 'replyTo')?.code, 'not-address');
    assert.deepEqual(f.directory.defaults.get('example.org'), before);

    const host = await as(ROLES.host); // its own limits: 100 MB, 5000 messages
    await host.get('/domains/example.org');
    const within = await host.post('/domains/example.org/defaults', { replyTo: '', forward: '', keepCopy: '', cannotChangePassword: '', disabled: '', webAccess: 'yes', quotaBytes: '90M', quotaMessages: '5000' });
    assert.equal(within.statusCode, 303, within.body.slice(0, 300));
    assert.deepEqual([f.directory.defaults.get('example.org').quotaBytes, f.directory.defaults.get('example.org').webAccess], [90 * MB, true]);
    await host.get('/domains/example.org');
    const above = await host.post('/domains/example.org/defaults', { replyTo: '', forward: '', keepCopy: '', cannotChangePassword: '', disabled: '', webAccess: 'yes', quotaBytes: '0', quotaMessages: '5000' });
    assert.equal(above.statusCode, 403);
    assert.equal(fieldError(above.body, 'quotaBytes')?.code, 'above-own-quota');
    assert.equal((await f.api('host', 'PATCH', '/api/v1/domains/example.org/defaults', { quotaMessages: 5001 })).statusCode, 403);
    assert.equal(f.directory.defaults.get('example.org').quotaBytes, 90 * MB, 'unchanged');
    // another domain: by page and API, by name and by host alias of another domain
    await host.get('/domains/example.org');
    assert.equal((await host.post('/domains/example.com/defaults', { webAccess: 'yes', quotaBytes: '1M' })).statusCode, 403);
    assert.equal((await f.api('host', 'PATCH', '/api/v1/domains/example.com/defaults', { quotaBytes: 1 })).statusCode, 403);
    assert.equal((await f.api('host', 'GET', '/api/v1/domains/example.com/defaults')).statusCode, 403);
    assert.equal(f.directory.defaults.get('example.com').quotaBytes, 1024 * MB);
    // its own domain through its host alias is its own
    assert.equal((await f.api('host', 'PATCH', '/api/v1/domains/mail.example.org/defaults', { quotaMessages: 4000 })).statusCode, 200);
    assert.equal(f.directory.defaults.get('example.org').quotaMessages, 4000);
  });
});
