// Corpora: the SpamAssassin split is fixed and disjoint, the Japanese generator's messages decode back
// (with mailparser, a decoder we did not write) to the exact subject and text in every charset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { loadSpamAssassin, corpusIndex, SPLIT } from '../../lab/corpora/spamassassin.js';
import { japaneseCorpus, encodeIso2022jp, JP_CHARSETS } from '../../lab/corpora/japanese.js';
import { curveOf, scoreOf, scoreVerdicts } from '../../lab/corpora/score.js';
import { summaryLine } from '../../engine/spam/headers.js';
import { REFERENCE, REFERENCE_BEST, referenceApplies } from '../../lab/corpora/reference.js';

test('SpamAssassin corpus: groups, fixed train/eval split, deterministic samples', () => {
  const idx = corpusIndex();
  assert.ok(idx.ok, idx.ok ? '' : idx.reason);
  if (!idx.ok) return;
  const n = Object.values(idx.files).reduce((a, f) => a + f.length, 0);
  assert.ok(n > 6000, `${n} messages`);
  assert.deepEqual(SPLIT.train, ['easy_ham', 'spam']);
  assert.deepEqual(SPLIT.eval, ['easy_ham_2', 'hard_ham', 'spam_2']);
  const a = loadSpamAssassin({ split: 'eval', ham: 20, spam: 20 });
  const b = loadSpamAssassin({ split: 'eval', ham: 20, spam: 20 });
  const train = loadSpamAssassin({ split: 'train', ham: 20, spam: 20 });
  assert.ok(a.ok && b.ok && train.ok);
  if (!a.ok || !b.ok || !train.ok) return;
  assert.deepEqual(a.messages.map((m) => m.id), b.messages.map((m) => m.id));
  assert.equal(a.messages.filter((m) => m.label === 'spam').length, 20);
  assert.ok(a.messages.some((m) => m.group === 'hard_ham'), 'eval ham includes hard_ham');
  const trainIds = new Set(train.messages.map((m) => m.id));
  assert.ok(a.messages.every((m) => !trainIds.has(m.id)));
  assert.ok(train.messages.every((m) => m.group === 'easy_ham' || m.group === 'spam'));
  for (const m of a.messages) {
    assert.ok(!m.raw.toString('latin1').startsWith('From '), 'mbox separator stripped');
    assert.match(m.raw.toString('latin1'), /\r\n\r\n/);
  }
});

test('ISO-2022-JP encoder: escape sequences, ends in ASCII', () => {
  const b = encodeIso2022jp('未承諾広告※ abc');
  assert.equal(b.subarray(0, 3).toString('latin1'), '\x1b$B');
  assert.equal(b.subarray(-3).toString('latin1'), 'abc');
  assert.ok(b.includes(Buffer.from('\x1b(B', 'latin1')));
  assert.ok([...b].every((x) => x < 0x80), '7-bit');
  assert.throws(() => encodeIso2022jp('ｶﾀｶﾅ'), /JIS X 0208/);
});

test('Japanese corpus: every charset decodes back to the exact subject and text', async () => {
  const msgs = japaneseCorpus({ count: 24, seed: 7 });
  assert.deepEqual([...new Set(msgs.map((m) => m.charset))].sort(), [...JP_CHARSETS].sort());
  assert.ok(msgs.some((m) => m.label === 'spam') && msgs.some((m) => m.label === 'ham'));
  assert.ok(msgs.some((m) => m.subject.startsWith('未承諾広告※')));
  for (const m of msgs) {
    const p = await simpleParser(m.raw);
    assert.equal(p.subject, m.subject, `${m.id} ${m.charset}`);
    assert.equal(p.text?.replace(/\r\n/g, '\n').trimEnd(), m.text.trimEnd(), `${m.id} ${m.charset}`);
    if (m.charset === 'ISO-2022-JP') assert.ok([...m.raw].every((x) => x < 0x80), 'ISO-2022-JP mail is 7-bit');
  }
  const again = japaneseCorpus({ count: 24, seed: 7 });
  assert.deepEqual(again.map((m) => m.raw.toString('base64')), msgs.map((m) => m.raw.toString('base64')));
  const deceptive = msgs.find((m) => m.text.includes('verify.example.net'));
  assert.ok(deceptive && deceptive.label === 'spam');
  // an HTML part whose link text shows the bank and whose href goes elsewhere
  let htmlLinks = 0;
  for (const m of msgs) {
    const p = await simpleParser(m.raw);
    if (!p.html) continue;
    assert.match(p.html, /<a href="http:\/\/bank-example-jp\.verify\.example\.net\/login\?id=\d+">https:\/\/www\.bank\.example\.jp\/login<\/a>/);
    assert.match(p.html, new RegExp(m.text.split('\n')[0]), `${m.id} (${m.charset}) HTML decodes`);
    htmlLinks++;
  }
  assert.ok(htmlLinks >= 2, `${htmlLinks} messages with a deceptive HTML link`);
});

