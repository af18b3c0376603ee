// Japanese and English: the two catalogues hold the same keys and placeholders, every key the code asks
// for exists, the language follows the cookie or Accept-Language, and dates follow the locale.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { formatDateTime, loadCatalogue, negotiate, translator } from '../../engine/web/i18n.js';
import { ROOT } from '../helpers/server.js';

function flatten(o: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

/** Every literal key passed to t(…) in engine/web (template keys like `login.${x}` are checked by prefix). */
function keysUsedInCode(): { exact: Set<string>; prefixes: Set<string> } {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const src = fs.readFileSync(p, 'utf8');
        for (const m of src.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) exact.add(m[1]);
        for (const m of src.matchAll(/\bt\(\s*`([a-zA-Z0-9_.]*)\$\{/g)) prefixes.add(m[1]);
      }
    }
  };
  walk(path.join(ROOT, 'engine', 'web'));
  return { exact, prefixes };
}

describe('message catalogues', () => {
  const en = flatten(loadCatalogue('en'));
  const ja = flatten(loadCatalogue('ja'));

  it('ja.json and en.json have the same keys, each with the same placeholders', () => {
    assert.deepEqual([...ja.keys()].sort(), [...en.keys()].sort());
    for (const [k, v] of en) assert.deepEqual(placeholders(ja.get(k)!), placeholders(v), `placeholders of ${k}`);
    for (const [k, v] of [...en, ...ja]) assert.ok(v.trim().length > 0, `${k} is empty`);
  });

  it('the Japanese catalogue is Japanese (apart from names of languages)', () => {
    const notJapanese = [...ja].filter(([k, v]) => !k.startsWith('lang.') && !/[\u3040-\u30ff\u4e00-\u9fff]/.test(v));
    assert.deepEqual(notJapanese, []);
  });

  it('no entry holds markup: sentences are text, escaped by html``', () => {
    for (const [k, v] of [...en, ...ja]) assert.doesNotMatch(v, /[<>]/, k);
  });

  it('every key the code uses exists', () => {
    const { exact, prefixes } = keysUsedInCode();
    assert.ok(exact.size > 20, `found ${exact.size} keys in the code`);
    for (const k of exact) assert.ok(en.has(k), `missing key ${k}`);
    for (const p of prefixes) assert.ok([...en.keys()].some((k) => k.startsWith(p)), `no keys under ${p}`);
  });

  it('interpolates whole sentences in both languages', () => {
    assert.equal(translator('en')('dashboard.welcome', { name: 'Ada', address: 'a@example.com' }), 'Signed in as Ada (a@example.com).');
    assert.equal(translator('ja')('dashboard.welcome', { name: '山田', address: 'a@example.com' }), '山田（a@example.com）としてログインしています。');
    // i18next does not escape (html`` does, once): a name with markup comes back as the same text
    assert.equal(translator('en')('role.host', { domain: '<b>' }), 'Administrator of <b>');
    // a value is never read as a template itself: no nested lookups or placeholders from user text
    assert.equal(translator('en')('role.host', { domain: '$t(login.title) {{address}}' }), 'Administrator of $t(login.title) {{address}}');
  });
});

describe('language choice', () => {
  it('follows Accept-Language with q-values, by primary subtag', () => {
    assert.deepEqual(negotiate('ja-JP,ja;q=0.9,en-US;q=0.8'), { lang: 'ja', locale: 'ja-JP' });
    assert.deepEqual(negotiate('fr-FR, en-GB;q=0.7, ja;q=0.5'), { lang: 'en', locale: 'en-GB' });
    assert.deepEqual(negotiate('en;q=0.2, ja;q=0.9'), { lang: 'ja', locale: 'ja' });
    assert.equal(negotiate('fr, de'), null);
    assert.equal(negotiate('ja;q=0'), null);
    assert.equal(negotiate(undefined), null);
    assert.equal(negotiate('x'.repeat(100_000)), null);
    assert.deepEqual(negotiate(`${'zz;q=0.1,'.repeat(5000)}ja`), null, 'only the first ranges of a huge header are read');
  });

  it('formats dates in the locale', () => {
    const d = Date.UTC(2025, 0, 5, 14, 3);
    assert.match(formatDateTime(d, 'ja-JP', 'UTC'), /^2025\/01\/05 14:03$/);
    assert.match(formatDateTime(d, 'en-GB', 'UTC'), /^5 Jan 2025, 14:03$/);
    assert.match(formatDateTime(d, 'en', 'UTC'), /^Jan 5, 2025, 2:03\sPM$/);
  });
});
