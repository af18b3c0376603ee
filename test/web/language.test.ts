// The pages in Japanese and English over inject(): chosen from Accept-Language, switched with the
// language form (CSRF-protected, remembered in a cookie, back to the same page), dates in the locale,
// login errors in the page's language, and user text escaped in both.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { Browser, setCookieLines, webFixture, XSS_NAME, type Fixture } from './helpers.js';

describe('pages in Japanese and English', () => {
  let f: Fixture;
  let admin: FastifyInstance;
  before(async () => {
    f = await webFixture();
    admin = await f.app('admin');
  });
  after(() => f.close());

  it('follows Accept-Language: Japanese login page for ja, English otherwise', async () => {
    const ja = await admin.inject({ url: '/login', headers: { 'accept-language': 'ja-JP,ja;q=0.9' } });
    assert.match(ja.body, /<html lang="ja">/);
    assert.match(ja.body, /<h1>ログイン<\/h1>/);
    assert.match(ja.body, /<label for="password">パスワード<\/label>/);
    const fr = await admin.inject({ url: '/login', headers: { 'accept-language': 'fr-FR,de;q=0.8' } });
    assert.match(fr.body, /<html lang="en">/);
    assert.match(fr.body, /<h1>Sign in<\/h1>/);
  });

  it('switches language with the form, remembers it in a cookie and comes back to the page', async () => {
    const b = new Browser(admin, { 'accept-language': 'en' });
    await b.login('host@example.org');
    await b.get('/domains');
    const r = await b.post('/lang', { lang: 'ja', back: '/domains' });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/domains');
    const line = setCookieLines(r).find((l) => l.startsWith('__Host-tegami-lang=ja'));
    assert.ok(line && /Secure/.test(line) && /SameSite=Strict/.test(line) && /Max-Age=\d{7,}/.test(line), line);
    const page = await b.get('/domains');
    assert.match(page.body, /<html lang="ja">/);
    assert.match(page.body, /<h1>ドメイン<\/h1>/);
    const home = await b.get('/');
    assert.match(home.body, /山田 花子（host@example.org）としてログインしています。/);
    assert.match(home.body, /<li>example.org の管理者<\/li>/);
    // the cookie wins over Accept-Language, and English comes back the same way
    await b.post('/lang', { lang: 'en', back: '/' });
    assert.match((await b.get('/')).body, /Signed in as 山田 花子 \(host@example.org\)\./);
  });

  it('refuses a language switch without the CSRF token, a bad language, and an off-site way back', async () => {
    const b = new Browser(admin);
    await b.get('/login');
    assert.equal((await b.post('/lang', { lang: 'ja', back: '/' }, { csrf: null })).statusCode, 403);
    assert.equal((await b.post('/lang', { lang: 'fr', back: '/' })).statusCode, 400);
    await b.get('/login');
    for (const back of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const r = await b.post('/lang', { lang: 'ja', back });
      assert.equal(r.headers.location, '/', back);
      await b.get('/login');
    }
  });

  it('formats dates in the locale of the request', async () => {
    const ja = new Browser(admin, { 'accept-language': 'ja-JP' });
    await ja.login('admin@example.com');
    const jaPage = (await ja.get('/')).body;
    assert.match(jaPage, /<time datetime="[^"]+">\d{4}\/\d{2}\/\d{2} \d{1,2}:\d{2}<\/time>/);
    assert.match(jaPage, /1日 1時間 1分/);
    const gb = new Browser(admin, { 'accept-language': 'en-GB' });
    await gb.login('admin@example.com');
    const gbPage = (await gb.get('/')).body;
    assert.match(gbPage, /<time datetime="[^"]+">\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}<\/time>/);
    assert.match(gbPage, /1 d 1 h 1 min/);
  });

  it('says why a login failed in the page\'s language', async () => {
    const b = new Browser(admin, { 'accept-language': 'ja' });
    const r = await b.login('admin@example.com', 'wrong password');
    assert.equal(r.statusCode, 403);
    assert.match(r.body, /メールアドレスまたはパスワードが正しくありません。/);
    assert.match(r.body, /value="admin@example.com"/, 'the address is kept in the form');
  });

  it('renders a hostile full name as text in both languages', async () => {
    for (const lang of ['en', 'ja']) {
      const b = new Browser(admin, { 'accept-language': lang });
      await b.login('xss@example.org');
      const body = (await b.get('/')).body;
      assert.ok(!body.includes(XSS_NAME), lang);
      assert.doesNotMatch(body, /<img src=x|<script>document/, lang);
      assert.ok(body.includes('&lt;img src=x onerror=&quot;document.body.dataset.pwned=1&quot;&gt;'), lang);
    }
  });
});
