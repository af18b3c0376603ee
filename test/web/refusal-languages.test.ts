// Sieve syntax errors and list member refusals in the page's language: the admin's domain rules page (raw
// script), the webmail's own rules page, and a list's members form each show a Japanese sentence on a Japanese
// page and an English one on an English page — never the engine's English reason inside a Japanese frame: a
// refused script name, the engine's words inside an error ("end of script", `command "keep"`), and the rule form's
// own field checks too. Every Sieve error code has both translations with the engine's placeholders; ManageSieve
// keeps the English.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CAPABILITIES, SIEVE_ERROR_TEXT, parseScript } from '../../engine/sieve/index.js';
import { loadCatalogue } from '../../engine/web/i18n.js';
import { adminFixture, type AdminFixture } from '../admin/fixture.js';
import { jmapFixture, PASSWORD as USER_PASSWORD, USER, type JmapFixture } from '../jmap/helpers.js';
import { SqliteRulesStore } from '../../engine/rules/sqlite-store.js';
import { Browser, PASSWORD } from './helpers.js';

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

/** The text of the field error next to `field`, or null. */
function fieldError(page: string, field: string): string | null {
  const m = new RegExp(`class="field-error" id="${field}-error" role="alert" data-field="${field}" data-code="[^"]*">([^<]*)<`).exec(page);
  return m ? unescape(m[1]) : null;
}

/** The script errors a rules page shows (data-field="script"). */
function scriptErrors(page: string): string[] {
  return [...page.matchAll(/<p class="field-error" role="alert" data-field="script">([^<]*)<\/p>/g)].map((m) => unescape(m[1]));
}

/** The errors shown inside the rule form's rows (not the script's). */
function ruleErrors(page: string): string[] {
  return [...page.matchAll(/<fieldset class="rule"[^>]*>[^]*?<\/fieldset>/g)].flatMap((f) => [...f[0].matchAll(/<p class="field-error" role="alert">([^<]*)<\/p>/g)].map((m) => unescape(m[1])));
}

const BAD_FORWARD = { 'r.0.name': '', 'r.0.enabled': 'on', 'r.0.match': 'all', 'r.0.c.0.field': 'subject', 'r.0.c.0.op': 'contains', 'r.0.c.0.value': '未承諾広告', 'r.0.action': 'forward', 'r.0.arg': 'not an address' };
const BAD_FORWARD_TEXT = { en: 'Action: Enter the mail address to forward to.', ja: '動作 の誤り: 転送先のメールアドレスを入力してください。' } as const;

const BAD_SCRIPT = 'require "fileinto";\nif header :contains "subject" "x" {\n  fileintoo "Junk";\n}\n';
const EXPECTED = {
  en: 'Line 3, column 3: Unknown command "fileintoo".',
  ja: '3行目 3文字目: 「fileintoo」というコマンドはありません。',
} as const;

