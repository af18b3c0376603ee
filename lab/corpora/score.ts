// Precision, recall and the confusion matrix of a target's verdicts against the corpus labels.
// Spam is the positive class; a message without a verdict counts as "unknown", never as right.
import type { SpamScore } from '../report/model.js';

export function scoreVerdicts(items: Array<{ label: 'spam' | 'ham'; verdict: 'spam' | 'ham' | undefined }>): SpamScore {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let unknown = 0;
  for (const i of items) {
    if (!i.verdict) unknown++;
    else if (i.label === 'spam') i.verdict === 'spam' ? tp++ : fn++;
    else i.verdict === 'spam' ? fp++ : tn++;
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const spamTotal = items.filter((i) => i.label === 'spam').length;
  return {
    total: items.length,
    tp,
    fp,
    tn,
    fn,
    unknown,
    precision: tp + fp ? r3(tp / (tp + fp)) : 0,
    recall: spamTotal ? r3(tp / spamTotal) : 0,
  };
}
