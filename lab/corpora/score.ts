// Precision, recall and the confusion matrix of a target's verdicts against the corpus labels, and spam recall at ham
// false-positive rates from the scores its verdict headers carry. Spam is the positive class; a message without a
// verdict counts as "unknown", never as right.
import type { SpamScore } from '../report/model.js';
import { recallAtFp } from './fit.js';

export function scoreVerdicts(items: Array<{ label: 'spam' | 'ham'; verdict: 'spam' | 'ham' | undefined; group?: string }>): SpamScore {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let unknown = 0;
  const groups: NonNullable<SpamScore['groups']> = {};
  for (const i of items) {
    if (i.group) {
      // a group of both kinds (the generated Japanese mail) is shown as two
      const key = i.group.includes(i.label) ? i.group : `${i.group} ${i.label}`;
      const g = (groups[key] ??= { label: i.label, total: 0, judged_spam: 0, unknown: 0 });
      g.total++;
      if (!i.verdict) g.unknown++;
      else if (i.verdict === 'spam') g.judged_spam++;
    }
    if (!i.verdict) unknown++;
    else if (i.label === 'spam') i.verdict === 'spam' ? tp++ : fn++;
    else i.verdict === 'spam' ? fp++ : tn++;
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const spamTotal = items.filter((i) => i.label === 'spam').length;
  const hamTotal = items.length - spamTotal;
  return {
    total: items.length,
    tp,
    fp,
    tn,
    fn,
    unknown,
    precision: tp + fp ? r3(tp / (tp + fp)) : 0,
    recall: spamTotal ? r3(tp / spamTotal) : 0,
    ham_fp_rate: hamTotal ? Math.round((fp / hamTotal) * 10000) / 10000 : 0,
    ...(Object.keys(groups).length ? { groups } : {}),
  };
}

/** The verdict header's score ("score=7.2", "score=-1"), or undefined when it carries none. */
export function scoreOf(header: string | undefined): number | undefined {
  const m = header ? /\bscore=(-?\d+(?:\.\d+)?)/i.exec(header) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Spam recall at the lowest score cut-off that leaves at most ⌊0.5% · ham⌋ and ⌊1% · ham⌋ hams over it (ties count
 * against: a spam level with such a ham is not over), and how many of each group score over each cut-off. A refused
 * message scores +∞; one without a verdict -∞ (a spam without one is missed). With `basis`, the cut-offs and recall
 * come from the messages it accepts (the SpamAssassin judged half, comparable with other filters' figures) when it
 * accepts some of each kind, and every group is counted against those cut-offs.
 */
export function curveOf<T extends { label: 'spam' | 'ham'; group?: string; score: number }>(items: T[], basis?: (i: T) => boolean): { at_fp_05: number; at_fp_1: number; groups: Record<string, { above_fp_05: number; above_fp_1: number }> } {
  const chosen = basis ? items.filter(basis) : items;
  const both = chosen.some((i) => i.label === 'ham') && chosen.some((i) => i.label === 'spam');
  const scored = (both ? chosen : items).map((i) => ({ label: i.label, group: i.group ?? '', score: i.score }));
  const c05 = recallAtFp(scored, 0.005);
  const c1 = recallAtFp(scored, 0.01);
  const groups: Record<string, { above_fp_05: number; above_fp_1: number }> = {};
  for (const i of items) {
    if (!i.group) continue;
    const key = i.group.includes(i.label) ? i.group : `${i.group} ${i.label}`;
    const g = (groups[key] ??= { above_fp_05: 0, above_fp_1: 0 });
    if (i.score > c05.cut) g.above_fp_05++;
    if (i.score > c1.cut) g.above_fp_1++;
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return { at_fp_05: r3(c05.recall), at_fp_1: r3(c1.recall), groups };
}
