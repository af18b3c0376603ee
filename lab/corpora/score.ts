// Precision, recall and the confusion matrix of a target's verdicts against the corpus labels.
// Spam is the positive class; a message without a verdict counts as "unknown", never as right.
import type { SpamScore } from '../report/model.js';

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
