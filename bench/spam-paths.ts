// Why one filter ranks differently over SMTP than in process (issue 18, spam16): a fold of the learn half judged both
// ways with the shipped weights, compared message by message. Run `tegami lab run scenarios/spam-paths.toml` first
// (the lab's tegami learns the other 4 folds through `tegami spam learn` and judges this one over SMTP, writing each
// verdict header to a file), then:
//   node dist/bench/spam-paths.js reports/spam-paths-verdicts.jsonl [fold]
// In process, the same fold is judged by lab/corpora/protocol.ts judge() with scores.toml's weights, twice: with the
// Bayes counts of the other folds alone (what the server learnt) and with the Japanese training mail added to them
// (what bench/spam-fit.ts's counts hold). For each view: recall at FP ≤ 0.5% / 1% and the default verdict on the fold,
// and against the SMTP verdicts how many messages differ, in which tags, Bayes band and score (SPAM_PATHS_LIST=1 lists
// each differing message). Never reads the judged half.
import fs from 'node:fs';
import { loadRuleSet } from '../engine/spam/rules/rules.js';
import { Counts, examplesOf, foldOf } from '../lab/corpora/features.js';
import { figures, pct, type Scored } from '../lab/corpora/fit.js';
import { japaneseCorpus } from '../lab/corpora/japanese.js';
import { japaneseTraining } from '../lab/corpora/japanese-training.js';
import { judge, serverCounts, shippedModel } from '../lab/corpora/protocol.js';
import { learnHalfFold } from '../lab/corpora/spamassassin.js';

interface Verdict {
  id: string;
  group: string;
  label: 'spam' | 'ham';
  header?: string;
  refused?: string;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node dist/bench/spam-paths.js VERDICTS.jsonl [fold]');
  process.exit(2);
}
const fold = Number(process.argv[3] ?? 0);
const verdicts = new Map<string, Verdict>();
for (const l of fs.readFileSync(file, 'utf8').split('\n')) if (l.trim()) verdicts.set((JSON.parse(l) as Verdict).id, JSON.parse(l) as Verdict);

const split = learnHalfFold(fold, foldOf);
if (!split.ok) throw new Error(split.reason);
const learnt = await examplesOf(split.learnt);
const judged = await examplesOf(split.judged);
const japanese = await examplesOf([...japaneseCorpus({ count: 400, seed: 101 }).map((m) => ({ ...m, group: 'japanese-gen' })), ...japaneseTraining()]);

const english = serverCounts([...learnt, ...japanese]);
const withJapanese = new Counts();
for (const e of [...learnt, ...japanese]) withJapanese.add(e);
const model = shippedModel(loadRuleSet(undefined, undefined), [...learnt, ...judged].flatMap((e) => e.tags), english);

/** The server's verdict header: score and tags with their weights. */
function parseHeader(v: Verdict): { score: number; tags: Map<string, number> } {
  if (v.refused || !v.header) return { score: v.refused ? Infinity : -Infinity, tags: new Map() };
  const score = Number(/\bscore=(-?[\d.]+)/.exec(v.header)?.[1]);
  const tags = new Map<string, number>();
  for (const m of (/\btags=(\S+)/.exec(v.header)?.[1] ?? '').matchAll(/([A-Z][A-Z0-9_]*)\((-?\d+(?:\.\d+)?)\)/g)) tags.set(m[1]!, Number(m[2]));
  return { score, tags };
}

const smtp = judged.map((e) => {
  const v = verdicts.get(e.id);
  if (!v) throw new Error(`${e.id}: no SMTP verdict in ${file} (was it written for fold ${fold}?)`);
  return { e, ...parseHeader(v) };
});
const views: Array<[string, Counts]> = [
  ['in process, counts of the other folds (what the server learnt)', english],
  ['in process, the same counts plus the Japanese training mail (spam-fit\'s counts)', withJapanese],
];
const line = (name: string, xs: Scored[]) => {
  const f = figures(xs);
  return `| ${name} | ${pct(f.at05)} | ${pct(f.at1)} | ${pct(f.recall)} / ${pct(f.fpRate, 2)} (${f.fp}) |`;
};
console.log(`fold ${fold} of the learn half: ${judged.length} judged (${judged.filter((e) => e.label === 'spam').length} spam), ${learnt.length} learnt\n| | FP ≤ 0.5% | FP ≤ 1% | default: recall / FP |\n|---|---:|---:|---:|`);
console.log(line('over SMTP (the verdict header)', smtp.map((x) => ({ score: x.score, label: x.e.label, group: x.e.group }))));
const BAYES = /^BAYES_|^STATISTICS/;
const SERVER_ONLY = /^(?:SPF_|DKIM_|DMARC_|VAL|DNSBL|CONNECTION_CAP$|BAYES_UNSURE)/;
const diffs: string[] = [];
for (const [name, counts] of views) {
  const scored = judge(model, judged, true, counts);
  console.log(line(name, scored));
  let differ = 0;
  let sureDiffers = 0;
  let sumAbs = 0;
  let largest = 0;
  const shift = { spam: [0, 0], ham: [0, 0] };
  const tagOnly = new Map<string, [number, number]>();
  scored.forEach((s, i) => {
    const x = smtp[i]!;
    const d = x.score - s.score;
    if (Number.isFinite(d)) {
      largest = Math.max(largest, Math.abs(d));
      shift[x.e.label][0] += d;
      shift[x.e.label][1]++;
    }
    const inProcess = new Set(judged[i]!.tags);
    const serverSure = [...x.tags.keys()].some((t) => /^BAYES_\d/.test(t));
    if (serverSure !== s.sure) sureDiffers++;
    for (const t of x.tags.keys()) if (!BAYES.test(t) && !SERVER_ONLY.test(t) && !inProcess.has(t)) (tagOnly.get(`+${t}`) ?? tagOnly.set(`+${t}`, [0, 0]).get(`+${t}`)!)[x.e.label === 'spam' ? 0 : 1]++;
    for (const t of inProcess) if (!x.tags.has(t) && (model.withBayes.weights.get(t) ?? 0) !== 0) (tagOnly.get(`-${t}`) ?? tagOnly.set(`-${t}`, [0, 0]).get(`-${t}`)!)[x.e.label === 'spam' ? 0 : 1]++;
    if (Math.abs(d) > 0.06) {
      differ++;
      sumAbs += Math.abs(d);
      if (diffs.length < 400) diffs.push(`${name.slice(0, 40)}… ${x.e.id} ${x.e.label}: SMTP ${x.score} in process ${s.score} (p ${s.p?.toFixed(4)}, ${s.sure ? 'sure' : 'unsure'}); SMTP tags ${[...x.tags].map(([t, w]) => `${t}(${w})`).join(',')}; in-process tags ${judged[i]!.tags.join(',')}`);
    }
  });
  console.log(`  against SMTP: ${differ} of ${judged.length} differ by more than 0.06 (mean |difference| ${differ ? (sumAbs / differ).toFixed(2) : 0}, largest ${largest.toFixed(2)}; SMTP minus in process on average: spam ${(shift.spam[0] / Math.max(1, shift.spam[1])).toFixed(2)}, ham ${(shift.ham[0] / Math.max(1, shift.ham[1])).toFixed(2)}); Bayes votes on one side only: ${sureDiffers}; tags on one side only (+ SMTP, − in process; spam/ham): ${[...tagOnly].map(([t, [a, b]]) => `${t} ${a}/${b}`).join(', ') || 'none'}`);
}
if (process.env.SPAM_PATHS_LIST === '1') for (const d of diffs) console.log(d);
