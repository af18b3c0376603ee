// The chi-square tails in log space (engine/spam/chi2.ts) and the Bayes log-odds built on them: the same odds as the
// probability where doubles can still tell, and an order where the probability has rounded to exactly 0 or 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chi2LogTails, fisherLogOdds } from '../../engine/spam/chi2.js';
import { bayesLogOdds, BAYES_ODDS_CAP, combine } from '../../engine/spam/bayes.js';

test('chi-square tails: Q and P add up to 1 and match the direct sum', () => {
  for (const [m, k] of [[0.5, 1], [3, 4], [10, 10], [40, 20], [150, 150], [0.01, 50]] as const) {
    let q = 0;
    let term = Math.exp(-m);
    for (let i = 0; i < k; i++) {
      q += term;
      term *= m / (i + 1);
    }
    const t = chi2LogTails(m, k);
    assert.ok(Math.abs(Math.exp(t.lnQ) - Math.min(1, q)) < 1e-9, `Q(${m}, ${k})`);
    assert.ok(Math.abs(Math.exp(t.lnQ) + Math.exp(t.lnP) - 1) < 1e-9, `P + Q = 1 at (${m}, ${k})`);
  }
  // far in the tail the log keeps going where the number itself is 0
  const far = chi2LogTails(2000, 10);
  assert.ok(far.lnQ < -1500 && Number.isFinite(far.lnQ));
});

test('the log-odds agree with the probability where it is not rounded, and are symmetric', () => {
  const clues = [0.9, 0.85, 0.2, 0.95, 0.88, 0.1, 0.93];
  const counts = new Map<string, [number, number]>();
  // combine() computes clue probabilities from counts; here check fisherLogOdds on its own numbers
  const z = fisherLogOdds(clues);
  const flipped = fisherLogOdds(clues.map((f) => 1 - f));
  assert.ok(Math.abs(z + flipped) < 1e-9, `${z} vs ${flipped}`);
  counts.set('a', [40, 1]).set('b', [30, 2]).set('c', [1, 25]);
  const v = combine(counts, 100, 100);
  assert.ok(v.probability! > 0 && v.probability! < 1);
  assert.ok(Math.abs(v.logOdds - Math.log10(v.probability! / (1 - v.probability!))) < 1e-6, `${v.logOdds} vs p ${v.probability}`);
  assert.equal(fisherLogOdds([]), 0);
});

test('mail whose probability rounds to 1 keeps an order: more and stronger clues, higher log-odds (up to the cap)', () => {
  const few = Array.from({ length: 40 }, () => 0.99);
  const many = Array.from({ length: 120 }, () => 0.99);
  const combineOf = (fs: number[]) => {
    const counts = new Map<string, [number, number]>();
    fs.forEach((_, i) => counts.set(`t${i}`, [99, 0]));
    return combine(counts, 100, 100);
  };
  const a = combineOf(few);
  const b = combineOf(many);
  assert.equal(a.probability, 1, 'the probability has rounded');
  assert.equal(b.probability, 1);
  assert.ok(b.logOdds > a.logOdds && a.logOdds > 12, `${a.logOdds} < ${b.logOdds}`);
  // the score term: the precise odds up to the cap; from the probability alone every such message would tie at 12
  assert.equal(bayesLogOdds(1), 12);
  assert.ok(bayesLogOdds(a.probability!, a.logOdds) > 12);
  assert.equal(bayesLogOdds(b.probability!, b.logOdds + 1000), BAYES_ODDS_CAP);
  assert.equal(bayesLogOdds(0, -Infinity), -BAYES_ODDS_CAP);
  assert.ok(fisherLogOdds(few.map((f) => 1 - f)) < -12);
});
