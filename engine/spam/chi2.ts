// The chi-square tails that Robinson/Fisher combining needs, in log space: a message whose clues all point one way
// has tails of 1e-40 or smaller, which 1 − Q rounds to exactly 0 or 1 in doubles. Pure arithmetic on numbers the
// caller computed; it never reads message text, and every loop is bounded by the clue count (at most a few hundred).

const LN_FACT: number[] = [0];
function lnFact(i: number): number {
  while (LN_FACT.length <= i) LN_FACT.push(LN_FACT[LN_FACT.length - 1] + Math.log(LN_FACT.length));
  return LN_FACT[i];
}

/** ln(e^a + e^b) without overflow. */
export function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return m;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** Relative size under which the rest of a Poisson series no longer changes a double. */
const NEGLIGIBLE = 1e-17;

/**
 * ln Σ_{i=lo}^{hi} m^i / i! (hi may be Infinity), summed around its largest term so that nothing overflows or
 * underflows: the terms rise while i < m and fall after, and the ratio of neighbours is m / i.
 */
function lnPoissonSum(m: number, lo: number, hi: number): number {
  const j = Math.max(lo, Math.min(hi, Math.floor(m)));
  let sum = 1;
  let r = 1;
  for (let i = j + 1; i <= hi; i++) {
    r *= m / i;
    sum += r;
    if (r < NEGLIGIBLE * sum) break;
  }
  r = 1;
  for (let i = j; i > lo; i--) {
    r *= i / m;
    sum += r;
    if (r < NEGLIGIBLE * sum) break;
  }
  return j * Math.log(m) - lnFact(j) + Math.log(sum);
}

/**
 * ln Q and ln P, the upper and lower tails of the chi-square distribution with 2k degrees of freedom at x² = 2m
 * (m ≥ 0, k ≥ 1): Q = e^−m Σ_{i<k} m^i/i!, P = 1 − Q = e^−m Σ_{i≥k} m^i/i!.
 */
export function chi2LogTails(m: number, k: number): { lnQ: number; lnP: number } {
  if (m <= 0) return { lnQ: 0, lnP: -Infinity };
  const lnQ = Math.min(0, lnPoissonSum(m, 0, k - 1) - m);
  if (lnQ < -Math.LN2) return { lnQ, lnP: Math.log1p(-Math.exp(lnQ)) };
  // Q ≥ 1/2: the lower tail is the small one, so it is summed rather than taken from 1 − Q
  return { lnQ, lnP: Math.min(0, lnPoissonSum(m, k, Infinity) - m) };
}

/**
 * The log10-odds of Fisher/Robinson combining of clue probabilities f (each 0 < f < 1), as SpamBayes: spamminess
 * S = 1 − Q(−2 Σ ln(1 − f)), hamminess H = 1 − Q(−2 Σ ln f), probability p = (S − H + 1) / 2. Computed from the
 * tails themselves, so it keeps ordering messages whose p has already rounded to 0 or 1 (bayes.ts combine gives p).
 */
export function fisherLogOdds(clues: readonly number[]): number {
  if (clues.length === 0) return 0;
  let lnS = 0;
  let lnH = 0;
  for (const f of clues) {
    lnS += Math.log(1 - f);
    lnH += Math.log(f);
  }
  const s = chi2LogTails(-lnS, clues.length);
  const h = chi2LogTails(-lnH, clues.length);
  // p = (P_s + Q_h) / 2 and 1 − p = (Q_s + P_h) / 2
  return (logAddExp(s.lnP, h.lnQ) - logAddExp(s.lnQ, h.lnP)) / Math.LN10;
}