test('precision and recall', () => {
  const s = scoreVerdicts([
    { label: 'spam', verdict: 'spam' },
    { label: 'spam', verdict: 'ham' },
    { label: 'ham', verdict: 'spam' },
    { label: 'ham', verdict: 'ham' },
    { label: 'ham', verdict: undefined },
    { label: 'spam', verdict: 'spam' },
  ]);
  assert.deepEqual({ tp: s.tp, fp: s.fp, tn: s.tn, fn: s.fn, unknown: s.unknown }, { tp: 2, fp: 1, tn: 1, fn: 1, unknown: 1 });
  assert.equal(s.precision, 0.667);
  assert.equal(s.recall, 0.667);
  assert.equal(s.ham_fp_rate, 0.3333, 'one of three hams judged spam (the one without a verdict counts as not right)');
  assert.equal(s.groups, undefined);
});

test('per corpus group: judged spam out of total, a group of both kinds shown as two', () => {
  const s = scoreVerdicts([
    { group: 'hard_ham', label: 'ham', verdict: 'spam' },
    { group: 'hard_ham', label: 'ham', verdict: 'ham' },
    { group: 'spam_2', label: 'spam', verdict: 'spam' },
    { group: 'japanese', label: 'spam', verdict: 'ham' },
    { group: 'japanese', label: 'ham', verdict: undefined },
  ]);
  assert.deepEqual(s.groups, {
    hard_ham: { label: 'ham', total: 2, judged_spam: 1, unknown: 0 },
    spam_2: { label: 'spam', total: 1, judged_spam: 1, unknown: 0 },
    'japanese spam': { label: 'spam', total: 1, judged_spam: 0, unknown: 0 },
    'japanese ham': { label: 'ham', total: 1, judged_spam: 0, unknown: 1 },
  });
});

test('the score a verdict header carries: tegami\'s summary line either way, SpamAssassin\'s, none', () => {
  const value = (line: string) => line.slice(line.indexOf(':') + 1).trim();
  assert.equal(scoreOf(value(summaryLine(7.2, 5, 'spam', [{ tag: 'BAYES_99', score: 3.5 }, { tag: 'JP_UNSOLICITED_AD', score: 3.7 }]))), 7.2);
  assert.equal(scoreOf(value(summaryLine(-1.5, 5, 'inbox', [{ tag: 'BAYES_00', score: -1.5 }]))), -1.5);
  assert.equal(scoreOf('Yes, score=12.4 required=5.0 tests=BAYES_99,URIBL_BLOCKED'), 12.4);
  assert.equal(scoreOf('verdict=ham tags=NONE'), undefined);
  assert.equal(scoreOf('threshold=5'), undefined, 'only the score itself, not a word ending in it');
  assert.equal(scoreOf(undefined), undefined);
});

