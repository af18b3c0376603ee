// The Bayesian filter (F4): token counts per owner ('' = the whole server, else a user address) in SQLite
// <data_dir>/bayes.db (WAL), and the Robinson/Fisher chi-square combination of token probabilities.
// Learning the same message twice counts once; relearning it as the other kind moves its counts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fisherLogOdds } from './chi2.js';
import { isScriptToken, knownShare, MIN_KNOWN_SHARE, scriptLearnt, SCRIPT_TOKENS, writingTotals } from './bayes-writing.js';
export { KNOWN_MIN_COUNT, MIN_KNOWN_SHARE, SCRIPT_MIN_MESSAGES, SCRIPT_TOKENS, WRITING_COVERAGE, knownShare, scriptLearnt, writingTotals } from './bayes-writing.js';

export const SERVER = '';

export interface Totals {
  spam: number;
  ham: number;
}

/** What one message's Bayes vote needs: the owners' summed totals and their summed counts of its tokens. */
export interface BayesLookup {
  spam: number;
  ham: number;
  /** Only the tokens some owner has counts for; empty when the totals are below the lookup's minimum. */
  counts: Map<string, [number, number]>;
}

/**
 * Where the filter reads and learns: the data dir's bayes.db (BayesStore, the default) or PostgreSQL shared by
 * every node (PgBayesStore, [storage] backend = "postgres"). Sync or async, so callers always await.
 */
/** A message's tokens, or a function giving them (tokenising is skipped while Bayes has learnt too little). */
export type Tokens = string[] | (() => string[]);
export const tokensOf = (t: Tokens): string[] => (typeof t === 'function' ? t() : t);

export interface BayesBackend {
  /** The totals of `owners` summed, and (when both reach `minMessages`) their counts of `tokens` summed. */
  lookup(owners: string[], tokens: Tokens, minMessages: number): BayesLookup | Promise<BayesLookup>;
  learn(owner: string, tokens: string[], kind: 'spam' | 'ham', messageId?: string): boolean | Promise<boolean>;
  learnMany(owner: string, items: LearnItem[]): number | Promise<number>;
  close(): void | Promise<void>;
}

export interface LearnItem {
  tokens: string[];
  kind: 'spam' | 'ham';
  messageId?: string;
}

/** A learnt message's key: its Message-ID and token set, so the copy a user moves later is the same message. */
export function learntKey(messageId: string, tokens: readonly string[]): string {
  return crypto.createHash('sha256').update(messageId + '\0' + [...tokens].sort().join('\n')).digest('base64url');
}

/** Token counts kept in memory per store, at most this many (then the cache starts over). */
const CACHE_MAX_TOKENS = 100_000;
const NONE: readonly [number, number] = Object.freeze([0, 0]) as readonly [number, number];

