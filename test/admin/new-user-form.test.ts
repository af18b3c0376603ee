// The admin's "add a user" form shows every mistake at once, in the page's language: a quota that is not a size
// no longer hides a password that is too short or a reply-to that is not an address (the administrator fixed
// the quota, sent the form again, and only then heard of the password). Nothing is written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adminFixture, type AdminFixture } from './fixture.js';
import { Browser, PASSWORD } from '../web/helpers.js';

/** The fields the page marks as wrong, in the order shown. */
const wrongFields = (page: string) => [...page.matchAll(/class="field-error" id="[^"]*" role="alert" data-field="([^"]+)"/g)].map((m) => m[1]);

describe('admin: the new-user form reports every field at once', () => {
  let f: AdminFixture;
  before(async () => {
    f = await adminFixture();
  });
  after(() => f?.close());

  for (const lang of ['en', 'ja'] as const) {
    it(`a bad quota, a short password and a bad reply-to together (${lang})`, async () => {
      const b = new Browser(f.admin, { 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
      assert.equal((await b.login('admin@example.com', PASSWORD)).statusCode, 303);
      await b.get('/users/new?domain=example.com');
      const r = await b.post('/users/new', { address: `newbie-${lang}@example.com`, password: 'pw', replyTo: 'not an address', quotaBytes: 'lots', quotaMessages: '' });
      assert.equal(r.statusCode, 400);
      assert.deepEqual(wrongFields(r.body).sort(), ['password', 'quotaBytes', 'replyTo']);
      if (lang === 'ja') assert.match(r.body, /修正が必要な項目: 3件/);
      else assert.match(r.body, /Fields to correct: 3/);
      assert.equal(f.directory.user(`newbie-${lang}@example.com`), undefined, 'nothing was written');
    });
  }
});
