// bodyViews (engine/spam/rules/body-views.ts): an ASCII body's words-view literals found while it is folded, its
// words and skeleton made only when asked. Against the general path: the same three views as foldedViews, the same
// literals as LiteralSet.search over the words view, the same rule hits as a rule input built without the fused
// scan — on random texts, on the shipped rule set's body literals, and on Japanese mail in all four charsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { LiteralSet } from '../../engine/spam/rules/aho.js';
import { BodyViews, bodyViews } from '../../engine/spam/rules/body-views.js';
import { CHECKS, DRUG_STRETCH, SPACED_RUN } from '../../engine/spam/rules/checks.js';
import { ruleInput } from '../../engine/spam/rules/input.js';
import { DRUGS, LEET } from '../../engine/spam/rules/drugs.js';
import { decodeNumericRefs, foldedViews, literalView } from '../../engine/spam/rules/normalise.js';
import { loadRuleSet } from '../../engine/spam/rules/rules.js';
import { parseMessage } from '../../engine/spam/message.js';
import { BUSINESS_JA, SPAM_JA, encodedWord, rawMail, toIso2022jp } from './mail.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 0x100000000;
  };
}

/** 6,000 texts of up to 30 pieces: a word (15%), a letter-like piece (45%) or a separator (40%). */
function randomTexts(r: () => number, pieces: string[], seps: string[], words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < 6000; i++) {
    let s = '';
    const n = Math.floor(r() * 30);
    for (let k = 0; k < n; k++) {
      const x = r();
      s += x < 0.15 ? words[Math.floor(r() * words.length)] : x < 0.6 ? pieces[Math.floor(r() * pieces.length)] : seps[Math.floor(r() * seps.length)];
    }
    out.push(s);
  }
  return out;
}

const rules = loadRuleSet(undefined, undefined);

/** The views of both paths, and the literals found by the fused scan and by search() over the general words view. */
function compare(text: string, set: LiteralSet): void {
  const want = foldedViews(text);
  const got = bodyViews(text, set);
  const label = JSON.stringify(text.slice(0, 200));
  const wantFound = [...set.search(want.words)].sort((a, b) => a - b);
  if (got instanceof BodyViews) {
    assert.equal(got.searched, set);
    assert.deepEqual([...got.found].sort((a, b) => a - b), wantFound, label);
  }
  assert.equal(got.folded, want.folded, label);
  assert.equal(got.words, want.words, label);
  assert.equal(got.skeleton, want.skeleton, label);
}

test('random texts: the fused scan finds what search() finds in the words view, and the views are foldedViews', () => {
  const r = rng(16);
  // a small alphabet so that literals of a few words occur often, with every kind of separator between them
  const words = ['ab', 'abc', 'ba', 'cab', 'a', 'b', 'c', 'AB', 'Cab', '9', 'a9b'];
  const seps = [' ', '  ', '\t', '\r\n', '.', ', ', '!', '-', '$', '&#65;', '&#x20;', '\x00', '\x7f', '_'];
  const sets: LiteralSet[] = [rules.bodyWords!];
  for (let k = 0; k < 12; k++) {
    const lits: string[] = [];
    const n = 2 + Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      let lit = '';
      const m = 1 + Math.floor(r() * 3);
      for (let j = 0; j < m; j++) lit += (j ? ' ' : '') + words[Math.floor(r() * words.length)];
      lits.push(literalView(lit).needle);
    }
    sets.push(new LiteralSet(lits));
  }
  const fused = sets.filter((s) => bodyViews('ab', s) instanceof BodyViews).length;
  assert.ok(fused >= 10, `most sets take the fused scan (${fused})`);
  const texts = ['', ' ', 'ab', ' ab ', 'ab.', '...', 'AB  CAB', 'click here now', 'FREE money &#33;&#33;&#33;'];
  for (let i = 0; i < 3000; i++) {
    let s = '';
    const n = Math.floor(r() * 40);
    for (let k = 0; k < n; k++) s += (r() < 0.6 ? words : seps)[Math.floor(r() * (r() < 0.6 ? words : seps).length)] ?? 'a';
    // a third past ASCII: the general path, which bodyViews must hand back unchanged
    if (i % 3 === 0) s += r() < 0.5 ? ' 未承諾広告' : ' é';
    texts.push(s);
  }
  for (const set of sets) for (const t of texts) compare(t, set);
});

test('the shipped body literals in long English text, each literal at the start, the end and amid punctuation', () => {
  const set = rules.bodyWords!;
  const base = 'The quick brown fox jumps over the lazy dog while the lab measures latency.\r\n'.repeat(40);
  const samples = ['click here', 'act now', 'free money', 'unsubscribe', 'limited time', 'winner', 'viagra', 'bitcoin', 'password'];
  for (const w of samples) {
    for (const t of [w + ' ' + base, base + w, base + '(' + w.toUpperCase() + ')!' + base, w, '  ' + w.replace(' ', ' \r\n\t ') + '  ']) compare(t, set);
  }
});

