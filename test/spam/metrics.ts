// Precision, recall and false-positive rate of spam probabilities against known labels (test-only).
export interface Scored {
  kind: 'spam' | 'ham';
  p: number;
}

export function at(scored: Scored[], threshold: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const s of scored) {
    const spam = s.p >= threshold;
    if (s.kind === 'spam') spam ? tp++ : fn++;
    else spam ? fp++ : tn++;
  }
  return { threshold, tp, fp, fn, tn, precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn), fpRate: fp / Math.max(1, fp + tn) };
}

/** Metrics at the given threshold, and at the lowest threshold whose ham FP rate is ≤ 0.5%. */
export function evaluate(scored: Scored[], threshold: number) {
  const configured = at(scored, threshold);
  const cuts = [...new Set(scored.filter((s) => s.kind === 'ham').map((s) => s.p))].sort((a, b) => a - b);
  let best = at(scored, 1.0000001);
  for (const c of [...cuts.map((x) => x + 1e-12), 0.5, 0.8, 0.9, 0.95, 0.99]) {
    const r = at(scored, c);
    if (r.fpRate <= 0.005 && r.recall > best.recall) best = r;
  }
  return { configured, bestAtFp05: best };
}