test('recall at ham FP ≤ 0.5% and ≤ 1%: at most ⌊rate · ham⌋ hams over the cut-off, a tie with a ham is not over', () => {
  // 200 hams: one may be over the 0.5% cut-off (the ham at 8 is the cut), two over the 1% one (the ham at 7)
  const ham = [9, 8, 7, ...Array<number>(197).fill(0)].map((score) => ({ label: 'ham' as const, group: 'hard_ham', score }));
  const spam = [10, 8, 7.5, 7, Infinity, -Infinity].map((score) => ({ label: 'spam' as const, group: 'spam_2', score }));
  const c = curveOf([...ham, ...spam]);
  assert.equal(c.at_fp_05, 0.333, '10 and the refusal; the spam at 8 ties the cut-off ham');
  assert.equal(c.at_fp_1, 0.667, '10, 8, 7.5 and the refusal; the spam at 7 ties, the one without a verdict is missed');
  assert.deepEqual(c.groups, { hard_ham: { above_fp_05: 1, above_fp_1: 2 }, spam_2: { above_fp_05: 2, above_fp_1: 4 } });
  // a refused ham takes the top place: with one per 200 allowed, the cut-off is the next ham
  const refusedHam = curveOf([{ label: 'ham', score: Infinity }, ...ham.slice(1), ...spam]);
  assert.equal(refusedHam.at_fp_05, 0.333);
  // hams all over the spam: nothing is caught at either rate, however the default verdict fell
  assert.deepEqual(curveOf([...ham.map((h) => ({ ...h, score: 20 })), ...spam.slice(0, 4)]), { at_fp_05: 0, at_fp_1: 0, groups: { hard_ham: { above_fp_05: 0, above_fp_1: 0 }, spam_2: { above_fp_05: 0, above_fp_1: 0 } } });
});

test('recall at ham FP with a basis: cut-offs from the SpamAssassin judged half, other groups counted against them', () => {
  const sa = [
    ...[9, 8, 7, ...Array<number>(197).fill(0)].map((score) => ({ label: 'ham' as const, group: 'hard_ham', score })),
    ...[10, 8, 7.5, 7].map((score) => ({ label: 'spam' as const, group: 'spam_2', score })),
  ];
  // easy Japanese spam far over everything, and one Japanese ham at 8.5 between the SpamAssassin hams
  const jp = [...Array<number>(20).fill(30).map((score) => ({ label: 'spam' as const, group: 'japanese', score })), { label: 'ham' as const, group: 'japanese', score: 8.5 }];
  const isSa = (i: { group: string }) => i.group !== 'japanese';
  const c = curveOf([...sa, ...jp], isSa);
  assert.equal(c.at_fp_05, 0.25, 'the Japanese spam does not lift the SpamAssassin figure');
  assert.equal(c.at_fp_1, 0.75);
  assert.deepEqual(c.groups['japanese spam'], { above_fp_05: 20, above_fp_1: 20 });
  assert.deepEqual(c.groups['japanese ham'], { above_fp_05: 1, above_fp_1: 1 });
  // over everything, the 20 easy spam lift recall: the reason the basis exists
  assert.ok(curveOf([...sa, ...jp]).at_fp_05 > 0.8);
  // a basis with no ham falls back to everything
  assert.equal(curveOf([...sa, ...jp], (i) => i.label === 'spam').at_fp_05, curveOf([...sa, ...jp]).at_fp_05);
});

test('reference figures: they apply to the whole judged half only, and the best of them is what must be beaten', () => {
  const whole = loadSpamAssassin({ split: 'eval', ham: 100000, spam: 100000 });
  assert.ok(whole.ok);
  if (!whole.ok) return;
  assert.equal(referenceApplies(whole.messages), true, `${whole.messages.length} judged messages`);
  assert.equal(referenceApplies(whole.messages.slice(1)), false);
  const sample = loadSpamAssassin({ split: 'eval', ham: 40, spam: 40 });
  assert.ok(sample.ok && !referenceApplies(sample.messages));
  assert.deepEqual(REFERENCE_BEST, { at_fp_05: 0.817, at_fp_1: 0.88 });
  for (const r of REFERENCE) for (const x of [r.at_fp_05, r.at_fp_1, r.default_recall, r.default_fp]) assert.ok(x === null || (x >= 0 && x <= 1), r.filter);
});

