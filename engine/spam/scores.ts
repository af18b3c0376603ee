// Tags → score → action (F8). A tag's weight is [spam] scores, else the rule set's (the admin's rules_file, the
// fitted engine/spam/rules/scores.toml for the score set in use, the rule's own score), else the defaults of
// tags.ts. The thresholds are config. It never bounces: the worst outcomes are reject (while the client waits)
// or delete, and a whitelisted sender is never judged spam.
import type { Config } from '../config/schema.js';
import type { RuleSet, ScoreSet } from './rules/rules.js';
import { DEFAULT_SCORES, TAG_HEADER, type CheckTag, type Tag } from './tags.js';
import type { SpamAction } from './types.js';

/** The summary line's entry for the part of the connection-shape weights over the cap (negative). */
export const CAP_ENTRY = 'CONNECTION_CAP';
/** The summary line's entry that moves an unsure-Bayes (no_bayes) score onto the with_bayes scale. */
export const UNSURE_ENTRY = 'BAYES_UNSURE_SCALE';
/** The summary line's entry for what an unsure Bayes still says: a share of its log-odds term (scores.toml unsure_odds). */
export const UNSURE_ODDS_ENTRY = 'BAYES_UNSURE_ODDS';
/** The score at which both fitted score sets put a message at even odds (lab/corpora/fit.ts THRESHOLD). */
const EVEN = 5;

export interface Scored {
  score: number;
  action: SpamAction;
  scored: { tag: Tag | typeof CAP_ENTRY | typeof UNSURE_ENTRY | typeof UNSURE_ODDS_ENTRY; score: number }[];
  /** How many of the seed's checks hit (distinct X-IMAIL-SPAM-* headers): "delete after N matches". */
  matches: number;
}

/**
 * Connection checks that only describe how the sender's server is set up (no PTR, a HELO or sender domain that does
 * not resolve, no or a weak SPF record). Real servers get these wrong; together they add at most
 * [spam] connection_score_cap, so they never carry mail into Spam without the content saying spam too.
 */
export const CONNECTION_SHAPE: ReadonlySet<Tag> = new Set<Tag>(['VALFROM', 'VALREVDNS', 'VALREVDNS_FCRDNS', 'VALHELO', 'SPF_NONE', 'SPF_NEUTRAL', 'SPF_SOFTFAIL', 'SPF_PERMERROR', 'SPF_TEMPERROR']);

export type Weigh = (tag: Tag) => number;

export function weigher(spam: Config['spam'], rules: RuleSet | undefined, set: ScoreSet): Weigh {
  return (tag) => spam.scores[tag as keyof typeof spam.scores] ?? rules?.weight(tag, set) ?? DEFAULT_SCORES[tag as CheckTag] ?? 0;
}

/** The single weight of a tag without a rule set (the connection checks' refusal text, old callers). */
export function scoreOf(tag: Tag, spam: Config['spam']): number {
  return weigher(spam, undefined, 'with_bayes')(tag);
}

/** The check a tag counts as for "delete after N matches": its X-IMAIL-SPAM-* header (rules: X-IMAIL-SPAM-RULES). */
function checkOf(tag: Tag, weight: number): string | undefined {
  const h = TAG_HEADER[tag as CheckTag];
  if (h) return h;
  return !(tag in DEFAULT_SCORES) && weight > 0 ? 'X-IMAIL-SPAM-RULES' : undefined;
}

/**
 * How far a `no_bayes` score is stretched about 5 to sit on the `with_bayes` scale when Bayes was trained but unsure
 * of the message: each set is a fitted logistic model p = σ(a·(score − 5)), so a·(score − 5) is its log-odds, and
 * the ratio of the two slopes (scores.toml [about]) makes one log-odds one score. A score's side of 5 never changes.
 * Undefined when the fitted file gives no slopes (nothing to scale by).
 */
export function unsureScale(about: Readonly<Record<string, string | number>>): number | undefined {
  const w = Number(about.slope_with_bayes);
  const n = Number(about.slope_no_bayes);
  if (Number(about.calibrate_unsure ?? 1) === 0 || !(w > 0) || !(n > 0)) return undefined;
  return n / w;
}

/**
 * The share of Bayes' log-odds term (BAYES_ODDS weight × log-odds) a message Bayes is unsure of keeps beside its
 * rules-only score (scores.toml [about] unsure_odds, chosen on the learn half; 0 when absent): the rules carry the
 * verdict where Bayes is unsure, and Bayes still adds what it knows, weakened.
 */
export function unsureOddsShare(about: Readonly<Record<string, string | number>>): number {
  const x = Number(about.unsure_odds ?? 0);
  return Number.isFinite(x) && x > 0 ? Math.min(1, x) : 0;
}

/**
 * `amounts` scales a tag's weight by a measured value (BAYES_ODDS: the Bayes log-odds of the message); other tags
 * count once.
 */
export function decide(tags: Tag[], spam: Config['spam'], weigh: Weigh = weigher(spam, undefined, 'with_bayes'), amounts: Partial<Record<Tag, number>> = {}, scale?: number, unsureOdds = 0): Scored {
  // loops into array literals rather than .map/.filter/spread: arrays made by Array builtins change map when
  // TurboFan inlines the builtin, which threw the caller's optimised code away (docs/benchmarks.md, eleventh round)
  const unique: Tag[] = [];
  for (const t of tags) if (!unique.includes(t)) unique.push(t);
  const scored: Scored['scored'] = [];
  for (const tag of unique) {
    const amount = amounts[tag];
    scored.push({ tag, score: amount === undefined ? weigh(tag) : Math.round(weigh(tag) * amount * 100) / 100 });
  }
  let shape = 0;
  for (const s of scored) if (CONNECTION_SHAPE.has(s.tag as Tag) && s.score > 0) shape += s.score;
  if (shape > spam.connection_score_cap) scored.push({ tag: CAP_ENTRY, score: Math.round((spam.connection_score_cap - shape) * 100) / 100 });
  if (scale !== undefined && scale !== 1) {
    let raw = 0;
    for (const s of scored) raw += s.score;
    const shift = Math.round((scale - 1) * (raw - EVEN) * 100) / 100;
    if (shift !== 0) scored.push({ tag: UNSURE_ENTRY, score: shift });
  }
  // after the stretch: what an unsure Bayes adds is already on the with_bayes scale
  const odds = Math.round(unsureOdds * 100) / 100;
  if (odds !== 0) scored.push({ tag: UNSURE_ODDS_ENTRY, score: odds });
  let sum = 0;
  for (const s of scored) sum += s.score;
  const score = Math.round(sum * 100) / 100;
  const checks = new Set<string>();
  for (const s of scored) {
    const c = s.tag === CAP_ENTRY || s.tag === UNSURE_ENTRY || s.tag === UNSURE_ODDS_ENTRY ? undefined : checkOf(s.tag, s.score);
    if (c) checks.add(c);
  }
  const matches = checks.size;
  let action: SpamAction = 'inbox';
  // the seed: a whitelisted sender is never judged, a trusted DNSBL deletes, N matching checks delete whatever the score
  if (unique.includes('SENDER_WHITELIST')) action = 'inbox';
  else if (unique.includes('DNSBL_TRUSTED')) action = 'delete';
  else if (spam.delete_after_matches !== undefined && matches >= spam.delete_after_matches) action = 'delete';
  else if (spam.reject_threshold !== undefined && score >= spam.reject_threshold) action = 'reject';
  else if (score >= spam.spam_threshold) action = 'spam';
  return { score, action, scored, matches };
}
