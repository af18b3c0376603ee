// The figures other filters reached on the lab's fixed split of the SpamAssassin corpus (learn easy_ham + spam, judge
// easy_ham_2 + hard_ham + spam_2; 1,650 ham and 1,396 spam), trained the same way and with no network tests, as
// issue 18 gives them. They are a reference printed beside tegami's own figures; this run does not measure them.

export interface ReferenceFigure {
  filter: string;
  /** Spam recall at ham false positives ≤ 0.5% and ≤ 1% (null: not given). */
  at_fp_05: number | null;
  at_fp_1: number | null;
  /** Its default verdict: spam recall and ham false-positive rate. */
  default_recall: number | null;
  default_fp: number | null;
}

export const REFERENCE: ReferenceFigure[] = [
  { filter: 'tegami Bayes before issue 18 (docs/spam.md)', at_fp_05: 0.817, at_fp_1: 0.855, default_recall: 0.875, default_fp: 0.0133 },
  { filter: 'SpamAssassin 4.0.1, whole rule set + Bayes', at_fp_05: 0.782, at_fp_1: 0.88, default_recall: 0.913, default_fp: 0.0212 },
  { filter: 'SpamAssassin Bayes alone', at_fp_05: 0.541, at_fp_1: 0.628, default_recall: null, default_fp: null },
  { filter: 'bogofilter 1.2.5', at_fp_05: 0.586, at_fp_1: 0.696, default_recall: 0.426, default_fp: 0.0018 },
  { filter: 'rspamd 3.4 Bayes (stock learning)', at_fp_05: 0.469, at_fp_1: 0.641, default_recall: 0.747, default_fp: 0.0273 },
];

/** The judged half the figures were measured on: only a run judging all of it is comparable with them. */
export const REFERENCE_SPLIT = { ham: 1650, spam: 1396 };

/** Whether these judged SpamAssassin messages are the whole judged half (so the reference figures apply). */
export function referenceApplies(judged: ReadonlyArray<{ label: 'spam' | 'ham' }>): boolean {
  const spam = judged.filter((m) => m.label === 'spam').length;
  return spam === REFERENCE_SPLIT.spam && judged.length - spam === REFERENCE_SPLIT.ham;
}

/** The best figure of any reference filter at each false-positive rate (what tegami must beat). */
export const REFERENCE_BEST = {
  at_fp_05: Math.max(...REFERENCE.map((r) => r.at_fp_05 ?? 0)),
  at_fp_1: Math.max(...REFERENCE.map((r) => r.at_fp_1 ?? 0)),
};