test('legitimate bulk mail written for the lab: deterministic ham, mailparser reads it, each unsubscribes on its own domain', async () => {
  const { bulkHam } = await import('../../lab/corpora/bulk-ham.js');
  const a = bulkHam({ count: 18 });
  assert.deepEqual(a.map((m) => m.raw.toString('latin1')), bulkHam({ count: 18 }).map((m) => m.raw.toString('latin1')));
  assert.notDeepEqual(a.map((m) => m.raw.toString('latin1')), bulkHam({ count: 18, seed: 7 }).map((m) => m.raw.toString('latin1')));
  for (const m of a) {
    assert.equal(m.label, 'ham');
    const p = await simpleParser(m.raw);
    const from = p.from?.value[0]?.address ?? '';
    const domain = from.split('@')[1];
    assert.ok(domain?.endsWith('.example'), from);
    assert.match(String(p.headers.get('list-unsubscribe') ?? JSON.stringify(p.headers.get('list'))), new RegExp(domain.replace(/\./g, '\\.')));
    assert.ok(p.text && p.html, `${m.id}: a text part and an HTML part`);
  }
});

test('legitimate bulk mail of real senders\' shapes (spam8): deterministic ham, varied structure, decodes in every charset, trips the newsletter rules', async () => {
  const { legitBulk } = await import('../../lab/corpora/legit-bulk.js');
  const { examplesOf } = await import('../../lab/corpora/features.js');
  const a = legitBulk({ en: 60, ja: 16 });
  assert.equal(a.length, 76);
  assert.deepEqual(a.map((m) => m.raw.toString('latin1')), legitBulk({ en: 60, ja: 16 }).map((m) => m.raw.toString('latin1')));
  assert.notDeepEqual(a.map((m) => m.raw.toString('latin1')), legitBulk({ en: 60, ja: 16, seed: 9 }).map((m) => m.raw.toString('latin1')));
  const shapes = new Set<string>();
  const charsets = new Set<string>();
  for (const m of a) {
    assert.equal(m.label, 'ham');
    const p = await simpleParser(m.raw);
    const from = p.from?.value[0]?.address ?? '';
    assert.ok(from.split('@')[1]?.endsWith('.example'), from);
    shapes.add((p.headers.get('content-type') as { value: string }).value);
    if (p.html) assert.match(String(p.html), /<a href="https?:\/\/[^"]+">/, `${m.id}: links survive the transfer encoding`);
    if (m.group === 'legit-bulk-ja') {
      charsets.add(/charset=([\w-]+)/i.exec(m.raw.toString('latin1'))?.[1] ?? '');
      assert.match(p.subject ?? '', /[\p{Script=Han}\p{Script=Katakana}\p{Script=Hiragana}]/u, `${m.id}: subject decodes`);
      assert.match(String(p.text ?? p.html ?? ''), /ございます|ください|いたします|です。/, `${m.id}: body decodes`);
    }
  }
  assert.deepEqual([...shapes].sort(), ['multipart/alternative', 'text/html', 'text/plain']);
  assert.deepEqual([...charsets].sort(), ['EUC-JP', 'ISO-2022-JP', 'Shift_JIS', 'UTF-8']);
  // the rules real newsletters trip and the learn half's ham seldom does: the reason this set exists
  const hits = new Set((await examplesOf(a)).flatMap((e) => e.tags));
  for (const t of ['EN_REMOVE_ME', 'MIME_HTML_ONLY', 'HTML_NESTED_TABLE', 'HTML_HIDDEN_TEXT', 'EN_CLICK_HERE', 'LIST_UNSUB_ALIGNED']) assert.ok(hits.has(t), t);
});

