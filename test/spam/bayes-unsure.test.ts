// The combined verdict when Bayes is unsure of a message (issue 18): a server whose Bayes learnt only English mail
// still files Japanese spam by its rules and keeps Japanese ham; English mail it knows is judged with Bayes' vote.
// Also the legitimate-bulk-mail tag: a newsletter unsubscribing on its sender's own domain weighs negative.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Analyser } from '../../engine/spam/pipeline.js';
import { SCRIPT_MIN_MESSAGES } from '../../engine/spam/bayes.js';
import { closeBayesStores, learnMessage } from '../../engine/spam/learn.js';
import { japaneseWritten } from '../../lab/corpora/japanese-written.js';
import { UNSURE_ENTRY, UNSURE_ODDS_ENTRY, unsureOddsShare, unsureScale } from '../../engine/spam/scores.js';
import type { ConnectionResult } from '../../engine/spam/types.js';
import { configFrom, tempDir, removeTempDirs } from './helpers.js';
import { rawMail } from './mail.js';

const analysers: Analyser[] = [];
after(async () => {
  await Promise.all(analysers.map((a) => a.close()));
  closeBayesStores();
  removeTempDirs();
});

const env = { mailFrom: 'sender@good.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.3', helo: 'mx.good.test' };
const clean: ConnectionResult = { tags: ['SPF_PASS'], headers: [], authResults: ['spf=pass smtp.mailfrom=sender@good.test'], spf: { result: 'pass', domain: 'good.test' } };

const SPAM_WORDS = ['cheap', 'pills', 'discount', 'pharmacy', 'order', 'now', 'limited', 'offer', 'free', 'winner', 'click', 'money', 'credit', 'mortgage', 'rates'];
const HAM_WORDS = ['minutes', 'project', 'meeting', 'agenda', 'budget', 'review', 'schedule', 'quarter', 'patch', 'release', 'build', 'kernel', 'thanks', 'regards', 'list'];
const pickWords = (words: string[], i: number) => words.filter((_, k) => (k + i) % 4 !== 0).join(' ');

async function englishOnlyServer(count = 20): Promise<Analyser> {
  const dir = tempDir();
  for (let i = 0; i < count; i++) {
    await learnMessage(dir, rawMail({ subject: `offer ${i}`, body: `${pickWords(SPAM_WORDS, i)} http://pills${i % 3}.spam.test/` }), 'spam');
    await learnMessage(dir, rawMail({ subject: `meeting ${i}`, body: `${pickWords(HAM_WORDS, i)}\r\n` }), 'ham');
  }
  const a = new Analyser(configFrom('[dns]\nservers = ["127.0.0.1:9"]\n[spam]\ndkim_dmarc = false\n', dir));
  analysers.push(a);
  return a;
}

test('Bayes that learnt only English mail is unsure of Japanese mail: the rules file Japanese spam, Japanese ham stays', async () => {
  const a = await englishOnlyServer();
  const set = japaneseWritten();
  let spamCaught = 0;
  const spam = set.filter((m) => m.label === 'spam');
  for (const m of set) {
    const r = await a.analyse(m.raw, env, clean);
    assert.ok(!r.tags.includes('BAYES_ODDS'), `Bayes votes on ${m.id} although it knows few of its words: ${r.headers}`);
    assert.doesNotMatch(r.headers, /X-IMAIL-SPAM-STATISTICS|BAYES_\d/, `an unsure Bayes writes no verdict of its own: ${r.headers}`);
    if (m.label === 'ham') assert.notEqual(r.action, 'spam', `ham ${m.id} judged spam: ${r.headers}`);
    else if (r.action === 'spam') spamCaught++;
  }
  // the hand-written set (never fitted on) at issue 18's day-one bar: ≥ 80% of its spam, none of its ham
  assert.ok(spamCaught >= 0.8 * spam.length, `${spamCaught} of ${spam.length} Japanese spams judged spam`);
});