export class BayesStore implements BayesBackend {
  readonly db: Database.Database;
  private readonly stmts;
  /**
   * Counts already read, per owner (a token absent from the database is kept as NONE). Valid while nobody writes:
   * a write through this connection clears it, and PRAGMA data_version tells of a commit by any other connection
   * (another worker, the IMAP server learning a moved message, `tegami spam learn`).
   */
  private readonly cache = new Map<string, Map<string, readonly [number, number]>>();
  private readonly cachedTotals = new Map<string, Totals>();
  private cacheSize = 0;
  private cacheVersion = -1;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'bayes.db'), { timeout: 5000 });
    // several worker threads may open it at once: wait for each other's locks before switching to WAL
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS tokens (owner TEXT NOT NULL, token TEXT NOT NULL, spam INTEGER NOT NULL DEFAULT 0, ham INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (owner, token)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS totals (owner TEXT PRIMARY KEY, spam INTEGER NOT NULL DEFAULT 0, ham INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS learnt (owner TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (owner, key)) WITHOUT ROWID;`);
    this.stmts = {
      dataVersion: this.db.prepare<[], number>('PRAGMA data_version').pluck(),
      totals: this.db.prepare<[string], { spam: number; ham: number }>('SELECT spam, ham FROM totals WHERE owner = ?'),
      counts: this.db.prepare<[string, string], { token: string; spam: number; ham: number }>(
        'SELECT token, spam, ham FROM tokens WHERE owner = ? AND token IN (SELECT value FROM json_each(?))',
      ),
      learnt: this.db.prepare<[string, string], { kind: string }>('SELECT kind FROM learnt WHERE owner = ? AND key = ?'),
      setLearnt: this.db.prepare('INSERT OR REPLACE INTO learnt (owner, key, kind) VALUES (?, ?, ?)'),
      addSpam: this.db.prepare('INSERT INTO tokens (owner, token, spam, ham) VALUES (?, ?, ?, 0) ON CONFLICT (owner, token) DO UPDATE SET spam = max(0, spam + excluded.spam)'),
      addHam: this.db.prepare('INSERT INTO tokens (owner, token, spam, ham) VALUES (?, ?, 0, ?) ON CONFLICT (owner, token) DO UPDATE SET ham = max(0, ham + excluded.ham)'),
      addTotals: this.db.prepare(
        'INSERT INTO totals (owner, spam, ham) VALUES (?, ?, ?) ON CONFLICT (owner) DO UPDATE SET spam = max(0, spam + excluded.spam), ham = max(0, ham + excluded.ham)',
      ),
    };
  }

  /** Drop what was read when the database changed since (another connection committed). */
  private revalidate(): void {
    const v = this.stmts.dataVersion.get() as number;
    if (v !== this.cacheVersion || this.cacheSize > CACHE_MAX_TOKENS) this.forget(v);
  }

  private forget(version = this.cacheVersion): void {
    this.cache.clear();
    this.cachedTotals.clear();
    this.cacheSize = 0;
    this.cacheVersion = version;
  }

  totals(owner: string): Totals {
    this.revalidate();
    return this.totalsRead(owner);
  }

  /** totals() without the data_version check (lookup() checks once for the whole message). */
  private totalsRead(owner: string): Totals {
    let t = this.cachedTotals.get(owner);
    if (!t) {
      t = this.stmts.totals.get(owner) ?? { spam: 0, ham: 0 };
      this.cachedTotals.set(owner, t);
    }
    return { ...t };
  }

  counts(owner: string, tokens: string[]): Map<string, [number, number]> {
    this.revalidate();
    return this.countsRead(owner, tokens);
  }

  private countsRead(owner: string, tokens: string[]): Map<string, [number, number]> {
    let known = this.cache.get(owner);
    if (!known) this.cache.set(owner, (known = new Map()));
    const missing = tokens.filter((t) => !known.has(t));
    if (missing.length) {
      for (const t of missing) known.set(t, NONE);
      for (const r of this.stmts.counts.all(owner, JSON.stringify(missing))) known.set(r.token, [r.spam, r.ham]);
      this.cacheSize += missing.length;
    }
    const m = new Map<string, [number, number]>();
    for (const t of tokens) {
      const c = known.get(t)!;
      if (c !== NONE) m.set(t, [c[0], c[1]]);
    }
    return m;
  }

  /**
   * Add one message's tokens as spam or ham; returns false when it was already learnt as that kind.
   * A message is known by its Message-ID and token set, so the copy a user moves later is the same message.
   */
  learn(owner: string, tokens: string[], kind: 'spam' | 'ham', messageId = ''): boolean {
    const key = learntKey(messageId, tokens);
    this.forget();
    return this.db.transaction(() => {
      const prev = this.stmts.learnt.get(owner, key)?.kind;
      if (prev === kind) return false;
      if (prev) this.apply(owner, tokens, prev as 'spam' | 'ham', -1);
      this.apply(owner, tokens, kind, 1);
      this.stmts.setLearnt.run(owner, key, kind);
      return true;
    })();
  }

  /**
   * Learn many messages in one transaction, summing token deltas first (corpus training, `tegami spam learn`).
   * Same rules as learn(); returns how many messages changed the counts.
   */
  learnMany(owner: string, items: LearnItem[]): number {
    this.forget();
    return this.db.transaction(() => {
      const delta = new Map<string, [number, number]>();
      const totals: [number, number] = [0, 0];
      const seen = new Map<string, 'spam' | 'ham'>();
      let changed = 0;
      const bump = (tokens: string[], kind: 'spam' | 'ham', d: number) => {
        const i = kind === 'spam' ? 0 : 1;
        totals[i] += d;
        for (const t of tokens) {
          const c = delta.get(t);
          if (c) c[i] += d;
          else delta.set(t, i === 0 ? [d, 0] : [0, d]);
        }
      };
      for (const it of items) {
        const key = learntKey(it.messageId ?? '', it.tokens);
        const prev = seen.get(key) ?? (this.stmts.learnt.get(owner, key)?.kind as 'spam' | 'ham' | undefined);
        if (prev === it.kind) continue;
        if (prev) bump(it.tokens, prev, -1);
        bump(it.tokens, it.kind, 1);
        seen.set(key, it.kind);
        this.stmts.setLearnt.run(owner, key, it.kind);
        changed++;
      }
      for (const [t, [sp, hm]] of delta) {
        if (sp) this.stmts.addSpam.run(owner, t, sp);
        if (hm) this.stmts.addHam.run(owner, t, hm);
      }
      if (totals[0] || totals[1]) this.stmts.addTotals.run(owner, totals[0], totals[1]);
      return changed;
    })();
  }

  /** The owners' totals, and their token counts once both totals reach minMessages (most users never learnt: no reads). */
  lookup(owners: string[], tokensLater: Tokens, minMessages: number): BayesLookup {
    let spam = 0;
    let ham = 0;
    const learnt: string[] = [];
    this.revalidate(); // one data_version read per message, whatever the number of owners
    for (const o of owners) {
      const t = this.totalsRead(o);
      spam += t.spam;
      ham += t.ham;
      if (t.spam + t.ham > 0) learnt.push(o);
    }
    const counts = new Map<string, [number, number]>();
    if (spam < Math.max(1, minMessages) || ham < Math.max(1, minMessages)) return { spam, ham, counts };
    const tokens = tokensOf(tokensLater);
    for (const o of learnt) {
      for (const [tok, [s, h]] of this.countsRead(o, tokens)) {
        const c = counts.get(tok);
        if (c) {
          c[0] += s;
          c[1] += h;
        } else counts.set(tok, [s, h]);
      }
    }
    return { spam, ham, counts };
  }

  private apply(owner: string, tokens: string[], kind: 'spam' | 'ham', delta: 1 | -1): void {
    const st = kind === 'spam' ? this.stmts.addSpam : this.stmts.addHam;
    for (const t of tokens) st.run(owner, t, delta);
    this.stmts.addTotals.run(owner, kind === 'spam' ? delta : 0, kind === 'ham' ? delta : 0);
  }

  close(): void {
    this.db.close();
  }
}

export interface BayesVerdict {
  /** Spam probability 0..1, or null when the database has not learnt enough to vote. */
  probability: number | null;
  /** The strongest clues, for the verbose log. */
  clues: [string, number][];
  /** The share of the message's distinct tokens the counts have seen at least KNOWN_MIN_COUNT times (0..1). */
  known: number;
  /** log10(p / (1 − p)) from the chi-square tails (chi2.ts), unbounded: it still orders mail whose p rounds to 0 or 1. */
  logOdds: number;
  /** The counts learnt at least SCRIPT_MIN_MESSAGES spam and ham in the message's writing (its script: token). */
  scriptLearnt?: boolean;
}

/** Whether Bayes votes with its weights on a message: it knows enough of its tokens, or learnt plenty of its writing. */
export function bayesVotes(v: Pick<BayesVerdict, 'probability' | 'known' | 'scriptLearnt'>): boolean {
  return v.probability !== null && (v.known >= MIN_KNOWN_SHARE || v.scriptLearnt === true);
}

/**
 * The Bayes term of the score: log10 of the odds p / (1 − p), within ±BAYES_ODDS_CAP, so a spam probability of
 * 0.999 counts 3 and 0.001 counts −3. With `logOdds` (the verdict's, from the chi-square tails) mail whose p has
 * rounded to 0 or 1 keeps its order up to the cap; without it, p is clamped at 1e-12 from either end (±12).
 * Its weight (the BAYES_ODDS tag, per unit of log-odds) is fitted with the rules' weights.
 */
export const BAYES_ODDS_CAP = 30;
export function bayesLogOdds(p: number, logOdds?: number, cap = BAYES_ODDS_CAP): number {
  let z = logOdds;
  if (z === undefined || Number.isNaN(z)) {
    const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
    z = Math.log10(q / (1 - q));
  }
  return Math.round(Math.min(cap, Math.max(-cap, z)) * 1000) / 1000;
}

/**
 * Robinson/SpamBayes combining parameters. Measured on the SpamAssassin corpus (bench/spam-corpus.ts): a token
 * must be at least 0.3 away from 0.5 to be a clue (SpamBayes uses 0.1); the many weak clues of commercial
 * ham and of spam that carries ham words only pulled both kinds towards "unsure".
 */
export interface CombineOptions {
  /** Robinson's s: the strength of the prior for a rarely seen token. */
  strength: number;
  /** Robinson's x: the prior probability of an unknown token. */
  prior: number;
  /** Tokens nearer 0.5 than this are no clue. */
  minStrength: number;
  /** At most this many clues, strongest first. */
  maxClues: number;
  /**
   * Divide a message's token counts by the learnt mail of its writing, not all learnt mail (writingTotals; [spam]
   * bayes_per_writing). Off by default: chosen against on the learn half's holdout (docs/spam.md, spam7).
   */
  perWriting?: boolean;
  /**
   * Graham's bias against false positives: a token's ham count weighs this many times its spam count (1: none). The
   * lab's fit learnt its Bayes view with the Japanese training mail swelling the spam total, a lean of about this kind
   * the server never had (docs/spam.md, spam16).
   */
  hamBias?: number;
}

export const DEFAULT_COMBINE: Readonly<CombineOptions> = Object.freeze({ strength: 0.45, prior: 0.5, minStrength: 0.3, maxClues: 150, perWriting: false });

/** chi-square survival function for even degrees of freedom. */
function chi2Q(x2: number, v: number): number {
  const m = x2 / 2;
  let term = Math.exp(-m);
  let sum = term;
  for (let i = 1; i < v / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

/** Score tokens against summed counts of several owners (server + user). */
/** tokens: the message's tokens, or a function giving them, called only when enough mail was learnt to classify. */
export function classify(store: BayesStore, owners: string[], tokens: Tokens, minMessages: number, opts: Readonly<CombineOptions> = DEFAULT_COMBINE): BayesVerdict {
  let used: string[] = [];
  const l = store.lookup(owners, () => withScripts((used = tokensOf(tokens)), opts), minMessages);
  return verdictOf(l, used, minMessages, opts);
}

/** classify() over any backend (the data dir's bayes.db, or PostgreSQL: one round trip). */
export async function classifyWith(backend: BayesBackend, owners: string[], tokens: Tokens, minMessages: number, opts: Readonly<CombineOptions> = DEFAULT_COMBINE): Promise<BayesVerdict> {
  let used: string[] = [];
  const l = await backend.lookup(owners, () => withScripts((used = tokensOf(tokens)), opts), minMessages);
  return verdictOf(l, used, minMessages, opts);
}

/** The tokens to look up: the message's, and (counts normalised per writing) every writing's script: token. */
const withScripts = (tokens: string[], opts: Readonly<CombineOptions>): string[] => (opts.perWriting ? [...tokens, ...SCRIPT_TOKENS] : tokens);

function verdictOf(l: BayesLookup, tokens: string[], minMessages: number, opts: Readonly<CombineOptions>): BayesVerdict {
  if (l.spam < Math.max(1, minMessages) || l.ham < Math.max(1, minMessages)) return { probability: null, clues: [], known: 0, logOdds: 0 };
  const [ns, nh] = opts.perWriting ? writingTotals(l.counts, tokens, l.spam, l.ham) : [l.spam, l.ham];
  return { ...combine(l.counts, ns, nh, opts), known: knownShare(l.counts, tokens), scriptLearnt: scriptLearnt(l.counts, tokens) };
}

/** How near 0 or 1 p may come before its log-odds are taken from the chi-square tails instead (chi2.ts). */
const SATURATED = 1e-9;

export function combine(counts: Map<string, [number, number]>, nspam: number, nham: number, opts: Readonly<CombineOptions> = DEFAULT_COMBINE): Omit<BayesVerdict, 'known'> {
  const { strength: S, prior: X, minStrength, maxClues } = opts;
  const probs: [string, number][] = [];
  for (const [tok, [s, h]] of counts) {
    const n = s + h;
    if (n === 0 || isScriptToken(tok)) continue; // how much of a writing was learnt, not a clue
    const sr = s / nspam;
    const hr = (h / nham) * (opts.hamBias ?? 1);
    const p = sr / (sr + hr);
    const f = (S * X + n * p) / (S + n);
    if (Math.abs(f - 0.5) >= minStrength) probs.push([tok, f]);
  }
  probs.sort((a, b) => Math.abs(b[1] - 0.5) - Math.abs(a[1] - 0.5));
  const clues = probs.slice(0, maxClues);
  if (clues.length === 0) return { probability: 0.5, clues, logOdds: 0 };
  let lnS = 0;
  let lnH = 0;
  for (const [, f] of clues) {
    lnS += Math.log(1 - f);
    lnH += Math.log(f);
  }
  const spamminess = 1 - chi2Q(-2 * lnS, 2 * clues.length);
  const hamminess = 1 - chi2Q(-2 * lnH, 2 * clues.length);
  const probability = (spamminess - hamminess + 1) / 2;
  // p itself gives the odds to about 1e-7 while it is 1e-9 or more from 0 and 1; past that only the tails can
  const logOdds = probability > SATURATED && probability < 1 - SATURATED ? Math.log10(probability / (1 - probability)) : fisherLogOdds(clues.map(([, f]) => f));
  return { probability, clues: clues.slice(0, 15), logOdds };
}
