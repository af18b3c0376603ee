// Bayes counts normalised per writing (issue 18, spam7; [spam] bayes_per_writing, off by default): a server that learnt Japanese mail beside English mail judges
// English mail as a server that learnt the English mail alone; counts learnt before the script: token existed (an
// existing install) keep the old totals, so they judge as before without relearning.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BayesStore, DEFAULT_COMBINE, SCRIPT_MIN_MESSAGES, SERVER, classify, combine, writingTotals } from '../../engine/spam/bayes.js';
import { tempDir, removeTempDirs } from './helpers.js';

after(removeTempDirs);

/** [spam] bayes_per_writing = true (off by default). */
const PER_WRITING = { ...DEFAULT_COMBINE, perWriting: true };

const LATIN = 'script:latin';
const CJK = 'script:cjk';
const EN_SPAM = ['cheap', 'pills', 'offer', 'click', 'winner', 'credit', 'free', 'meeting'];
const EN_HAM = ['agenda', 'minutes', 'patch', 'review', 'thanks', 'meeting', 'budget', 'free'];
const JA_SPAM = ['未承諾広告', '激安', '副業', '高収入', '今すぐ', '無料'];
const JA_HAM = ['会議', '議事録', '予定', 'よろしく', '資料', '無料'];
const pick = (words: string[], i: number) => words.filter((_, k) => (k + i) % 3 !== 0);

/** English mail (n of each kind), then optionally Japanese spam and ham; `script` false: as learnt before spam6. */
function learnt(n: number, jaSpam: number, jaHam: number, script = true): BayesStore {
  const s = new BayesStore(tempDir());
  const tag = (t: string[], w: string) => (script ? [...t, w] : t);
  for (let i = 0; i < n; i++) {
    s.learn(SERVER, tag([...pick(EN_SPAM, i), `s${i}`], LATIN), 'spam', `<es${i}@x>`);
    s.learn(SERVER, tag([...pick(EN_HAM, i), `h${i}`], LATIN), 'ham', `<eh${i}@x>`);
  }
  for (let i = 0; i < jaSpam; i++) s.learn(SERVER, tag(pick(JA_SPAM, i), CJK), 'spam', `<js${i}@x>`);
  for (let i = 0; i < jaHam; i++) s.learn(SERVER, tag(pick(JA_HAM, i), CJK), 'ham', `<jh${i}@x>`);
  return s;
}

test('English mail is judged the same whatever Japanese mail was learnt beside it (on the old totals it was not)', () => {
  const english = learnt(SCRIPT_MIN_MESSAGES + 10, 0, 0);
  const mixed = learnt(SCRIPT_MIN_MESSAGES + 10, 300, 20);
  try {
    for (const words of [['cheap', 'pills', 'agenda', 'meeting', 'free'], ['patch', 'review', 'click', 'free']]) {
      const msg = [...words, LATIN];
      const a = classify(english, [SERVER], msg, 10, PER_WRITING);
      const b = classify(mixed, [SERVER], msg, 10, PER_WRITING);
      assert.equal(b.probability, a.probability, `${words}: ${a.probability} vs ${b.probability}`);
      assert.equal(b.logOdds, a.logOdds, words.join(' '));
      // the default (all learnt mail): the Japanese spam made the English words look ham-like
      const byDefault = classify(mixed, [SERVER], msg, 10);
      assert.ok(byDefault.probability! < b.probability!, `${words}: ${byDefault.probability} vs ${b.probability}`);
      assert.equal(classify(english, [SERVER], msg, 10).probability, a.probability, 'English-only counts: the same either way');
    }
    // the totals a message is judged against: its writing's
    const l = mixed.lookup([SERVER], ['cheap', LATIN, CJK], 10);
    assert.deepEqual(writingTotals(l.counts, ['cheap', LATIN], l.spam, l.ham), [SCRIPT_MIN_MESSAGES + 10, SCRIPT_MIN_MESSAGES + 10]);
    assert.deepEqual(writingTotals(l.counts, ['激安', CJK], l.spam, l.ham), [l.spam, l.ham], 'too little Japanese ham learnt: the old totals');
  } finally {
    english.close();
    mixed.close();
  }
});

