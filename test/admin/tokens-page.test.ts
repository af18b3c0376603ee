// An admin's own API tokens as a page (/tokens): a token made in the page is shown once (on the answer to the
// form, never in a URL or on a later load), works as a bearer token on /api/v1 with its owner's rights, shows
// its label and last use, and stops working once revoked there. Another admin's token can be neither seen
// nor revoked; a label with control characters is refused next to its field.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { translator } from '../../engine/web/i18n.js';
import { Browser, PASSWORD } from '../web/helpers.js';
import { adminFixture, ROLES, type AdminFixture } from './fixture.js';

const bearer = (f: AdminFixture, token: string, url: string) => f.admin.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

describe('tokens page', () => {
  let f: AdminFixture;
  let list: Browser;
  let boss: Browser;

  before(async () => {
    f = await adminFixture();
    list = new Browser(f.admin, { 'accept-language': 'ja' });
    boss = new Browser(f.admin, { 'accept-language': 'en' });
    assert.equal((await list.login(ROLES.list, PASSWORD)).statusCode, 303);
    assert.equal((await boss.login(ROLES.system, PASSWORD)).statusCode, 303);
  });
  after(() => f?.close());

  it('makes a token shown once, usable with its owner\'s rights, and revokes it', async () => {
    const t = translator('ja');
    assert.ok((await list.get('/')).body.includes('href="/tokens"'), 'linked from the dashboard');
    await list.get('/tokens');
    const made = await list.post('/tokens', { label: '夜間スクリプト' });
    assert.equal(made.statusCode, 200, 'the answer itself, not a redirect that would carry the token');
    const token = /<code id="new-token">([^<]+)<\/code>/.exec(made.body)?.[1];
    assert.ok(token, 'the token is on the page');
    assert.ok(made.body.includes(t('tokens.new')));
    const again = (await list.get('/tokens')).body;
    assert.ok(!again.includes(token), 'shown once only');
    const row = (page: string) => /<td>夜間スクリプト<\/td><td>[^<]*<\/td><td>([^<]*)<\/td>/.exec(page)?.[1];
    assert.equal(row(again), t('tokens.never'));

    assert.equal((await bearer(f, token, '/api/v1/lists')).statusCode, 200);
    assert.equal((await bearer(f, token, '/api/v1/queue')).statusCode, 403, 'a list admin\'s rights, no more');
    const used = row((await list.get('/tokens')).body);
    assert.ok(used && used !== t('tokens.never'), `its last use is shown: ${used}`);

    const id = f.deps.tokens.list(ROLES.list).find((x) => x.label === '夜間スクリプト')!.id;
    await list.get('/tokens');
    const revoked = await list.post(`/tokens/${id}/revoke`, {});
    assert.equal(revoked.statusCode, 303);
    assert.ok((await list.get(String(revoked.headers.location))).body.includes(t('tokens.revoked')));
    assert.equal((await bearer(f, token, '/api/v1/lists')).statusCode, 401);
  });

  it('neither shows nor revokes another admin\'s token', async () => {
    const theirs = f.deps.tokens.create(ROLES.system, 'boss-only');
    const page = (await list.get('/tokens')).body;
    assert.ok(!page.includes('boss-only'));
    const r = await list.post(`/tokens/${theirs.info.id}/revoke`, {});
    assert.equal(r.statusCode, 404);
    assert.equal((await bearer(f, theirs.token, '/api/v1/queue')).statusCode, 200, 'still valid');
    assert.ok((await boss.get('/tokens')).body.includes('boss-only'));
  });

  it('refuses a label with control characters next to its field, making nothing', async () => {
    const before = f.deps.tokens.list(ROLES.system).length;
    await boss.get('/tokens');
    const r = await boss.post('/tokens', { label: 'bad\u0007label' });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /id="label-error"[^>]*>[^<]*Control characters/);
    assert.ok(!/<code id="new-token">/.test(r.body));
    assert.equal(f.deps.tokens.list(ROLES.system).length, before);
  });
});
