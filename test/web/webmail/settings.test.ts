// The webmail's writing settings over inject(), on the real JMAP service, database, Maildir store and rules store:
// identities (only the user's own addresses: forbiddenFrom over JMAP and over the form; another user's identity
// untouched), the signature above the quoted text, sending in ISO-2022-JP (read back by Python's email package)
// or refusing what it cannot carry, the per-user language, and the user's rules and raw Sieve scripts — saved for
// the signed-in account only, a script with a syntax error refused with its line and column.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jmapFixture, message, OTHER, PASSWORD, USER, type JmapFixture } from '../../jmap/helpers.js';
import { SqliteRulesStore } from '../../../engine/rules/sqlite-store.js';
import { Browser } from '../helpers.js';

const PY = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/jmap/mime-decode.py');
let f: JmapFixture;
let rules: SqliteRulesStore;
before(async () => {
  f = await jmapFixture({ webmail: true });
  rules = new SqliteRulesStore(f.db);
});
after(() => f.close());

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

async function signedIn(user = USER, lang: 'en' | 'ja' = 'en'): Promise<Browser> {
  const b = new Browser(f.app, { 'accept-language': lang });
  assert.equal((await b.login(user, PASSWORD)).statusCode, 303);
  return b;
}

type Ident = { id: string; email: string; name: string; textSignature: string; replyTo: { email: string }[] | null };
const identities = async (user = USER) => (await f.call('Identity/get', { ids: null }, { user })).args.list as Ident[];

