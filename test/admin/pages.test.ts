// The admin pages over inject(), as a browser uses them (cookie session, forms with the CSRF token): errors
// shown next to their field in the page's language with nothing written, HTML in a full name, a subject, a
// queue header and a log line escaped, CSRF missing or stale refused with 403 and an audit line, a host admin
// on another domain's URL refused, rights a host admin does not hold never granted, the CSV import writing
// nothing while a line is bad, and paging of 10,000 users.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditLines, Browser, csrfField, PASSWORD, XSS_NAME } from '../web/helpers.js';
import { adminFixture, type AdminFixture } from './fixture.js';

const HOSTILE = `<script>document.body.dataset.pwned=1</script><img src=x onerror=alert(1)>`;

/** The text of the field error next to `field`, or null. */
function fieldError(page: string, field: string): string | null {
  const m = new RegExp(`class="field-error" id="${field.replace(/\./g, '\\.')}-error" role="alert" data-field="${field.replace(/\./g, '\\.')}" data-code="[^"]*">([^<]*)<`).exec(page);
  return m ? m[1] : null;
}

describe('admin pages', () => {
  let f: AdminFixture;
  before(async () => {
    f = await adminFixture();
  });
  after(() => f?.close());

  async function as(address: string, lang: 'en' | 'ja' = 'en'): Promise<Browser> {
    const b = new Browser(f.admin, { 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
    const r = await b.login(address, PASSWORD);
    assert.equal(r.statusCode, 303, r.body.slice(0, 200));
    return b;
  }

  it('a bad new-user form shows each error next to its field, in English and Japanese, and writes nothing', async () => {
    for (const [lang, pwText, addrText] of [
      ['en', 'The password must be 8 to 128 characters.', 'That domain is not one you administer.'],
      ['ja', 'パスワードは8〜128文字にしてください。', '管理権限のないドメインです。'],
    ] as const) {
      const b = await as('host@example.org', lang);
      await b.get('/users/new');
      const r = await b.post('/users/new', { address: `short-${lang}@example.org`, password: 'x', fullName: 'A', replyTo: 'not an address', forward: '' });
      assert.equal(r.statusCode, 400);
      assert.equal(fieldError(r.body, 'password'), pwText);
      assert.ok(fieldError(r.body, 'replyTo'), 'reply-to error next to its field');
      assert.equal(f.directory.user(`short-${lang}@example.org`), undefined, 'nothing written');
      await b.get('/users/new');
      const other = await b.post('/users/new', { address: `x-${lang}@example.com`, password: 'long enough 1' });
      assert.equal(other.statusCode, 403);
      assert.equal(fieldError(other.body, 'address'), addrText);
      assert.equal(f.directory.user(`x-${lang}@example.com`), undefined);
    }
  });

  it('a host admin cannot make a system admin, edit a system admin, or raise its own rights', async () => {
    const b = await as('host@example.org');
    await b.get('/users/new');
    const r = await b.post('/users/new', { address: 'climber@example.org', password: 'long enough 1', systemAdmin: 'on' });
    assert.equal(r.statusCode, 303, 'the account is made; the right it may not grant is not even read from the form');
    assert.equal(f.directory.user('climber@example.org')!.systemAdmin, false);
    // the API says no out loud
    const api = await f.api('host', 'PATCH', '/api/v1/users/climber@example.org', { systemAdmin: true });
    assert.equal(api.statusCode, 403);
    assert.equal(f.directory.user('climber@example.org')!.systemAdmin, false);
    const self = await f.api('host', 'PATCH', '/api/v1/users/host@example.org', { listAdmin: true });
    assert.equal(self.statusCode, 403);
    assert.equal(f.directory.user('host@example.org')!.listAdmin, false);
    // a system admin living in the host admin's domain is out of reach (no password reset to take it over)
    await f.directory.addUser({ address: 'root@example.org', password: PASSWORD, systemAdmin: true });
    const take = await f.api('host', 'POST', '/api/v1/users/root@example.org/password', { password: 'i own you 1' });
    assert.equal(take.statusCode, 403);
    assert.ok(await f.directory.authenticate('root@example.org', PASSWORD), 'password unchanged');
    const page = await b.get('/users/root@example.org');
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /action="\/users\/root%40example\.org\/password"/, 'no password form shown');
  });

  it("an admin changing their own password ends their other sessions; the browser that did it stays signed in", async () => {
    await f.directory.addUser({ address: 'selfpw@example.org', password: PASSWORD, systemAdmin: true });
    const mine = await as('selfpw@example.org');
    const stolen = await as('selfpw@example.org');
    assert.equal((await stolen.get('/users/selfpw@example.org')).statusCode, 200);
    await mine.get('/users/selfpw@example.org');
    const r = await mine.post('/users/selfpw@example.org/password', { password: '新しい鍵 correct horse' });
    assert.equal(r.statusCode, 303, r.body.slice(0, 300));
    assert.ok(await f.directory.authenticate('selfpw@example.org', '新しい鍵 correct horse'));
    const gone = await stolen.get('/users/selfpw@example.org');
    assert.equal(gone.statusCode, 303, 'the other session ended with the change');
    assert.match(String(gone.headers.location), /^\/login/);
    assert.equal((await mine.get('/users/selfpw@example.org')).statusCode, 200, 'this browser goes on');
  });

  it('a host admin on another domain\'s URL gets 403 (page and form), with an audit line', async () => {
    const b = await as('host@example.org');
    for (const url of ['/users/user@example.com', '/users?domain=example.com', '/domains/example.com', '/rules/example.com', '/settings/spam', '/queue', '/logs', '/backup']) {
      const r = await b.get(url);
      assert.equal(r.statusCode, 403, url);
      assert.match(r.body, /data-status="403"/, url);
    }
    await b.get('/users/host@example.org');
    const post = await b.post('/users/user@example.com/delete', {});
    assert.equal(post.statusCode, 403);
    assert.ok(f.directory.user('user@example.com'));
    const lines = await auditLines(f, (l) => l.some((x) => x.includes('POST /users/:address/delete') && x.includes('status=403')));
    assert.ok(lines.some((x) => /who=host@example\.org .*POST \/users\/:address\/delete.*result=denied/.test(x)), lines.join('\n'));
  });

  it('the domains list says the host name is the server\'s own, not a line of tegami.toml, in both languages', async () => {
    // the host name stands for the primary domain without being in any file: "Defined in: tegami.toml" sent a
    // newcomer without a config file looking for one
    for (const [lang, own, toml] of [
      ['en', 'host name (hostname): mail to it goes to the primary domain', 'tegami.toml'],
      ['ja', 'このサーバーのホスト名', 'tegami.toml（設定ファイル）'],
    ] as const) {
      const b = await as('admin@example.com', lang);
      const page = (await b.get('/domains')).body;
      const row = (name: string) => new RegExp(`<tr data-domain="${name.replace(/\./g, '\\.')}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
      assert.ok(row('mx.example.com').includes(own), row('mx.example.com') || page);
      assert.ok(!row('mx.example.com').includes(toml), row('mx.example.com'));
      assert.ok(row('mail.example.org').includes(toml), row('mail.example.org'));
    }
  });

  it('a list, alias or domain the server refuses is explained in the page\'s language, never as an English sentence', async () => {
    // the list engine's English reasons ("a list name may not end in -request …") reached the Japanese page as
    // "拒否されました: a list name …"
    const cases = [
      ['news-request@example.com', 'A list name may not end in -request: that would be one of another list\'s own addresses.', 'リスト名の末尾に -request は使えません（別のリストの専用アドレスと区別できなくなります）。'],
      ['postmaster@example.com', 'postmaster is reserved for the mail system.', 'postmaster はメールシステム用に予約されています。'],
      ['user@example.com', 'user@example.com is a user account.', 'user@example.com はユーザーアカウントです。'],
      ['news_@example.com', 'A list name may hold only a-z 0-9 . _ - (not at either end): news_', 'リスト名に使える文字は a-z 0-9 . _ - のみです（先頭と末尾は英数字）: news_'],
      ['news@example.com', 'news@example.com already exists.', 'news@example.com はすでに存在します。'],
    ] as const;
    const setup = await as('admin@example.com');
    await setup.get('/lists');
    assert.equal((await setup.post('/lists', { address: 'news@example.com' })).statusCode, 303);
    for (const [lang, col] of [['en', 1], ['ja', 2]] as const) {
      const b = await as('admin@example.com', lang);
      for (const c of cases) {
        await b.get('/lists');
        const r = await b.post('/lists', { address: c[0] });
        assert.equal(r.statusCode, 400, `${lang} ${c[0]}`);
        const shown = (fieldError(r.body, 'address') ?? '').replace(/&#39;/g, "'");
        assert.equal(shown, c[col], `${lang} ${c[0]}`);
      }
    }
    assert.equal(f.directory.lists.list('news-request@example.com'), undefined);
    // a Japanese domain name: the ASCII form to add instead
    for (const [lang, text] of [
      ['en', 'Not a domain name: 例え.jp. An internationalised name is added in its ASCII form: xn--r8jz45g.jp'],
      ['ja', 'ドメイン名ではありません: 例え.jp。日本語ドメイン名は ASCII 形式（xn--r8jz45g.jp）で追加してください。'],
    ] as const) {
      const b = await as('admin@example.com', lang);
      await b.get('/domains');
      const r = await b.post('/domains', { domain: '例え.jp' });
      assert.equal(r.statusCode, 400);
      assert.equal(fieldError(r.body, 'domain'), text);
    }
    // an alias on a list's addresses: the same
    for (const [lang, post, role] of [
      ['en', 'news@example.com is a mailing list.', 'news-owner@example.com is one of the addresses of the mailing list news@example.com.'],
      ['ja', 'news@example.com はメーリングリストです。', 'news-owner@example.com はメーリングリスト news@example.com の専用アドレスです。'],
    ] as const) {
      const b = await as('admin@example.com', lang);
      for (const [address, text] of [['news@example.com', post], ['news-owner@example.com', role]]) {
        await b.get('/aliases');
        const r = await b.post('/aliases', { address, targets: 'user@example.com' });
        assert.equal(r.statusCode, 400, `${lang} ${address}`);
        assert.equal(fieldError(r.body, 'address'), text, `${lang} ${address}`);
      }
    }
  });

  it('refuses a form without its CSRF token, or with a stale one, with 403 and an audit line', async () => {
    const b = await as('admin@example.com');
    await b.get('/domains');
    const none = await b.post('/domains', { domain: 'csrf-none.test' }, { csrf: null });
    assert.equal(none.statusCode, 403);
    const stale = csrfField(b.lastPage);
    // a new login gives a new session with a new token: the old page's token is stale
    const b2 = await as('admin@example.com');
    b2.lastPage = b.lastPage;
    const r = await b2.post('/domains', { domain: 'csrf-stale.test' }, { csrf: stale });
    assert.equal(r.statusCode, 403);
    assert.equal(f.directory.localDomain('csrf-none.test'), null);
    assert.equal(f.directory.localDomain('csrf-stale.test'), null);
    const lines = await auditLines(f, (l) => l.filter((x) => x.includes('action=csrf')).length >= 2);
    assert.ok(lines.some((x) => x.includes('action=csrf') && x.includes('reason="csrf missing"')), lines.join('\n'));
    assert.ok(lines.some((x) => x.includes('action=csrf') && x.includes('reason="csrf mismatch"')));
    // with the page's own token it works
    await b2.get('/domains');
    assert.equal((await b2.post('/domains', { domain: 'csrf-ok.test' })).statusCode, 303);
    assert.equal(f.directory.localDomain('csrf-ok.test'), 'csrf-ok.test');
  });

  it('escapes HTML from a full name, a subject and headers in the queue, and a log line', async () => {
    await f.directory.addUser({ address: 'hostile@example.com', password: PASSWORD, fullName: HOSTILE });
    const id = await f.queueMessage({ subject: HOSTILE, headers: `X-Evil: ${HOSTILE}\r\n`, from: 'evil@example.com' });
    f.writeLog('smtp', '20261204', [`2026-12-04T10:00:00.000Z INFO connect sid=x1 ip=192.0.2.9 helo="${HOSTILE}"`]);
    const b = await as('admin@example.com');
    const pages = [
      await b.get('/users?domain=example.com&q=hostile'),
      await b.get('/users/hostile@example.com'),
      await b.get('/queue'),
      await b.get(`/queue/${id}`),
      await b.get('/logs?service=smtp&day=20261204'),
    ];
    for (const p of pages) {
      assert.equal(p.statusCode, 200);
      assert.doesNotMatch(p.body, /<script>document|<img src=x/, 'never raw');
    }
    assert.match(pages[0].body, /&lt;script&gt;document\.body\.dataset\.pwned=1&lt;\/script&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(pages[3].body, /Subject: &lt;script&gt;/);
    assert.match(pages[3].body, /X-Evil: &lt;script&gt;/);
    assert.match(pages[4].body, /helo=&quot;&lt;script&gt;/);
    const xss = await b.get('/users?domain=example.org&q=xss');
    assert.ok(xss.body.includes('&lt;img src=x onerror=&quot;document.body.dataset.pwned=1&quot;&gt;'), 'the foundation\'s XSS name, escaped');
    assert.ok(!xss.body.includes(XSS_NAME));
  });

  it('a CSV import with one bad line writes nothing, lists the line, and imports the good ones only when asked', async () => {
    const b = await as('host@example.org', 'ja');
    await b.get('/users/import');
    const csv = 'address,password,full_name,web_access\r\ncsv-a@example.org,long enough 1,山田 太郎,yes\r\ncsv-b@example.org,x,Bad Password,yes\r\ncsv-c@example.com,long enough 1,Other Domain,no\r\ncsv-d@example.org,long enough 1,"Comma, Name",maybe\r\ncsv-e@example.org,long enough 1,,\r\n';
    const preview = await b.post('/users/import', { csv, mode: 'preview' });
    assert.equal(preview.statusCode, 400);
    assert.match(preview.body, /インポートできる行: 2、問題のある行: 3。/);
    for (const line of [3, 4, 5]) assert.match(preview.body, new RegExp(`data-line="${line}"`));
    assert.match(preview.body, /パスワードは8〜128文字にしてください。/);
    assert.match(preview.body, /yes または no ではありません: maybe/);
    assert.equal(f.directory.user('csv-a@example.org'), undefined, 'a preview writes nothing');
    const all = await b.post('/users/import', { csv, mode: 'all' });
    assert.equal(all.statusCode, 400);
    assert.equal(f.directory.user('csv-a@example.org'), undefined, '"all" with bad lines writes nothing');
    const good = await b.post('/users/import', { csv, mode: 'good-only' });
    assert.equal(good.statusCode, 303);
    assert.equal(f.directory.user('csv-a@example.org')!.fullName, '山田 太郎');
    assert.ok(f.directory.user('csv-e@example.org'));
    for (const a of ['csv-b@example.org', 'csv-c@example.com', 'csv-d@example.org']) assert.equal(f.directory.user(a), undefined, a);
    // the export reads it back, the good lines with their settings; a formula-looking name is defused
    await f.directory.addUser({ address: 'formula@example.org', password: PASSWORD, fullName: '=HYPERLINK("http://x")' });
    const exp = await b.get('/users/export.csv?domain=example.org');
    assert.equal(exp.statusCode, 200);
    assert.match(String(exp.headers['content-type']), /^text\/csv/);
    assert.match(exp.body, /^\uFEFFaddress,full_name,reply_to,forward,keep_copy/);
    assert.match(exp.body, /csv-a@example\.org,山田 太郎,/);
    assert.match(exp.body, /formula@example\.org,"'=HYPERLINK\(""http:\/\/x""\)"/);
    assert.doesNotMatch(exp.body, /@example\.com/, 'only the asked domain');
  });

  it('settings: an invalid value is refused next to its field, a valid one takes effect, a TOML key is read-only', async () => {
    const b = await as('admin@example.com', 'ja');
    await b.get('/settings/spam');
    const bad = await b.post('/settings/spam', { 'spam.spam_threshold': 'abc', 'spam.enabled': 'on', 'spam.trusted_ips': '10.0.0.0/99' });
    assert.equal(bad.statusCode, 400);
    assert.match(fieldError(bad.body, 'spam.spam_threshold') ?? '', /正しい値ではありません/);
    assert.equal(f.svc.settings.version(), 0, 'nothing written');
    await b.get('/settings/spam');
    const form = { 'spam.spam_threshold': '3.5', 'spam.enabled': 'on', 'spam.move_to_spam_folder': 'on', 'spam.check_sender_domain': 'on', 'spam.check_rdns': 'on', 'spam.check_helo': 'on', 'spam.spf': 'on', 'spam.dkim_dmarc': 'on', 'spam.bayes': 'on', 'spam.local_networks': '127.0.0.1/32\n::1/128', 'spam.phrases': '未承諾広告\n今すぐクリック' };
    const ok = await b.post('/settings/spam', form);
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 500));
    assert.equal(f.svc.config.spam.spam_threshold, 3.5);
    assert.deepEqual(f.svc.config.spam.phrases, ['未承諾広告', '今すぐクリック']);
    const keys = f.svc.settings.list().filter((s) => s.source === 'override').map((s) => s.key).sort();
    assert.deepEqual(keys, ['spam.phrases', 'spam.spam_threshold'], 'values left as they were are not stored');
    const page = await b.get('/settings/spam?done=1');
    assert.match(page.body, /設定を保存し、反映しました。/);
    // [domains] and [dns] are in the fixture's TOML; a key the file sets shows read-only
    const relay = await b.get('/settings/relay');
    assert.doesNotMatch(relay.body, /tegami.toml で設定されています/);
  });

  it('pages 10,000 users by SQL (search, page links), and the host admin\'s list holds only its domain', async () => {
    const insert = f.db.prepare("INSERT INTO users (address, local, domain, password_hash, full_name, created) VALUES (?, ?, ?, 'x', ?, 0)");
    f.db.transaction(() => {
      for (let i = 0; i < 10_000; i++) {
        const local = `bulk${String(i).padStart(5, '0')}`;
        insert.run(`${local}@example.org`, local, 'example.org', `Bulk User ${i}`);
      }
    })();
    const b = await as('host@example.org');
    const first = await b.get('/users?domain=example.org');
    assert.equal(first.statusCode, 200);
    assert.equal((first.body.match(/<tr data-address=/g) ?? []).length, 50);
    assert.match(first.body, /rel="next" href="\/users\?domain=example\.org&amp;page=2"/);
    const last = await b.get('/users?domain=example.org&page=1000');
    assert.match(last.body, /page 20\d of 20\d/);
    const search = await b.get('/users?domain=example.org&q=bulk09999');
    assert.equal((search.body.match(/<tr data-address=/g) ?? []).length, 1);
    assert.match(search.body, /bulk09999@example\.org/);
    const like = await b.get('/users?domain=example.org&q=%25');
    assert.equal((like.body.match(/<tr data-address=/g) ?? []).length, 0, 'a % in the search is a literal %');
    const plan = f.db.prepare("EXPLAIN QUERY PLAN SELECT address FROM users WHERE domain IN (?) ORDER BY domain, address LIMIT 50 OFFSET 0").all('example.org') as { detail: string }[];
    assert.ok(plan.some((p) => /USING (COVERING )?INDEX users_domain_address/.test(p.detail)), JSON.stringify(plan));
  });
});