test('counts learnt before the script: token (an existing install) keep the old totals until most learnt mail has one', () => {
  const old = learnt(SCRIPT_MIN_MESSAGES + 10, 300, 20, false);
  try {
    const msg = ['cheap', 'pills', 'agenda', 'meeting', LATIN];
    const l = old.lookup([SERVER], msg, 10);
    assert.equal(classify(old, [SERVER], msg, 10, PER_WRITING).probability, combine(l.counts, l.spam, l.ham).probability);
    // it learns SCRIPT_MIN_MESSAGES of each kind with the token: still under WRITING_COVERAGE of all learnt mail
    for (let i = 0; i < SCRIPT_MIN_MESSAGES; i++) {
      old.learn(SERVER, [...pick(EN_SPAM, i), `n${i}`, LATIN], 'spam', `<ns${i}@x>`);
      old.learn(SERVER, [...pick(EN_HAM, i), `m${i}`, LATIN], 'ham', `<nh${i}@x>`);
    }
    const l2 = old.lookup([SERVER], [...msg, CJK], 10);
    assert.deepEqual(writingTotals(l2.counts, msg, l2.spam, l2.ham), [l2.spam, l2.ham]);
    assert.equal(classify(old, [SERVER], msg, 10, PER_WRITING).probability, combine(l2.counts, l2.spam, l2.ham).probability);
  } finally {
    old.close();
  }
});

test('[spam] bayes_per_writing = true: the server that also learnt Japanese spam scores English mail as the English-only server', async () => {
  const { Analyser } = await import('../../engine/spam/pipeline.js');
  const { closeBayesStores, learnMessage } = await import('../../engine/spam/learn.js');
  const { configFrom } = await import('./helpers.js');
  const { rawMail, toIso2022jp } = await import('./mail.js');
  const env = { mailFrom: 'sender@good.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.3', helo: 'mx.good.test' };
  const clean = { tags: ['SPF_PASS'], headers: [], authResults: [], spf: { result: 'pass', domain: 'good.test' } } as never;
  const englishDir = tempDir();
  const mixedDir = tempDir();
  for (let i = 0; i < SCRIPT_MIN_MESSAGES; i++) {
    const spam = rawMail({ subject: `offer ${i}`, body: `${pick(EN_SPAM, i).join(' ')} s${i}\r\n` });
    const ham = rawMail({ subject: `notes ${i}`, body: `${pick(EN_HAM, i).join(' ')} h${i}\r\n` });
    for (const dir of [englishDir, mixedDir]) {
      await learnMessage(dir, spam, 'spam');
      await learnMessage(dir, ham, 'ham');
    }
  }
  for (let i = 0; i < 150; i++) {
    const body = toIso2022jp(`${pick(JA_SPAM, i).join(' ')} ${'激安'.repeat((i % 3) + 1)}\r\n`);
    await learnMessage(mixedDir, rawMail({ subject: `ad ${i}`, contentType: 'text/plain; charset=ISO-2022-JP', cte: '7bit', body }), 'spam');
  }
  const analyser = (dir: string, perWriting: boolean) => new Analyser(configFrom(`[dns]\nservers = ["127.0.0.1:9"]\n[spam]\ndkim_dmarc = false\nbayes_per_writing = ${perWriting}\n`, dir));
  const a = [analyser(englishDir, false), analyser(mixedDir, true), analyser(mixedDir, false)];
  try {
    // spam words with one ham word: in a Bayes band that carries weight (spam17's fit weighs Bayes by its bands, its
    // log-odds term little, so a message at BAYES_40 scores 0 on either server and shows nothing)
    const msg = rawMail({ subject: 'hello', body: 'pills winner credit free meeting\r\n' });
    const [english, perWriting, byDefault] = await Promise.all(a.map((x) => x.analyse(msg, env, clean)));
    assert.ok(english.tags.includes('BAYES_ODDS'), english.headers);
    assert.equal(perWriting.score, english.score, `${perWriting.headers}\n${english.headers}`);
    assert.ok(byDefault.score < english.score, `off: the Japanese spam makes English words look ham-like: ${byDefault.headers}`);
  } finally {
    await Promise.all(a.map((x) => x.close()));
    closeBayesStores();
  }
});