describe('webmail writing settings', () => {
  it('identities: own addresses only (forbiddenFrom over JMAP and over the form), signature and Reply-To saved', async () => {
    const direct = await f.call('Identity/set', { create: { x: { email: 'boss@example.org', name: 'Boss' } } });
    assert.equal((direct.args.notCreated as Record<string, { type: string }>).x.type, 'forbiddenFrom');
    const b = await signedIn();
    const page = await b.get('/settings');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<option value="info@example.org">/, 'the alias is offered');
    // the browser stops at the server's limits, so a long vacation text is never lost to a bare refusal page
    assert.match(page.body, /<textarea id="v-text" name="text" rows="6" maxlength="20000">/);
    const forged = await b.post('/settings/identity', { email: OTHER, name: 'Taro', op: 'save' });
    assert.equal(forged.statusCode, 400);
    assert.match(unescape(forged.body), /taro@example\.jp is not one of your addresses/);
    assert.ok(!(await identities()).some((i) => i.email === OTHER));
    await b.get('/settings');
    const made = await b.post('/settings/identity', { email: 'info@example.org', name: 'インフォ窓口', replyTo: 'support@example.org', signature: '山田 花子\n営業部', op: 'save' });
    assert.equal(made.statusCode, 303);
    const info = (await identities()).find((i) => i.email === 'info@example.org')!;
    assert.equal(info.textSignature, '山田 花子\n営業部');
    assert.deepEqual(info.replyTo?.map((a) => a.email), ['support@example.org']);
    // another user's identity id: notFound, and it is left alone
    const theirs = (await identities(OTHER))[0];
    await b.get('/settings');
    const steal = await b.post('/settings/identity', { id: theirs.id, name: 'hijacked', signature: 'x', op: 'save' });
    assert.equal(steal.statusCode, 400);
    assert.equal((await identities(OTHER))[0].name, theirs.name);
    // the default identity cannot be deleted; the alias one can
    const def = (await identities()).find((i) => i.email === USER)!;
    await b.get('/settings');
    await b.post('/settings/identity', { id: def.id, signature: '-- \nHanako', name: '山田 花子', op: 'save' });
    assert.equal((await identities()).find((i) => i.email === USER)!.textSignature, '-- \nHanako');
    await b.post('/settings/identity', { id: def.id, signature: 'Hanako', name: '山田 花子', op: 'save' });
    // without the CSRF token: 403, nothing changed
    assert.equal((await b.post('/settings/identity', { email: 'info@example.org', name: 'again', op: 'save' }, { csrf: null })).statusCode, 403);
  });

  it('the composer puts the identity\'s signature under "-- " above the quoted text, and answers from the identity written to', async () => {
    await f.store.append(USER, 'INBOX', message({ subject: 'お問い合わせ', to: 'info@example.org', body: '質問があります' }));
    const q = await f.call('Email/query', { sort: [{ property: 'receivedAt', isAscending: false }], limit: 1 });
    const id = (q.args.ids as string[])[0];
    const b = await signedIn();
    const page = unescape((await b.get(`/compose?reply=${id}`)).body);
    const info = (await identities()).find((i) => i.email === 'info@example.org')!;
    assert.match(page, new RegExp(`<option value="${info.id}" data-sig="[^"]*" selected>`));
    // HTML drops the newline right after <textarea>: the page writes one more
    const body = /<textarea id="c-body"[^>]*>\n([\s\S]*?)<\/textarea>/.exec(page)![1];
    assert.ok(body.startsWith('\n\n-- \n山田 花子\n営業部\n\n'), JSON.stringify(body.slice(0, 60)));
    assert.ok(body.indexOf('-- \n') < body.indexOf('> 質問があります'));
    // sent from that identity: its From and Reply-To, through the submission path
    const n = f.submitted.length;
    const sent = await b.post('/compose', { from: info.id, to: 'asker@example.org', subject: 'Re: お問い合わせ', body, orig: id, mode: 'reply', op: 'send' });
    assert.equal(sent.statusCode, 303, sent.body.slice(0, 300));
    const raw = (f.submitted[n].message as Buffer).toString('latin1');
    assert.match(raw, /^From: [^\r]*<info@example\.org>/m);
    assert.match(raw, /^Reply-To: support@example\.org/m);
    assert.equal(f.submitted[n].mailFrom, 'info@example.org');
    const fresh = unescape((await b.get('/compose')).body);
    assert.match(fresh, /<textarea id="c-body"[^>]*>\n\n\n-- \nHanako<\/textarea>/);
  });

  it('sends in ISO-2022-JP when chosen (Python reads it back), refuses what ISO-2022-JP cannot carry, keeps UTF-8 the default', async () => {
    const b = await signedIn();
    const page = await b.get('/compose');
    assert.match(page.body, /<option value="utf-8" selected>/);
    const identity = /<select id="c-from" name="from"><option value="([^"]+)"/.exec(page.body)![1];
    const n = f.submitted.length;
    const sent = await b.post('/compose', { from: identity, to: '田中 太郎 <tanaka@example.org>', subject: '【ご案内】ｶﾀｶﾅと漢字の件名が長い場合には折り返されます。よろしくお願いいたします', body: '本文です。\nｶﾞｲﾄﾞを添付します。\n', op: 'send', charset: 'iso-2022-jp' });
    assert.equal(sent.statusCode, 303, sent.body.slice(0, 400));
    const raw = f.submitted[n].message as Buffer;
    assert.ok(raw.every((x) => x < 0x80));
    const file = path.join(f.dir, 'sent-jis.eml');
    fs.writeFileSync(file, raw);
    const got = JSON.parse(execFileSync('python3', [PY, file], { encoding: 'utf8' }));
    assert.equal(got.charset, 'iso-2022-jp');
    assert.equal(got.subject, '【ご案内】カタカナと漢字の件名が長い場合には折り返されます。よろしくお願いいたします');
    assert.equal(got.text.replace(/\r\n/g, '\n'), '本文です。\nガイドを添付します。\n', 'half-width kana made full width');
    assert.equal(got.fromName, '山田 花子');
    for (const bad of ['丸数字①', '😀']) {
      await b.get('/compose');
      const r = await b.post('/compose', { from: identity, to: OTHER, subject: '件名', body: `本文 ${bad}`, op: 'send', charset: 'iso-2022-jp' });
      assert.equal(r.statusCode, 400);
      assert.match(unescape(r.body), new RegExp(`${[...bad].pop()} \\(U\\+[0-9A-F]+\\) cannot be sent in ISO-2022-JP`));
      assert.match(r.body, /<option value="iso-2022-jp" selected>/, 'the choice is kept');
      assert.match(unescape(r.body), new RegExp(`本文 ${bad}`), 'the text typed is kept');
    }
    assert.equal(f.submitted.length, n + 1, 'nothing else was sent');
    // the default in the preferences
    await b.get('/settings');
    assert.equal((await b.post('/settings/prefs', { lang: '', charset: 'iso-2022-jp' })).statusCode, 303);
    assert.match((await b.get('/compose')).body, /<option value="iso-2022-jp" selected>/);
    await b.get('/settings');
    await b.post('/settings/prefs', { lang: '', charset: 'utf-8' });
  });

  it('the language chosen in the settings is used by every page, whatever the browser asks', async () => {
    const b = await signedIn(USER, 'en');
    assert.match((await b.get('/mail')).body, /<html lang="en"/);
    await b.get('/settings');
    assert.equal((await b.post('/settings/prefs', { lang: 'ja', charset: 'utf-8' })).statusCode, 303);
    const ja = await b.get('/settings');
    assert.match(ja.body, /<html lang="ja"/);
    assert.match(ja.body, /差出人と署名/);
    assert.match((await b.get('/mail')).body, /<html lang="ja"/);
    // another user is not affected
    const other = await signedIn(OTHER, 'en');
    assert.match((await other.get('/mail')).body, /<html lang="en"/);
    assert.equal((await b.post('/settings/prefs', { lang: 'fr', charset: 'utf-8' })).statusCode, 400);
    await b.post('/settings/prefs', { lang: '', charset: 'utf-8' });
    assert.match((await b.get('/mail')).body, /<html lang="en"/);
  });

  it('rules in the IMail form become the user\'s active Sieve script; raw scripts are checked, listed, activated, deleted', async () => {
    const b = await signedIn();
    const page = await b.get('/settings/rules');
    assert.equal(page.statusCode, 200);
    const saved = await b.post('/settings/rules/form', { 'r.0.name': '請求書', 'r.0.enabled': 'on', 'r.0.match': 'all', 'r.0.c.0.field': 'subject', 'r.0.c.0.op': 'contains', 'r.0.c.0.value': '請求書', 'r.0.action': 'move', 'r.0.arg': '経理' });
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 500));
    const active = rules.activeScript(USER)!;
    assert.equal(active.name, 'rules');
    assert.match(active.text, /fileinto[^;]*"経理"/);
    assert.equal(rules.activeScript(OTHER), null);
    const shown = unescape((await b.get('/settings/rules')).body);
    assert.match(shown, /value="請求書"/);
    // a raw script with a syntax error: refused with line and column; the active script stays
    const bad = await b.post('/settings/rules/script', { name: 'mine', script: 'require "fileinto";\nif header :contains "subject" "x" {\n  fileintoo "Junk";\n}\n', activate: '1' });
    assert.equal(bad.statusCode, 400);
    assert.match(unescape(bad.body), /Line 3, column 3/);
    assert.equal(rules.getScript(USER, 'mine'), null);
    assert.equal(rules.activeScript(USER)!.name, 'rules');
    await b.get('/settings/rules');
    const good = await b.post('/settings/rules/script', { name: 'mine', script: 'require "fileinto";\nif header :contains "subject" "至急" { fileinto "Urgent"; }\n', activate: '1' });
    assert.equal(good.statusCode, 303);
    assert.equal(rules.activeScript(USER)!.name, 'mine');
    // the form does not overwrite a hand-written active script
    await b.get('/settings/rules');
    const over = await b.post('/settings/rules/form', { 'r.0.c.0.field': 'subject', 'r.0.c.0.op': 'contains', 'r.0.c.0.value': 'x', 'r.0.action': 'delete', 'r.0.arg': '' });
    assert.equal(over.statusCode, 409);
    assert.match(rules.activeScript(USER)!.text, /至急/);
    await b.get('/settings/rules');
    assert.equal((await b.post('/settings/rules/delete', { name: 'mine' })).statusCode, 409, 'the active script is not deleted');
    await b.get('/settings/rules');
    assert.equal((await b.post('/settings/rules/activate', { name: '' })).statusCode, 303);
    assert.equal(rules.activeScript(USER), null);
    await b.get('/settings/rules');
    assert.equal((await b.post('/settings/rules/delete', { name: 'mine' })).statusCode, 303);
    assert.equal(rules.getScript(USER, 'mine'), null);
    await b.get('/settings/rules');
    await b.post('/settings/rules/activate', { name: 'rules' });
    assert.equal(rules.activeScript(USER)!.name, 'rules');
  });

  it('the rules page never writes, activates or deletes another account\'s script', async () => {
    rules.putScript(OTHER, 'theirs', 'keep;\n');
    rules.setActive(OTHER, 'theirs');
    const b = await signedIn();
    await b.get('/settings/rules');
    for (const field of ['owner', 'address', 'account']) {
      const r = await b.post('/settings/rules/script', { name: 'theirs', script: 'discard;\n', [field]: OTHER });
      assert.equal(r.statusCode, 400, `an extra ${field} field is refused`);
      await b.get('/settings/rules');
    }
    assert.equal((await b.post('/settings/rules/delete', { name: 'theirs' })).statusCode, 404);
    await b.get('/settings/rules');
    assert.equal((await b.post('/settings/rules/activate', { name: 'theirs' })).statusCode, 404);
    assert.equal(rules.getScript(OTHER, 'theirs')!.text, 'keep;\n');
    assert.equal(rules.activeScript(OTHER)!.name, 'theirs');
    assert.doesNotMatch((await b.get('/settings/rules')).body, /data-script="theirs"/, 'not listed either');
    // a stale or missing CSRF token: 403
    assert.equal((await b.post('/settings/rules/script', { name: 'x', script: 'keep;' }, { csrf: null })).statusCode, 403);
    assert.equal(rules.getScript(USER, 'x'), null);
  });
});