test('an unsure Bayes puts the rules-only score on the with_bayes scale (one ranking) and keeps a share of its own log-odds', async () => {
  const a = await englishOnlyServer();
  const fresh = new Analyser(configFrom('[dns]\nservers = ["127.0.0.1:9"]\n[spam]\nbayes = false\ndkim_dmarc = false\n'));
  analysers.push(fresh);
  const scale = unsureScale(a.rules.about);
  // (a stretch or, since spam12's fit with the bulk mail as ham, a slight squeeze: 1.232 / 1.255; either way not 1)
  assert.ok(scale !== undefined && Math.abs(scale - 1) > 0.01, `the fitted slopes give a scale: ${JSON.stringify(a.rules.about)}`);
  const share = unsureOddsShare(a.rules.about);
  assert.ok(share > 0 && share < 1, `scores.toml gives the unsure share of Bayes' term: ${JSON.stringify(a.rules.about)}`);
  const score = (headers: string) => Number(/score=(-?[\d.]+)/.exec(headers)?.[1]);
  const entry = (headers: string, name: string) => Number(new RegExp(`${name}\\((-?[\\d.]+)\\)`).exec(headers)?.[1] ?? 0);
  let scaled = 0;
  let withOdds = 0;
  for (const m of japaneseWritten()) {
    const u = await a.analyse(m.raw, env, clean);
    const n = await fresh.analyse(m.raw, env, clean);
    // a new install has nothing to be unsure of: its score is the rules-only score as fitted, with no Bayes term
    assert.doesNotMatch(n.headers, new RegExp(`${UNSURE_ENTRY}|${UNSURE_ODDS_ENTRY}`), n.headers);
    // the unsure score: the stretched rules-only score, plus what Bayes still says (its own summary entry)
    const odds = entry(u.headers, UNSURE_ODDS_ENTRY);
    // (the Bayes entry is read from the header at one decimal: up to 0.05 off; the stretch's shift, the Bayes entry and
    // the total are each rounded to 0.01 by scores.ts decide(): up to 0.005 each; and the new install's total, rounded
    // to 0.01 too, is multiplied by the stretch here: up to 0.005 × scale. 0.065 before spam9 left that last term out,
    // and a refit whose roundings fell the other way (jw-spam-027: 0.069 off, scale 2.95) showed it)
    const rounding = 0.05 + 3 * 0.005 + 0.005 * scale;
    assert.ok(Math.abs(u.score - odds - 5 - scale * (n.score - 5)) <= rounding + 1e-9, `${m.id}: unsure ${u.score} (Bayes ${odds}), new install ${n.score}, scale ${scale}`);
    assert.equal(score(u.headers), Math.round(u.score * 100) / 100, u.headers); // the total at two decimals (headers.ts)
    // the entry is written when the shift rounds to a cent or more (scores.ts decide())
    if (Math.round((scale - 1) * (n.score - 5) * 100) !== 0) {
      assert.match(u.headers, new RegExp(`${UNSURE_ENTRY}\\(-?\\d`), u.headers);
      scaled++;
    }
    if (odds !== 0) withOdds++;
  }
  assert.ok(scaled > 100, `${scaled} messages scaled`);
  assert.ok(withOdds > 0, 'an unsure Bayes that leans one way says so');
});

test('English spam full of words Bayes never saw: unsure, and Bayes still lifts it by what it knows', async () => {
  const a = await englishOnlyServer();
  // hash-busting: a few known spam words among many random ones, so under 30% of its tokens are known
  const junk = Array.from({ length: 60 }, (_, i) => `zq${(i * 7919).toString(36)}x${i}`).join(' ');
  const r = await a.analyse(rawMail({ subject: 'offer', body: `cheap pills discount pharmacy order now ${junk}` }), env, clean);
  assert.ok(!r.tags.includes('BAYES_ODDS'), `Bayes does not vote: ${r.headers}`);
  const odds = Number(new RegExp(`${UNSURE_ODDS_ENTRY}\\((-?[\\d.]+)\\)`).exec(r.headers)?.[1]);
  assert.ok(odds > 0, `an unsure Bayes that leans to spam adds a positive share of its term: ${r.headers}`);
  const unsure = Number(new RegExp(`${UNSURE_ENTRY}\\((-?[\\d.]+)\\)`).exec(r.headers)?.[1] ?? 0);
  assert.ok(r.score - odds - unsure < 5, `the rules alone would not file it: ${r.headers}`);
});