describe('refusals in the page\'s language', () => {
  it('every Sieve error code has an English and a Japanese sentence with the engine\'s placeholders', () => {
    const en = loadCatalogue('en').sieve as Record<string, string>;
    const ja = loadCatalogue('ja').sieve as Record<string, string>;
    for (const [code, text] of Object.entries(SIEVE_ERROR_TEXT)) {
      assert.ok(en[code] && ja[code], `sieve.${code} in both catalogues`);
      assert.deepEqual(placeholders(en[code]), placeholders(text), `en sieve.${code}`);
      assert.deepEqual(placeholders(ja[code]), placeholders(text), `ja sieve.${code}`);
    }
    // ManageSieve and the CLI keep the English text, now with the code beside it
    const r = parseScript(BAD_SCRIPT);
    assert.ok(!r.ok);
    assert.deepEqual([r.errors[0].message, r.errors[0].code, r.errors[0].values], ['unknown command "fileintoo"', 'unknown-command', { name: 'fileintoo' }]);
    const rx = parseScript('require "regex";\nif header :regex "subject" "(ab" { keep; }', { extensions: CAPABILITIES });
    assert.ok(!rx.ok);
    assert.deepEqual([rx.errors[0].message, rx.errors[0].code, rx.errors[0].values], ['regex: missing ) at offset 4', 'regex-missing-paren', { offset: 4 }]);
  });

  describe('admin pages', () => {
    let f: AdminFixture;
    before(async () => {
      f = await adminFixture();
    });
    after(() => f?.close());

    async function as(lang: 'en' | 'ja'): Promise<Browser> {
      const b = new Browser(f.admin, { 'accept-language': lang === 'ja' ? 'ja-JP,ja;q=0.9' : 'en-GB,en;q=0.8' });
      assert.equal((await b.login('admin@example.com', PASSWORD)).statusCode, 303);
      return b;
    }

    it('a domain\'s raw Sieve script with an error', async () => {
      for (const lang of ['en', 'ja'] as const) {
        const b = await as(lang);
        await b.get('/rules/example.com');
        const r = await b.post('/rules/example.com/raw', { script: BAD_SCRIPT });
        assert.equal(r.statusCode, 400);
        assert.deepEqual(scriptErrors(r.body), [EXPECTED[lang]]);
      }
      // :regex is off unless [sieve] regex = true: each error of the script, in order, translated with its values
      const b = await as('ja');
      await b.get('/rules/example.com');
      const r = await b.post('/rules/example.com/raw', { script: 'require "regex";\nif header :regex "subject" "(ab" { keep; }\n' });
      assert.equal(r.statusCode, 400);
      assert.deepEqual(scriptErrors(r.body), ['1行目 9文字目: 「regex」という Sieve の拡張はありません（または有効ではありません）。', '2行目 11文字目: 「:regex」を使うには require "regex" が必要です。']);
    });

    it('a domain rule the form refuses (a forward to something that is not an address)', async () => {
      for (const lang of ['en', 'ja'] as const) {
        const b = await as(lang);
        await b.get('/rules/example.com');
        const r = await b.post('/rules/example.com/form', BAD_FORWARD);
        assert.equal(r.statusCode, 400);
        assert.deepEqual(ruleErrors(r.body), [BAD_FORWARD_TEXT[lang]]);
      }
    });

    it('a list member that would make a loop', async () => {
      const setup = await as('en');
      await setup.get('/lists');
      assert.equal((await setup.post('/lists', { address: 'loop-a@example.com' })).statusCode, 303);
      assert.equal((await setup.post('/lists', { address: 'loop-b@example.com' })).statusCode, 303);
      f.directory.lists.addMember('loop-b@example.com', 'loop-a@example.com');
      for (const [lang, text] of [
        ['en', 'loop-b@example.com would make loop-a@example.com contain itself: loop-a@example.com → loop-b@example.com → loop-a@example.com'],
        ['ja', 'loop-b@example.com を加えると loop-a@example.com が自分自身を含むことになります: loop-a@example.com → loop-b@example.com → loop-a@example.com'],
      ] as const) {
        const b = await as(lang);
        await b.get('/lists/loop-a@example.com');
        const r = await b.post('/lists/loop-a@example.com/members', { members: 'erin@remote.test\nloop-b@example.com' });
        assert.equal(r.statusCode, 400, `${lang}: ${r.body.slice(0, 300)}`);
        assert.equal(fieldError(r.body, 'members'), text);
      }
      assert.deepEqual(f.directory.lists.members('loop-a@example.com'), [], 'nothing added, not even the good address');
    });
  });

  describe('webmail', () => {
    let j: JmapFixture;
    before(async () => {
      j = await jmapFixture({ webmail: true });
    });
    after(() => j?.close());

    it('an own raw Sieve script with an error', async () => {
      for (const lang of ['en', 'ja'] as const) {
        const b = new Browser(j.app, { 'accept-language': lang });
        assert.equal((await b.login(USER, USER_PASSWORD)).statusCode, 303);
        await b.get('/settings/rules');
        const r = await b.post('/settings/rules/script', { name: 'mine', script: BAD_SCRIPT });
        assert.equal(r.statusCode, 400);
        assert.deepEqual(scriptErrors(r.body), [EXPECTED[lang]]);
      }
    });

    async function mine(lang: 'en' | 'ja'): Promise<Browser> {
      const b = new Browser(j.app, { 'accept-language': lang });
      assert.equal((await b.login(USER, USER_PASSWORD)).statusCode, 303);
      await b.get('/settings/rules');
      return b;
    }

    it('a script name refused (not NFC, control characters), in the page\'s language', async () => {
      const cases = [
        ['\u304b\u3099\u3044\u3057\u3083', { en: 'The script name is not in Unicode normalization form C (NFC): type it again, or paste it from a program that composes accents.', ja: 'スクリプトの名前が Unicode 正規化形式 C（NFC）ではありません。入力し直すか、濁点などを合成するプログラムから貼り付けてください。' }],
        ['two\u0001parts', { en: 'The script name may not contain control characters or line breaks.', ja: 'スクリプトの名前に制御文字や改行は使えません。' }],
      ] as const;
      for (const [name, text] of cases) {
        for (const lang of ['en', 'ja'] as const) {
          const r = await (await mine(lang)).post('/settings/rules/script', { name, script: 'keep;\n' });
          assert.equal(r.statusCode, 400, `${lang} ${JSON.stringify(name)}`);
          assert.deepEqual(scriptErrors(r.body), [text[lang]]);
        }
      }
      assert.deepEqual(new SqliteRulesStore(j.db).listScripts(USER), [], 'nothing stored');
    });

    it('the engine\'s own words inside an error (end of script, command "keep", a string list) are translated too', async () => {
      const cases = [
        ['keep', { en: 'Line 1, column 5: Expected ";" or "{" after command "keep" but found end of script.', ja: '1行目 5文字目: コマンド「keep」のあとには「;」か「{」が必要ですが、スクリプトの終わり がありました。' }],
        ['if header :contains 5 "x" { keep; }\n', { en: 'Line 1, column 21: test "header": argument 1 must be a string list.', ja: '1行目 21文字目: テスト「header」: 1 番目の引数は 文字列のリスト でなければなりません。' }],
      ] as const;
      for (const [script, text] of cases) {
        for (const lang of ['en', 'ja'] as const) {
          const r = await (await mine(lang)).post('/settings/rules/script', { name: 'mine', script });
          assert.equal(r.statusCode, 400);
          assert.deepEqual(scriptErrors(r.body), [text[lang]]);
        }
      }
    });

    it('an own rule the form refuses', async () => {
      for (const lang of ['en', 'ja'] as const) {
        const r = await (await mine(lang)).post('/settings/rules/form', BAD_FORWARD);
        assert.equal(r.statusCode, 400);
        assert.deepEqual(ruleErrors(r.body), [BAD_FORWARD_TEXT[lang]]);
      }
    });
  });
});
