// "Also revoke my API tokens" on the webmail's password form (security review 3, polish2): the form names the
// account's tokens (admin API and JMAP app tokens) and, only when the box is ticked, the password change revokes
// them all — server-side, only with the session's CSRF token and the right current password; other accounts'
// tokens stay. Over inject(), on the real JMAP service, database and token stores.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jmapFixture, PASSWORD, USER, type JmapFixture } from '../../jmap/helpers.js';
import { TokenStore } from '../../../engine/web/token-store.js';
import { Browser } from '../helpers.js';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture({ webmail: true });
});
after(() => f.close());

async function signedIn(user = USER, lang: 'en' | 'ja' = 'en'): Promise<Browser> {
  const b = new Browser(f.app, { 'accept-language': lang });
  assert.equal((await b.login(user, PASSWORD)).statusCode, 303);
  return b;
}

describe('the password form and API tokens', () => {
  it('"also revoke my API tokens" on the password form: both kinds of the owner\'s tokens end, only when asked, only with the CSRF token', async () => {
    await f.directory.addUser({ address: 'tokens@example.jp', password: PASSWORD });
    const admin = new TokenStore(f.db);
    const a1 = admin.create('tokens@example.jp', 'monitoring').token;
    const a2 = admin.create('tokens@example.jp', 'made by whoever stole the session').token;
    const j1 = f.svc.tokens.create('tokens@example.jp', 'phone').token;
    const others = admin.create(USER, 'not hers').token;
    const alive = () => [a1, a2].map((t) => !!admin.verify(t)).concat(!!f.svc.tokens.verify(j1));
    const b = await signedIn('tokens@example.jp', 'ja');
    const page = await b.get('/settings');
    assert.match(page.body, /<input type="checkbox" name="revokeTokens" value="1"> API トークンもすべて無効にする（3 個、最新は \d{4}-\d{2}-\d{2} に作成）/);

    // a plain password change keeps them (scripts go on working, by decision)
    assert.equal((await b.post('/settings/password', { current: PASSWORD, password: 'second secret 1', again: 'second secret 1' })).statusCode, 303);
    assert.deepEqual(alive(), [true, true, true]);
    // asked for, but without the session's CSRF token (a forged form on another site): refused, nothing changed
    await b.get('/settings');
    const forged = await b.post('/settings/password', { current: 'second secret 1', password: 'third secret 22', again: 'third secret 22', revokeTokens: '1' }, { csrf: null });
    assert.equal(forged.statusCode, 403);
    assert.deepEqual(alive(), [true, true, true]);
    assert.ok(await f.directory.authenticate('tokens@example.jp', 'second secret 1'));
    // the wrong current password revokes nothing either
    await b.get('/settings');
    assert.equal((await b.post('/settings/password', { current: 'not it', password: 'third secret 22', again: 'third secret 22', revokeTokens: '1' })).statusCode, 400);
    assert.deepEqual(alive(), [true, true, true]);

    await b.get('/settings');
    const r = await b.post('/settings/password', { current: 'second secret 1', password: 'third secret 22', again: 'third secret 22', revokeTokens: '1' });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/settings?done=password-tokens#password');
    assert.deepEqual(alive(), [false, false, false], 'every token of the account ended');
    assert.ok(admin.verify(others), "another account's token untouched");
    const after = await b.get('/settings?done=password-tokens');
    assert.match(after.body, /data-done="password-tokens">パスワードを変更し、API トークンを無効にしました。/);
    assert.ok(!after.body.includes('name="revokeTokens"'), 'no tokens left: no checkbox');
  });
});