test('a server that learnt plenty of English mail votes on English spam full of words it never saw; Japanese mail stays unsure', async () => {
  // SCRIPT_MIN_MESSAGES (50) of each kind in Latin script: rare words no longer make Bayes unsure of English mail
  const a = await englishOnlyServer(SCRIPT_MIN_MESSAGES);
  const junk = Array.from({ length: 60 }, (_, i) => `zq${(i * 7919).toString(36)}x${i}`).join(' ');
  const r = await a.analyse(rawMail({ subject: 'offer', body: `cheap pills discount pharmacy order now ${junk}` }), env, clean);
  assert.ok(r.tags.includes('BAYES_ODDS'), `Bayes votes on hash-busting English spam: ${r.headers}`);
  assert.doesNotMatch(r.headers, new RegExp(`${UNSURE_ENTRY}|${UNSURE_ODDS_ENTRY}`), r.headers);
  assert.equal(r.action, 'spam', r.headers);
  // its Japanese mail is in a writing it never learnt: unsure, judged by the rules, no ham filed
  for (const m of japaneseWritten().filter((x) => x.label === 'ham').slice(0, 20)) {
    const j = await a.analyse(m.raw, env, clean);
    assert.ok(!j.tags.includes('BAYES_ODDS'), `Bayes votes on ${m.id}: ${j.headers}`);
    assert.notEqual(j.action, 'spam', `${m.id}: ${j.headers}`);
  }
});

test('English mail Bayes knows is judged with its vote (band and log-odds in the score)', async () => {
  const a = await englishOnlyServer();
  const s = await a.analyse(rawMail({ subject: 'offer', body: `${pickWords(SPAM_WORDS, 7)} http://pills1.spam.test/` }), env, clean);
  assert.ok(s.tags.includes('BAYES_ODDS'), s.headers);
  assert.equal(s.action, 'spam', s.headers);
  assert.match(s.headers, /BAYES_ODDS\([1-9]\d*\.\d\)/);
  const h = await a.analyse(rawMail({ subject: 'meeting', body: pickWords(HAM_WORDS, 7) }), env, clean);
  assert.ok(h.tags.includes('BAYES_ODDS'), h.headers);
  assert.equal(h.action, 'inbox', h.headers);
  assert.match(h.headers, /BAYES_ODDS\(-\d+\.\d\)/);
});

test('a newsletter whose List-Unsubscribe is on its sender\'s own domain gets LIST_UNSUB_ALIGNED, weighing negative', async () => {
  const a = new Analyser(configFrom('[spam]\nbayes = false\ndkim_dmarc = false\n'));
  analysers.push(a);
  const letter = (from: string, unsub: string) =>
    rawMail({ from, subject: 'Our December newsletter', headers: [`List-Unsubscribe: ${unsub}`], body: 'This month in the shop: new arrivals and events.\r\n' });
  const aligned = await a.analyse(letter('Shop News <news@shop.example.jp>', '<https://mail.shop.example.jp/unsub?u=1>, <mailto:leave-1@list.shop.example.jp>'), env, clean);
  assert.ok(aligned.tags.includes('LIST_UNSUB_ALIGNED' as never), aligned.headers);
  assert.match(aligned.headers, /LIST_UNSUB_ALIGNED\(-\d+(\.\d+)?\)/);
  assert.match(aligned.headers, /X-IMAIL-SPAM-RULES: .*LIST_UNSUB_ALIGNED \(List-Unsubscribe on example\.jp\)/);
  // another domain, a free-mail sender, or no List-Unsubscribe at all: no tag
  for (const [from, unsub] of [
    ['Shop News <news@shop.example.jp>', '<https://unsub.bulk-sender.test/x>'],
    ['Winner <promo@gmail.com>', '<mailto:stop@gmail.com>'],
  ]) {
    const r = await a.analyse(letter(from, unsub), env, clean);
    assert.ok(!r.tags.includes('LIST_UNSUB_ALIGNED' as never), `${from} / ${unsub}: ${r.headers}`);
  }
  const none = await a.analyse(rawMail({ from: 'news@shop.example.jp', subject: 'hello', body: 'hi\r\n' }), env, clean);
  assert.ok(!none.tags.includes('LIST_UNSUB_ALIGNED' as never));
});
