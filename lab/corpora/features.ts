// What the weight fitting and the honest evaluation read of each corpus message: the content tags tegami's own
// analyser gives it (rules, HTML, charset; no Bayes, no DNS), and its Bayes tokens. Bayes probabilities come from
// counts kept in memory, out of fold where the message's own counts must not be used. Lab code: never a server path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { BAYES_ODDS_CAP, bayesLogOdds, bayesVotes, combine, DEFAULT_COMBINE, knownShare, scriptLearnt, SCRIPT_TOKENS, writingTotals } from '../../engine/spam/bayes.js';
import { messageTokens } from '../../engine/spam/learn.js';
import { Analyser } from '../../engine/spam/pipeline.js';
import { bayesBand } from '../../engine/spam/tags.js';
import { DEFAULT_TOKENISE, type TokeniseOptions } from '../../engine/spam/tokenise.js';
import { extraTokens } from './extra-tokens.js';

export interface LabelledMessage {
  id: string;
  group: string;
  label: 'spam' | 'ham';
  raw: Buffer;
}

export interface Example {
  id: string;
  group: string;
  label: 'spam' | 'ham';
  /** Content tags (no Bayes band, no connection tags). */
  tags: string[];
  tokens: string[];
  /** Date header (ms), 0 when missing or unreadable. */
  date: number;
}

