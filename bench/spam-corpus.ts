// Bayes accuracy on the SpamAssassin public corpus and the lab's generated Japanese mail (not run by npm
// test): learn the lab's training split through learnMessages into a fresh bayes.db, score the evaluation
// split, report recall, precision and the ham false-positive rate at the default spam probability (0.7)
// and at the best cut-off for FP ≤ 0.5%.  Run: npx tsc -p . && node dist/bench/spam-corpus.js
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classify, SERVER } from '../engine/spam/bayes.js';
import { bayesStoreFor, closeBayesStores, learnMessages, messageTokens } from '../engine/spam/learn.js';
import { loadSpamAssassin } from '../lab/corpora/spamassassin.js';
import { japaneseCorpus } from '../lab/corpora/japanese.js';
import { evaluate } from '../test/spam/metrics.js';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

async function run(name: string, train: { raw: Buffer; label: 'spam' | 'ham' }[], held: { raw: Buffer; label: 'spam' | 'ham' }[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-corpus-'));
  let t0 = Date.now();
  learnMessages(dir, train.map((m) => ({ raw: m.raw, kind: m.label })));
  const trainMs = Date.now() - t0;
  const store = bayesStoreFor(dir);
  t0 = Date.now();
  const scored = held.map((m) => ({ kind: m.label, p: classify(store, [SERVER], messageTokens(m.raw), 10).probability ?? 0.5 }));
  const evalMs = Date.now() - t0;
  const r = evaluate(scored, 0.7);
  const c = r.configured;
  const b = r.bestAtFp05;
  console.log(
    `${name}: learnt ${train.length} in ${trainMs} ms, scored ${held.length} (${c.tp + c.fn} spam, ${c.fp + c.tn} ham) in ${evalMs} ms\n` +
      `  p≥0.7: precision ${pct(c.precision)} recall ${pct(c.recall)} ham FP ${pct(c.fpRate)} (${c.fp}/${c.fp + c.tn})\n` +
      `  best recall with ham FP ≤ 0.5%: ${pct(b.recall)} at p≥${b.threshold.toFixed(3)} (FP ${pct(b.fpRate)}, precision ${pct(b.precision)})`,
  );
  closeBayesStores();
  fs.rmSync(dir, { recursive: true, force: true });
}

const train = loadSpamAssassin({ split: 'train' });
const held = loadSpamAssassin({ split: 'eval' });
if (!train.ok || !held.ok) {
  console.error(train.ok ? (held as { reason: string }).reason : train.reason);
  process.exit(1);
}
await run('SpamAssassin (lab split: easy_ham+spam → easy_ham_2+hard_ham+spam_2)', train.messages, held.messages);
const jp = japaneseCorpus({ count: 1000, seed: 1 });
await run('Japanese (lab generator, 70/30)', jp.slice(0, 700), jp.slice(700));
// both together, as a server that gets both would learn
await run('SpamAssassin + Japanese', [...train.messages, ...jp.slice(0, 700)], [...held.messages, ...jp.slice(700)]);