test('legitimate English commercial mail (spam13): deterministic ham of every kind, own-domain senders, sales wording, scripts and forms', async () => {
  const { legitCommerce } = await import('../../lab/corpora/legit-commerce.js');
  const a = legitCommerce({ count: 120, seed: 31 });
  assert.equal(a.length, 120);
  assert.deepEqual(a.map((m) => m.raw.toString('latin1')), legitCommerce({ count: 120, seed: 31 }).map((m) => m.raw.toString('latin1')));
  assert.notDeepEqual(a.map((m) => m.raw.toString('latin1')), legitCommerce({ count: 120, seed: 32 }).map((m) => m.raw.toString('latin1')));
  const shapes = new Set<string>();
  const text: string[] = [];
  for (const m of a) {
    assert.equal(m.label, 'ham');
    assert.equal(m.group, 'legit-commerce');
    const p = await simpleParser(m.raw);
    const from = p.from?.value[0]?.address ?? '';
    const domain = from.split('@')[1] ?? '';
    assert.ok(domain.endsWith('.example'), from);
    assert.ok(p.messageId && p.date && p.subject, `${m.id}: Message-ID, Date, Subject`);
    shapes.add((p.headers.get('content-type') as { value: string }).value);
    const body = `${p.subject}\n${p.text ?? ''}\n${p.html || ''}`;
    if (p.html) assert.match(String(p.html), /<a href="https?:\/\/[^"]+"/, `${m.id}: links survive the transfer encoding`);
    text.push(body);
  }
  assert.deepEqual([...shapes].sort(), ['multipart/alternative', 'text/html', 'text/plain']);
  const all = text.join('\n');
  // what the set is for: the words and shapes of legitimate commerce that the learn half's ham never shows
  for (const re of [/order #\d/i, /tracking number/i, /receipt|invoice/i, /reset the password/i, /new device/i, /confirm .* email address/i, /free shipping/i, /\d+% off|save up to/i, /unsubscribe/i, /<script/i, /onMouseOver/, /<form /i, /display:none/, /you're invited|register now|rsvp/i]) {
    assert.match(all, re);
  }
});

test('legitimate list, newsletter and 2002 web mail (spam15): deterministic ham of every kind, list programs\' footers and headers, web-mail relays', async () => {
  const { legitLists } = await import('../../lab/corpora/legit-lists.js');
  const a = legitLists({ count: 200, seed: 41 });
  assert.equal(a.length, 200);
  assert.deepEqual(a.map((m) => m.raw.toString('latin1')), legitLists({ count: 200, seed: 41 }).map((m) => m.raw.toString('latin1')));
  assert.notDeepEqual(a.map((m) => m.raw.toString('latin1')), legitLists({ count: 200, seed: 42 }).map((m) => m.raw.toString('latin1')));
  const shapes = new Set<string>();
  const text: string[] = [];
  for (const m of a) {
    assert.equal(m.label, 'ham');
    assert.equal(m.group, 'legit-lists');
    const p = await simpleParser(m.raw);
    const from = p.from?.value[0]?.address ?? '';
    const domain = from.split('@')[1] ?? '';
    assert.ok(domain.endsWith('.example') || domain === 'hotmail.com' || domain === 'yahoo.com', from);
    assert.ok(p.messageId && p.date && p.subject, `${m.id}: Message-ID, Date, Subject`);
    const head = m.raw.toString('latin1').split('\r\n\r\n')[0];
    // web mail comes through its provider's own relays (so no check may call its From forged)
    if (domain === 'hotmail.com') assert.match(head, /^Received: from .*hotmail\.com/m);
    if (domain === 'yahoo.com') assert.match(head, /^Received: from .*\.mail\.yahoo\.com/m);
    shapes.add((p.headers.get('content-type') as { value: string }).value);
    text.push(`${head}\n${p.subject}\n${p.text ?? ''}\n${p.html || ''}`);
  }
  assert.deepEqual([...shapes].sort(), ['multipart/alternative', 'text/html', 'text/plain']);
  const all = text.join('\n');
  // what the set is for: legitimate mail that says and looks like what spam says and looks like
  for (const re of [/X-Mailman-Version/, /You are currently subscribed to/, /SIGNOFF/, /majordomo@/, /^Mailing-List: /m, /CALL FOR PAPERS/, /undisclosed-recipients/, /mortgage/i, /weight loss|lose weight/i,
    /act now|call now|call today/i, /sweepstakes/i, /per hour|per year/i, /money-back guarantee/i, /never ask for your password/i, /Macintosh Edition/, /[\u00c0-\u00ff]/, /confirm/i]) {
    assert.match(all, re);
  }
});