const DROP = process.env.FIT_DROP_TOKENS ? new RegExp(process.env.FIT_DROP_TOKENS) : null;
/** FIT_LEAD_PAIRS=N: the tokeniser's leadPairs for a trial (the server's own default otherwise). */
const TOKENS: Readonly<TokeniseOptions> = process.env.FIT_LEAD_PAIRS ? { ...DEFAULT_TOKENISE, leadPairs: Number(process.env.FIT_LEAD_PAIRS) } : DEFAULT_TOKENISE;
/** Tags and tokens of each message, through the real analyser (Bayes and DKIM/DMARC off, no connection). */
export async function examplesOf(msgs: LabelledMessage[], rulesToml?: string): Promise<Example[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-features-'));
  try {
    if (rulesToml !== undefined) fs.writeFileSync(path.join(dir, 'rules.toml'), rulesToml);
    const toml = `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[log]\nfiles = false\n[spam]\nbayes = false\ndkim_dmarc = false\n${rulesToml !== undefined ? 'rules_file = "rules.toml"\n' : ''}`;
    const a = new Analyser(parseConfigText(toml, path.join(dir, 'tegami.toml')));
    const env = { mailFrom: 'corpus@lab.example.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.1', helo: 'corpus.lab.example.test' };
    const out: Example[] = [];
    for (const m of msgs) {
      const r = await a.analyse(m.raw, env, undefined);
      const head = m.raw.toString('latin1', 0, Math.min(m.raw.length, 16384));
      const date = Date.parse(/^Date:[ \t]*(.*)$/im.exec(head)?.[1]?.trim() ?? '') || 0;
      out.push({ id: m.id, group: m.group, label: m.label, tags: r.tags, tokens: [...(DROP ? messageTokens(m.raw, {}, TOKENS).filter((t) => !DROP.test(t)) : messageTokens(m.raw, {}, TOKENS)), ...extraTokens(m.raw)], date });
    }
    await a.close();
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Token counts in memory, as bayes.db would hold them for one owner. */
export class Counts {
  readonly map = new Map<string, [number, number]>();
  spam = 0;
  ham = 0;

  add(ex: Pick<Example, 'tokens' | 'label'>, sign = 1): void {
    const i = ex.label === 'spam' ? 0 : 1;
    if (i === 0) this.spam += sign;
    else this.ham += sign;
    for (const t of ex.tokens) {
      const c = this.map.get(t);
      if (c) c[i] += sign;
      else this.map.set(t, i === 0 ? [sign, 0] : [0, sign]);
    }
  }

  /** The spam probability of a message, as classify() gives it (null below `min` learnt of either kind). */
  probability(tokens: string[], min = 10, minus?: Counts, plus?: Counts): number | null {
    return this.verdict(tokens, min, minus, plus).p;
  }

  /** The probability and the share of the message's tokens these counts know (bayes.ts knownShare). */
  verdict(tokens: string[], min = 10, minus?: Counts, plus?: Counts): BayesView {
    const ns = this.spam - (minus?.spam ?? 0) + (plus?.spam ?? 0);
    const nh = this.ham - (minus?.ham ?? 0) + (plus?.ham ?? 0);
    if (ns < Math.max(1, min) || nh < Math.max(1, min)) return { p: null, known: 0, logOdds: 0 };
    const mine = new Map<string, [number, number]>();
    for (const t of PER_WRITING ? [...tokens, ...SCRIPT_TOKENS] : tokens) {
      const c = this.map.get(t);
      const m = minus?.map.get(t);
      const p = plus?.map.get(t);
      const s = (c?.[0] ?? 0) - (m?.[0] ?? 0) + (p?.[0] ?? 0);
      const h = (c?.[1] ?? 0) - (m?.[1] ?? 0) + (p?.[1] ?? 0);
      if (s > 0 || h > 0) mine.set(t, [s, h]);
    }
    const [ws, wh] = PER_WRITING ? writingTotals(mine, tokens, ns, nh) : [ns, nh];
    const c = combine(mine, ws, wh, LAB_COMBINE);
    return { p: c.probability ?? 0.5, known: knownShare(mine, tokens), logOdds: c.logOdds, scriptLearnt: SCRIPT_GATE && scriptLearnt(mine, tokens) };
  }
}

/** A deterministic fold number 0..k-1 for an id. */
export function foldOf(id: string, k: number, seed = 0): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % k;
}

/** What Bayes says of a message: its probability (null: untrained) and the share of its tokens it knows. */
export interface BayesView {
  p: number | null;
  known: number;
  /** log10-odds from the chi-square tails (bayes.ts combine), not bounded by the rounding of p. */
  logOdds: number;
  /** The counts learnt plenty of mail in the message's writing (bayes.ts scriptLearnt). */
  scriptLearnt?: boolean;
}

/**
 * The combination's options in the lab: the server's (DEFAULT_COMBINE), or trial values of Robinson's s (FIT_BAYES_S) and
 * the strength a token needs to be a clue (FIT_BAYES_MIN_STRENGTH), for comparing them in --dev and --holdout.
 */
const LAB_COMBINE = Object.freeze({
  ...DEFAULT_COMBINE,
  strength: Number(process.env.FIT_BAYES_S ?? DEFAULT_COMBINE.strength),
  minStrength: Number(process.env.FIT_BAYES_MIN_STRENGTH ?? DEFAULT_COMBINE.minStrength),
  hamBias: Number(process.env.FIT_BAYES_HAM_BIAS ?? DEFAULT_COMBINE.hamBias ?? 1),
});

/** FIT_PER_WRITING=1: counts divided by the learnt mail of the message's writing, as [spam] bayes_per_writing = true. */
const PER_WRITING = process.env.FIT_PER_WRITING === '1';

/** FIT_SCRIPT_GATE=0: unsure by the known share alone, as before spam6 (for comparing in --dev and --holdout). */
const SCRIPT_GATE = process.env.FIT_SCRIPT_GATE !== '0';

/** The BAYES_ODDS bound (FIT_ODDS_CAP, for comparing bounds in `--dev` only: the server uses BAYES_ODDS_CAP). */
const ODDS_CAP = Number(process.env.FIT_ODDS_CAP ?? BAYES_ODDS_CAP);

/**
 * Bayes verdicts of each training example from counts that never saw it (k folds). `learns`: which examples the
 * counts learn (all unless given); one they do not learn is judged by all the counts.
 */
export function outOfFold(train: Example[], k = 5, seed = 1, key: (e: Example) => string = (e) => e.id, learns: (e: Example) => boolean = () => true): BayesView[] {
  const total = new Counts();
  const folds = Array.from({ length: k }, () => new Counts());
  const fold = train.map((e) => foldOf(key(e), k, seed));
  train.forEach((e, i) => {
    if (!learns(e)) return;
    total.add(e);
    folds[fold[i]].add(e);
  });
  return train.map((e, i) => total.verdict(e.tokens, 10, learns(e) ? folds[fold[i]] : undefined));
}

/** Whether Bayes votes on a message with its weights (it learnt enough, and knows enough of the message's tokens). */
export function confident(b: BayesView): b is { p: number; known: number; logOdds: number } {
  return bayesVotes({ probability: b.p, known: b.known, scriptLearnt: b.scriptLearnt });
}

export interface Featured {
  features: string[];
  values?: Record<string, number>;
}

/**
 * The features of a message for a score set: its content tags, and when Bayes votes its band and its log-odds
 * (BAYES_ODDS, valued; `odds: false` leaves it out, for the bands-only variant).
 */
export function features(tags: string[], b: BayesView, withBayes: boolean, odds = true): Featured {
  if (!withBayes || !confident(b)) return { features: tags };
  return odds ? { features: [...tags, bayesBand(b.p), 'BAYES_ODDS'], values: { BAYES_ODDS: bayesLogOdds(b.p, b.logOdds, ODDS_CAP) } } : { features: [...tags, bayesBand(b.p)] };
}

/** The log-odds an unsure Bayes adds (times the BAYES_ODDS weight and the unsure share), as the pipeline bounds it. */
export function unsureOddsOf(b: BayesView): number {
  return b.p === null ? 0 : bayesLogOdds(b.p, b.logOdds, ODDS_CAP);
}
