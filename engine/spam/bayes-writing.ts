// How much of a message's writing and words the Bayes counts have learnt (bayes.ts asks before it lets Bayes vote):
// the share of its tokens seen often enough, whether its writing (the script: token) was learnt in both kinds, and
// the totals its counts are divided by when counts are kept per writing. Pure functions of counts; no I/O.
import { SCRIPT_PREFIX } from './tokenise.js';

/**
 * When Bayes knows a message (its vote is the verdict's, with the with_bayes weights) rather than being unsure of it
 * (the rules carry the verdict, with the no_bayes weights). Chosen on the learn half only (docs/spam.md, "Bayes
 * unsure"): with counts of the English learn half, 99.1% of its own messages (out of fold) have at least 30% of
 * their tokens seen 5 times; every Japanese training message has fewer. Mail in a language or script the filter
 * never learnt is the "unsure" case, so a server that learnt only English mail does not silence the Japanese rules.
 */
export const KNOWN_MIN_COUNT = 5;
export const MIN_KNOWN_SHARE = 0.3;

/**
 * Unsure is for mail in a writing the filter never learnt (Japanese after English-only training), not for mail whose
 * words are rare in a writing it learnt plenty of: spam padded with words nobody uses is still judged by Bayes. The
 * counts of the message's script: token (tokenise.ts) say how many learnt messages of each kind shared its writing;
 * with this many of both, Bayes votes whatever the known share. Chosen on the learn half (docs/spam.md, "Bayes unsure").
 */
export const SCRIPT_MIN_MESSAGES = 50;

/** The script: token (tested per token in combine(): the first character rules out nearly all others at once). */
export const isScriptToken = (t: string): boolean => t.charCodeAt(0) === 0x73 && t.startsWith(SCRIPT_PREFIX);

/** Whether the counts learnt SCRIPT_MIN_MESSAGES of each kind in the writing of a message with these tokens. */
export function scriptLearnt(counts: ReadonlyMap<string, readonly [number, number]>, tokens: readonly string[]): boolean {
  // tokenise() adds it last: look from the end
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i];
    if (!isScriptToken(t)) continue;
    const c = counts.get(t);
    return c !== undefined && c[0] >= SCRIPT_MIN_MESSAGES && c[1] >= SCRIPT_MIN_MESSAGES;
  }
  return false;
}

/** Every writing's script: token (tokenise.ts): a lookup reads them all, to see how much learnt mail carries one. */
export const SCRIPT_TOKENS: readonly string[] = Object.freeze([`${SCRIPT_PREFIX}cjk`, `${SCRIPT_PREFIX}latin`]);

/**
 * Counts are normalised per writing once at least this share of the learnt spam and of the learnt ham carries a
 * script: token (counts learnt before the token existed have none: such a filter keeps the old totals until it has
 * learnt enough new mail, or is learnt again from scratch).
 */
export const WRITING_COVERAGE = 0.9;

/**
 * The spam and ham totals a message's token counts are divided by (Robinson's p = (s/nspam) / (s/nspam + h/nham)):
 * the learnt mail of the message's writing, not all learnt mail. One set of counts learnt from 500 English spam and
 * 2500 English ham plus about 500 Japanese of each made English words about 1.7 times more ham-like than the English
 * mail alone says, because the Japanese spam swelled nspam without adding to any English word. The totals of all
 * learnt mail are kept when the message's writing was not learnt SCRIPT_MIN_MESSAGES of each kind (the unsure case),
 * or too little learnt mail carries a script: token (WRITING_COVERAGE). `counts` must hold every SCRIPT_TOKENS entry
 * the owners have (lookups read them).
 */
export function writingTotals(counts: ReadonlyMap<string, readonly [number, number]>, tokens: readonly string[], nspam: number, nham: number): [number, number] {
  let own: readonly [number, number] | undefined;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (isScriptToken(tokens[i])) {
      own = counts.get(tokens[i]);
      break;
    }
  }
  if (!own || own[0] < SCRIPT_MIN_MESSAGES || own[1] < SCRIPT_MIN_MESSAGES) return [nspam, nham];
  let ws = 0;
  let wh = 0;
  for (const t of SCRIPT_TOKENS) {
    const c = counts.get(t);
    if (c) {
      ws += c[0];
      wh += c[1];
    }
  }
  if (ws < WRITING_COVERAGE * nspam || wh < WRITING_COVERAGE * nham) return [nspam, nham];
  return [Math.min(own[0], nspam), Math.min(own[1], nham)];
}

/** The share of distinct tokens (the script: token aside) whose summed counts reach KNOWN_MIN_COUNT. */
export function knownShare(counts: ReadonlyMap<string, readonly [number, number]>, tokens: readonly string[]): number {
  const distinct = new Set(tokens);
  let size = 0;
  let known = 0;
  for (const t of distinct) {
    if (isScriptToken(t)) continue;
    size++;
    const c = counts.get(t);
    if (c && c[0] + c[1] >= KNOWN_MIN_COUNT) known++;
  }
  return size === 0 ? 0 : known / size;
}