test('rule hits alike with and without the fused scan, in English and in Japanese mail of all four charsets', () => {
  const mails: Buffer[] = [];
  for (const [cs, bytes] of [
    ['ISO-2022-JP', toIso2022jp(BUSINESS_JA)],
    ['Shift_JIS', iconv.encode(SPAM_JA, 'cp932')],
    ['EUC-JP', iconv.encode(BUSINESS_JA + SPAM_JA, 'euc-jp')],
    ['UTF-8', Buffer.from(SPAM_JA, 'utf8')],
  ] as const) {
    mails.push(rawMail({ subject: encodedWord('未承諾広告※ご案内', 'ISO-2022-JP'), contentType: `text/plain; charset=${cs}`, cte: cs === 'ISO-2022-JP' ? '7bit' : '8bit', body: bytes }));
    // a Japanese subject over an ASCII body (the fused scan) and the other way round
    mails.push(rawMail({ subject: encodedWord('今すぐクリック', cs === 'ISO-2022-JP' || cs === 'UTF-8' ? cs : 'Shift_JIS'), contentType: 'text/plain; charset=us-ascii', body: 'Click here now to claim your FREE prize, act now!\r\n' }));
  }
  mails.push(rawMail({ subject: 'Your account', body: 'Dear customer, verify your password at http://bank.example.test/login - limited time. Click here!\r\n'.repeat(30) }));
  mails.push(rawMail({ subject: 'v i a g r a', body: 'Buy v1agra and c.i.a.l.i.s now $$$ 100% FREE &#70;&#82;&#69;&#69;\r\n' }));
  let fusedBodies = 0;
  for (const raw of mails) {
    const msg = parseMessage(raw);
    const plain = ruleInput(msg, [], []);
    const fused = ruleInput(msg, [], [], rules.bodyWords);
    if (fused.body instanceof BodyViews) fusedBodies++;
    assert.deepEqual(rules.evaluate(fused), rules.evaluate(plain), raw.toString('latin1').slice(0, 300));
    for (const k of ['folded', 'words', 'skeleton'] as const) assert.equal(fused.body[k], plain.body[k]);
  }
  assert.ok(fusedBodies >= 6, `the ASCII bodies take the fused scan (${fusedBodies})`);
  assert.ok(rules.evaluate(ruleInput(parseMessage(mails[mails.length - 1]), [], [], rules.bodyWords)).length > 0, 'the spam sample hits rules');
});

test('spaced_letters and pharma_obfuscated: an ASCII body they skip is one their own scans find nothing in', () => {
  const r = rng(17);
  const pieces = ['v', 'V', '1', 'i', 'I', '!', '|', 'a', '@', '4', 'g', 'r', 'c', 'l', 's', '$', '5', 'x', 'n', 'u', 'm', 'o', '0', 'd', 'e', '3', 't', '7', 'p', 'h'];
  const seps = [' ', ' ', '.', '-', '_', '*', '  ', '\r\n', ',', '~', '2', '#', '&#46;'];
  const words = ['viagra', 'v1agra', 'vi@gra', 'c.i.a.l.i.s', 'V-I-A-G-R-A', 'xanax!!', 'tramadol', 'f r e e', 'a b c d e', 'x.y.z', 'I a m', 'ph3nt3rm1n3', 'v!agra', 'c|al!s', 'v1@gr@', 'x@n@x', 'pr0p3c1a', 'the', 'fox'];
  const texts: string[] = ['', 'v i a g r a', 'a b c', 'a b', 'ab c d e', '$$$ v|agra $$$', 'xanax', 'val1um.'];
  texts.push(...randomTexts(r, pieces, seps, words));
  const set = rules.bodyWords!;
  let skippedSpaced = 0;
  let skippedDrug = 0;
  let hits = 0;
  for (const t of texts) {
    const msg = parseMessage(rawMail({ subject: 'plain subject', contentType: 'text/plain; charset=us-ascii', body: t }));
    const plain = ruleInput(msg, [], []);
    const fused = ruleInput(msg, [], [], set);
    assert.ok(fused.body instanceof BodyViews, JSON.stringify(t));
    const f = plain.body.folded;
    // each flag is a superset of its check's own prefilter regex, so the check's answer cannot change
    if (SPACED_RUN.test(f)) assert.ok(fused.body.maySpaced, `spaced: ${JSON.stringify(t)}`);
    if (DRUG_STRETCH.test(f)) assert.ok(fused.body.mayDrug, `drug: ${JSON.stringify(t)}`);
    if (!fused.body.maySpaced) skippedSpaced++;
    if (!fused.body.mayDrug) skippedDrug++;
    for (const check of ['spaced_letters', 'pharma_obfuscated'] as const) {
      const want = CHECKS[check](plain, rules.ctx, 1);
      if (want) hits++;
      assert.equal(CHECKS[check](fused, rules.ctx, 1), want, `${check}: ${JSON.stringify(t)}`);
    }
  }
  // the flags do let texts through and keep others out: neither is always true
  assert.ok(skippedSpaced > 500 && skippedSpaced < texts.length - 500, `spaced skipped ${skippedSpaced}`);
  assert.ok(skippedDrug > 500 && skippedDrug < texts.length - 500, `drug skipped ${skippedDrug}`);
  assert.ok(hits > 500, `the checks hit (${hits})`);
});

