// An account's sending limits in the admin (engine/web/admin/send-limits.ts): the page shows what the account sent
// in the last hour and 24 hours against each cap and where each cap comes from, in English and Japanese; a system
// admin sets the account's own override from a form (a CSRF-checked cookie session) and over the JSON API, a
// domain's default over the API; a host admin stays within its own limits and never changes its own; a list
// admin gets 403. The counts are the SQLite ledger the SMTP and JMAP sessions write.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteSendLedger } from '../../engine/submission/send-ledger.js';
import { Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, json, ROLES, type AdminFixture } from './fixture.js';

const SATO = 'sato@example.org';

describe('admin: sending limits', () => {
  let f: AdminFixture;
  let ledger: SqliteSendLedger;

  const as = async (address: string, lang: 'en' | 'ja' = 'en'): Promise<Browser> => {
    const b = new Browser(f.admin, { 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
    const r = await b.login(address, PASSWORD);
    assert.equal(r.statusCode, 303, r.body.slice(0, 200));
    return b;
  };
  const row = (page: string, limit: string) => new RegExp(`<tr data-limit="${limit}" data-used="(\\d+)" data-max="(\\d+)">.*?</tr>`, 's').exec(page);

  before(async () => {
    f = await adminFixture({ toml: '[limits]\nsend_messages_per_hour = 40' });
    await f.directory.addUser({ address: SATO, password: PASSWORD, fullName: 'Sato' });
    ledger = new SqliteSendLedger(f.db);
    for (const [i, n] of [3, 4].entries()) {
      await ledger.claim(SATO, `q${i}`, n, Date.now() - 1000, { messagesPerHour: 0, messagesPerDay: 0, recipientsPerHour: 0, recipientsPerDay: 0 });
      await ledger.settle(SATO, `q${i}`, true);
    }
  });
  after(() => f?.close());

  it("the page shows what the account sent against each cap and where each comes from (en, ja); the user page links to it", async () => {
    const sys = await as(ROLES.system);
    const user = await sys.get(`/users/${SATO}`);
    assert.match(user.body, new RegExp(`<a href="/users/${SATO.replace('@', '%40')}/send-limit">Sending limits`));
    const en = await sys.get(`/users/${SATO}/send-limit`);
    assert.equal(en.statusCode, 200, en.body.slice(0, 300));
    assert.deepEqual(row(en.body, 'messagesPerHour')?.slice(1), ['2', '40']);
    assert.deepEqual(row(en.body, 'recipientsPerDay')?.slice(1), ['7', '2000']);
    assert.match(row(en.body, 'messagesPerHour')?.[0] ?? '', /the server&#39;s settings \(\[limits\]\)|the server's settings \(\[limits\]\)/);
    const ja = await (await as(ROLES.system, 'ja')).get(`/users/${SATO}/send-limit`);
    assert.match(ja.body, /sato@example\.org の送信数の上限/);
    assert.match(ja.body, /1 時間あたりの通数/);
  });

  it('a system admin sets the override from the form; a bad value is said next to its field and nothing is written', async () => {
    const sys = await as(ROLES.system);
    await sys.get(`/users/${SATO}/send-limit`);
    const bad = await sys.post(`/users/${SATO}/send-limit`, { messagesPerHour: 'lots', messagesPerDay: '', recipientsPerHour: '', recipientsPerDay: '' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /data-field="messagesPerHour" data-code="not-count"/);
    assert.deepEqual(await ledger.override(SATO), { messagesPerHour: null, messagesPerDay: null, recipientsPerHour: null, recipientsPerDay: null });
    const r = await sys.post(`/users/${SATO}/send-limit`, { messagesPerHour: '5', messagesPerDay: '0', recipientsPerHour: '', recipientsPerDay: '' });
    assert.equal(r.statusCode, 303, r.body.slice(0, 300));
    assert.deepEqual(await ledger.override(SATO), { messagesPerHour: 5, messagesPerDay: 0, recipientsPerHour: null, recipientsPerDay: null });
    const page = await sys.get(`/users/${SATO}/send-limit?done=saved`);
    assert.deepEqual(row(page.body, 'messagesPerHour')?.slice(1), ['2', '5']);
    assert.match(row(page.body, 'messagesPerHour')?.[0] ?? '', /this account/);
    assert.match(row(page.body, 'messagesPerDay')?.[0] ?? '', /no limit/);
  });

  it('the JSON API: an account and a domain default; a host admin within its own limits, never its own; a list admin 403', async () => {
    const got = json<{ limits: Record<string, number>; usage: Record<string, number>; override: Record<string, number | null> }>(await f.api('system', 'GET', `/api/v1/users/${SATO}/send-limit`));
    assert.equal(got.limits.messagesPerHour, 5);
    assert.equal(got.usage.recipientsDay, 7);
    const put = await f.api('system', 'PUT', `/api/v1/users/${SATO}/send-limit`, { messagesPerHour: null, recipientsPerHour: 9 });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(json<{ limits: Record<string, number> }>(put).limits, { messagesPerHour: 40, messagesPerDay: 0, recipientsPerHour: 9, recipientsPerDay: 2000 });
    const dom = await f.api('system', 'PUT', '/api/v1/domains/mail.example.org/send-limit', { messagesPerHour: 30 });
    assert.equal(dom.statusCode, 200, dom.body);
    assert.equal(json<{ domain: string }>(dom).domain, 'example.org', 'a host alias names its domain');
    assert.equal(json<{ limits: Record<string, number> }>(await f.api('system', 'GET', `/api/v1/users/${SATO}/send-limit`)).limits.messagesPerHour, 30);
    assert.equal((await f.api('system', 'PUT', `/api/v1/users/${SATO}/send-limit`, { messagesPerHour: -1 })).statusCode, 400);
    // host@example.org is under example.org's default now: 30 messages an hour
    const above = await f.api('host', 'PUT', `/api/v1/users/${SATO}/send-limit`, { messagesPerHour: 31 });
    assert.equal(above.statusCode, 403, above.body);
    assert.match(above.body, /above-own-quota/);
    assert.equal((await f.api('host', 'PUT', `/api/v1/users/${SATO}/send-limit`, { messagesPerHour: 0 })).statusCode, 403, 'no limit is above every limit');
    assert.equal((await f.api('host', 'PUT', `/api/v1/users/${SATO}/send-limit`, { messagesPerHour: 10 })).statusCode, 200);
    assert.equal((await f.api('host', 'PUT', `/api/v1/users/${ROLES.host}/send-limit`, { messagesPerHour: 10 })).statusCode, 403, 'its own');
    assert.equal((await f.api('host', 'PUT', '/api/v1/domains/example.org/send-limit', { messagesPerHour: 0 })).statusCode, 403);
    assert.equal((await f.api('host', 'GET', '/api/v1/users/victim@example.com/send-limit')).statusCode, 403, 'another domain');
    assert.equal((await f.api('list', 'GET', `/api/v1/users/${SATO}/send-limit`)).statusCode, 403);
    assert.equal((await f.api('system', 'GET', '/api/v1/users/nobody@example.org/send-limit')).statusCode, 404);
  });
});
