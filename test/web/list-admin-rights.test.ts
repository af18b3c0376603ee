// A list-admin right on a list that does not exist: refused on the admin page and over the API (a new account
// and a changed one), naming the list, in the page's language, and nothing written; a right on a list
// deleted is gone with it (the same name made again later is not theirs). (The CLI: test/cli/user-settings.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adminFixture, type AdminFixture } from '../admin/fixture.js';
import { Browser, PASSWORD } from './helpers.js';

const SETTINGS_FORM = { fullName: 'Suzuki', replyTo: '', forward: '', keepCopy: 'on', webAccess: 'on', quotaBytes: '', quotaMessages: '', hostAdminOf: '' };

function fieldError(page: string, field: string): string | null {
  const m = new RegExp(`class="field-error" id="${field}-error" role="alert" data-field="${field}" data-code="([^"]*)">([^<]*)<`).exec(page);
  return m ? `${m[1]}: ${m[2]}` : null;
}

describe('list-admin rights need the list', () => {
  let f: AdminFixture;
  before(async () => {
    f = await adminFixture();
    for (const a of ['sato@example.org', 'suzuki@example.org', 'tanaka@example.org']) await f.directory.addUser({ address: a, password: PASSWORD, fullName: a });
    if (!f.directory.lists.list('team@example.org')) f.directory.lists.createList('team@example.org');
  });
  after(() => f?.close());

  it('the API refuses a right on a missing list, for a new account and a changed one', async () => {
    const made = await f.api('system', 'POST', '/api/v1/users', { address: 'newbie@example.org', password: 'long enough 1', listAdminOf: ['ghost@example.org'] });
    assert.equal(made.statusCode, 400, made.body);
    assert.deepEqual(JSON.parse(made.body).fields, [{ field: 'listAdminOf', code: 'no-such-list', message: 'There is no list ghost@example.org.' }]);
    assert.equal(f.directory.user('newbie@example.org'), undefined, 'not created');
    const changed = await f.api('system', 'PATCH', '/api/v1/users/suzuki@example.org', { listAdminOf: ['team@example.org', 'ghost@example.org'] });
    assert.equal(changed.statusCode, 400, changed.body);
    assert.match(JSON.parse(changed.body).message, /There is no list ghost@example\.org\./);
    assert.deepEqual(f.directory.user('suzuki@example.org')!.listAdminOf, [], 'nothing granted, not even the list that exists');
    const good = await f.api('system', 'PATCH', '/api/v1/users/suzuki@example.org', { listAdminOf: ['team@example.org'] });
    assert.equal(good.statusCode, 200, good.body);
    assert.deepEqual(f.directory.user('suzuki@example.org')!.listAdminOf, ['team@example.org']);
  });

  it('the user page says so next to the field, in Japanese and English', async () => {
    for (const [lang, text] of [
      ['en', 'no-such-list: There is no list ghost@example.org.'],
      ['ja', 'no-such-list: リスト ghost@example.org はありません。'],
    ] as const) {
      const b = new Browser(f.admin, { 'accept-language': lang });
      assert.equal((await b.login('admin@example.com', PASSWORD)).statusCode, 303);
      await b.get('/users/tanaka@example.org');
      const r = await b.post('/users/tanaka@example.org', { ...SETTINGS_FORM, listAdminOf: 'ghost@example.org' });
      assert.equal(r.statusCode, 400);
      assert.equal(fieldError(r.body, 'listAdminOf'), text);
    }
    assert.deepEqual(f.directory.user('tanaka@example.org')!.listAdminOf, []);
  });

  it('deleting a list takes its rights away, so a list made later under that name is not theirs', async () => {
    f.directory.lists.createList('gone@example.org');
    assert.equal((await f.api('system', 'PATCH', '/api/v1/users/sato@example.org', { listAdminOf: ['gone@example.org'] })).statusCode, 200);
    assert.deepEqual(f.directory.lists.admins('gone@example.org'), ['sato@example.org'], 'the right makes a moderator');
    f.directory.lists.deleteList('gone@example.org');
    assert.deepEqual(f.directory.user('sato@example.org')!.listAdminOf, []);
    const again = await f.api('system', 'PATCH', '/api/v1/users/sato@example.org', { fullName: 'Sato', listAdminOf: ['gone@example.org'] });
    assert.equal(again.statusCode, 400, again.body);
    assert.equal((await f.api('system', 'PATCH', '/api/v1/users/sato@example.org', { listAdminOf: [] })).statusCode, 200);
  });
});