test('a literal, a spaced run and a drug across the scan\'s 4 KiB chunk boundaries, white space at either end', () => {
  const set = rules.bodyWords!;
  for (const lit of ['click here', 'act now', 'v i a g r a', 'v1@gra', 'a.b.c.d.e']) {
    for (const at of [4090, 4093, 4095, 4096, 4097, 8191, 8192]) {
      for (const end of ['', ' ', '\r\n', 'x']) {
        const t = 'y'.repeat(at - 3) + ' ' + lit + ' ' + 'z '.repeat(2100) + end;
        compare(t, set);
        const msg = parseMessage(rawMail({ subject: 's', contentType: 'text/plain; charset=us-ascii', body: t }));
        assert.deepEqual(rules.evaluate(ruleInput(msg, [], [], set)), rules.evaluate(ruleInput(msg, [], [])), `${lit} at ${at}`);
      }
    }
  }
});

/** What the two flags say, by their definitions, from the views and the decoded text rather than by the scan. */
function flagsByDefinition(text: string): { maySpaced: boolean; mayDrug: boolean } {
  let singles = 0;
  let maySpaced = false;
  for (const w of foldedViews(text).words.split(' ')) {
    if (w === '') continue;
    singles = w.length === 1 && w >= 'a' && w <= 'z' ? singles + 1 : 0;
    if (singles >= 3) maySpaced = true;
  }
  let mayDrug = false;
  for (const chunk of decodeNumericRefs(text).toLowerCase().split(/[\t-\r ]/)) {
    let letters = '';
    for (const ch of chunk) {
      const m = LEET[ch] ?? ch;
      if (m >= 'a' && m <= 'z') letters += m;
    }
    if (DRUGS.some((d) => letters.includes(d))) mayDrug = true;
  }
  return { maySpaced, mayDrug };
}

test('the scan\'s flags are exactly their definitions: three one-letter words in a row, a drug spelt within a word', () => {
  // the scan steps every byte through tables (IDLE columns, spaced_letters' small automaton: sixteenth round), so
  // a wrong entry moves a flag either way; the superset test above only sees one direction
  const r = rng(18);
  const pieces = ['v', 'V', '1', 'i', '!', '|', 'a', '@', '4', 'g', 'r', 'c', 'l', 'S', '$', '5', 'x', 'n', 'o', '0', 'd', '3', 't', '7', 'p', 'h', '2', '9', 'Z'];
  const seps = [' ', '\t', '.', '-', '_', '  ', '\r\n', ',', '\x0b', '\x0c', '#', '&#46;', '&#32;', '&#x41;', '\x00', '\x7f'];
  const words = ['viagra', 'V1@GRA', 'c.i.a.l.i.s', 'x a n a x', 'tramadol', 'f r e e', 'a b 1 d', 'I a m', 'ph3nt3rm1n3', 'the', 'fox', 'a1 b c', '7 a b c'];
  const texts = ['', 'a b c', 'a b', 'a b 9', '9 a b c', 'ab c d e', 'a  b\r\nc', 'v|agra', 'vi agra', 'val1um.', 'xan4x'];
  texts.push(...randomTexts(r, pieces, seps, words));
  // across the 4 KiB chunks of the scan
  for (const at of [4093, 4095, 4096, 4097, 8190]) for (const t of ['x y z', 'v1agra', 'vi@g r a', 'a b']) texts.push('w'.repeat(at) + ' ' + t + ' q'.repeat(9));
  const set = rules.bodyWords!;
  const seen = { spaced: [0, 0], drug: [0, 0] };
  for (const t of texts) {
    const got = bodyViews(t, set);
    assert.ok(got instanceof BodyViews, JSON.stringify(t));
    const want = flagsByDefinition(t);
    assert.equal(got.maySpaced, want.maySpaced, `spaced: ${JSON.stringify(t)}`);
    assert.equal(got.mayDrug, want.mayDrug, `drug: ${JSON.stringify(t)}`);
    seen.spaced[Number(want.maySpaced)]++;
    seen.drug[Number(want.mayDrug)]++;
  }
  for (const [k, [no, yes]] of Object.entries(seen)) assert.ok(no > 500 && yes > 500, `${k}: ${no} without, ${yes} with`);
});
