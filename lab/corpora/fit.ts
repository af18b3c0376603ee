// Fits tag weights to labelled tag hits, as SpamAssassin derives its scores: a logistic model whose score is the
// sum of the weights of the tags that hit, judged spam at 5 (p = σ(a·(score − 5))). Weights stay in each rule's
// range; a tag with few hits stays near its prior (the rule's own score); a false positive costs `hamCost` times a
// missed spam. Also the figures the evaluation reports: recall at ham false-positive rates, per group.

export interface Row {
  features: string[];
  label: 'spam' | 'ham';
  group: string;
  /** A feature's value when it is not 1 (the Bayes log-odds term, BAYES_ODDS). */
  values?: Record<string, number>;
}

export interface FitOptions {
  /** What a ham judged spam costs, against 1 for a spam missed. */
  hamCost: number;
  /** Pull towards the prior, per unit of squared distance, as a share of the data's total weight. */
  l2: number;
  epochs: number;
  prior: (tag: string) => number;
  range: (tag: string) => [number, number];
  /** Each group's examples together weigh as if it had this many (default: as many as it has). */
  groupWeight?: (group: string, count: number) => number;
  /** The pull to the prior of one tag, if not `l2`. */
  l2Of?: (tag: string) => number;
  /** Tags to give a weight even if no example has them (they keep their prior). */
  tags?: string[];
  /** The steepest the model may be: a cap keeps a margin in score units between the classes (spam well over 5). */
  maxSlope?: number;
  /** Chains of tags whose weights must not fall along the chain (the Bayes bands, from ham to spam). */
  monotone?: string[][];
  /**
   * A trial (FIT_RANK, spam12): a pairwise term beside the logistic loss, `weight` × the mean softplus(−(spam − ham))
   * over every spam and the `share` highest-scoring hams of the epoch: the ranking near a low-FP cut-off.
   */
  rank?: { weight: number; share: number };
}

export interface Fitted {
  weights: Map<string, number>;
  /** The model's slope a: how sharply probability rises around score 5. */
  slope: number;
  /** Training examples each tag hit, by label. */
  hits: Map<string, [number, number]>;
}

export const THRESHOLD = 5;

/** Projected Adam on the weighted log loss plus the pull to the prior; deterministic. */
export function fitWeights(rows: Row[], o: FitOptions): Fitted {
  const tags = [...new Set([...(o.tags ?? []), ...rows.flatMap((r) => r.features)])].sort();
  const index = new Map(tags.map((t, i) => [t, i]));
  const hits = new Map<string, [number, number]>(tags.map((t) => [t, [0, 0]]));
  const X = rows.map((r) => r.features.map((f) => index.get(f)!));
  const V = rows.map((r) => r.features.map((f) => r.values?.[f] ?? 1));
  for (const r of rows) for (const f of new Set(r.features)) hits.get(f)![r.label === 'spam' ? 0 : 1]++;
  const y = rows.map((r) => (r.label === 'spam' ? 1 : 0));
  const perGroup = new Map<string, number>();
  for (const r of rows) perGroup.set(r.group, (perGroup.get(r.group) ?? 0) + 1);
  const c = rows.map((r) => (r.label === 'ham' ? o.hamCost : 1) * (o.groupWeight ? o.groupWeight(r.group, perGroup.get(r.group)!) / perGroup.get(r.group)! : 1));
  const total = c.reduce((a, b) => a + b, 0);
  const n = tags.length;
  const w = Float64Array.from(tags, (t) => clamp(o.prior(t), o.range(t)));
  const w0 = Float64Array.from(tags, (t) => o.prior(t));
  const pull = Float64Array.from(tags, (t) => o.l2Of?.(t) ?? o.l2);
  const lo = Float64Array.from(tags, (t) => o.range(t)[0]);
  const hi = Float64Array.from(tags, (t) => o.range(t)[1]);
  const chains = (o.monotone ?? []).map((ch) => ch.filter((t) => index.has(t)).map((t) => index.get(t)!)).filter((ch) => ch.length > 1);
  for (const ch of chains) isotonic(w, ch, lo, hi);
  let a = 1;
  // Adam state for w and a
  const m = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const lr = 0.05;
  const g = new Float64Array(n + 1);
  const sc = new Float64Array(rows.length);
  const spamIdx = rows.map((_, i) => i).filter((i) => y[i] === 1);
  const hamIdx = rows.map((_, i) => i).filter((i) => y[i] === 0);
  const pairCoef = new Float64Array(rows.length);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    g.fill(0);
    for (let i = 0; i < rows.length; i++) {
      let s = 0;
      const xi = X[i];
      const vi = V[i];
      for (let q = 0; q < xi.length; q++) s += w[xi[q]] * vi[q];
      sc[i] = s;
      const z = a * (s - THRESHOLD);
      const p = 1 / (1 + Math.exp(-z));
      const err = (c[i] * (p - y[i])) / total;
      for (let q = 0; q < xi.length; q++) g[xi[q]] += err * a * vi[q];
      g[n] += err * (s - THRESHOLD);
    }
    if (o.rank && o.rank.weight > 0 && spamIdx.length && hamIdx.length) {
      const top = [...hamIdx].sort((p, q) => sc[q] - sc[p]).slice(0, Math.max(1, Math.ceil(hamIdx.length * o.rank.share)));
      let cs = 0;
      let ch = 0;
      for (const j of spamIdx) cs += c[j];
      for (const h of top) ch += c[h];
      const k = o.rank.weight / (cs * ch);
      pairCoef.fill(0);
      for (const j of spamIdx) {
        for (const h of top) {
          const q = (k * c[j] * c[h]) / (1 + Math.exp(sc[j] - sc[h]));
          pairCoef[j] -= q;
          pairCoef[h] += q;
        }
      }
      for (const i of [...spamIdx, ...top]) for (let q = 0; q < X[i].length; q++) g[X[i][q]] += pairCoef[i] * V[i][q];
    }
    for (let j = 0; j < n; j++) g[j] += 2 * pull[j] * (w[j] - w0[j]);
    for (let j = 0; j <= n; j++) {
      m[j] = 0.9 * m[j] + 0.1 * g[j];
      v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
      const step = (lr * (m[j] / (1 - 0.9 ** epoch))) / (Math.sqrt(v[j] / (1 - 0.999 ** epoch)) + 1e-9);
      if (j < n) w[j] = Math.min(hi[j], Math.max(lo[j], w[j] - step));
      else a = Math.min(o.maxSlope ?? 20, Math.max(0.05, a - step * 0.2));
    }
    for (const ch of chains) isotonic(w, ch, lo, hi);
  }
  return { weights: new Map(tags.map((t, i) => [t, Math.round(w[i] * 1000) / 1000])), slope: a, hits };
}

/**
 * Projects the weights at `chain` onto non-decreasing order (pool adjacent violators, equal weights), then into each
 * tag's range; ranges that do not fall along the chain keep the order.
 */
export function isotonic(w: Float64Array, chain: number[], lo: Float64Array, hi: Float64Array): void {
  const blocks: { sum: number; n: number }[] = [];
  for (const j of chain) {
    blocks.push({ sum: w[j], n: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2].sum / blocks[blocks.length - 2].n > blocks[blocks.length - 1].sum / blocks[blocks.length - 1].n) {
      const b = blocks.pop()!;
      blocks[blocks.length - 1].sum += b.sum;
      blocks[blocks.length - 1].n += b.n;
    }
  }
  let k = 0;
  for (const b of blocks) for (let i = 0; i < b.n; i++, k++) w[chain[k]] = Math.min(hi[chain[k]], Math.max(lo[chain[k]], b.sum / b.n));
}

function clamp(x: number, [lo, hi]: [number, number]): number {
  return Math.min(hi, Math.max(lo, x));
}

export interface Scored {
  score: number;
  label: 'spam' | 'ham';
  group: string;
}

export function scoreRow(features: string[], weights: ReadonlyMap<string, number>, fallback: (tag: string) => number = () => 0, values?: Record<string, number>): number {
  let s = 0;
  for (const f of features) s += (weights.get(f) ?? fallback(f)) * (values?.[f] ?? 1);
  return Math.round(s * 1000) / 1000;
}

/** Recall at the lowest cut-off that keeps ham judged spam at or under `fp` (a share of the ham); ties count against. */
export function recallAtFp(scored: Scored[], fp: number): { recall: number; cut: number } {
  const ham = scored.filter((s) => s.label === 'ham').map((s) => s.score).sort((x, y) => y - x);
  const cut = ham[Math.floor(ham.length * fp)] ?? -Infinity;
  const spam = scored.filter((s) => s.label === 'spam');
  return { recall: spam.filter((s) => s.score > cut).length / Math.max(1, spam.length), cut };
}

export interface Figures {
  spam: number;
  ham: number;
  at05: number;
  at1: number;
  /** At the default threshold (5). */
  recall: number;
  fpRate: number;
  fp: number;
  /** Group → [judged spam at the default threshold, total]. */
  groups: Record<string, [number, number]>;
}

export function figures(scored: Scored[], threshold = THRESHOLD): Figures {
  const spam = scored.filter((s) => s.label === 'spam');
  const ham = scored.filter((s) => s.label === 'ham');
  const fp = ham.filter((s) => s.score >= threshold).length;
  const groups: Record<string, [number, number]> = {};
  for (const s of scored) {
    const key = s.group.includes(s.label) ? s.group : `${s.group} ${s.label}`;
    const gr = (groups[key] ??= [0, 0]);
    gr[1]++;
    if (s.score >= threshold) gr[0]++;
  }
  return {
    spam: spam.length,
    ham: ham.length,
    at05: recallAtFp(scored, 0.005).recall,
    at1: recallAtFp(scored, 0.01).recall,
    recall: spam.filter((s) => s.score >= threshold).length / Math.max(1, spam.length),
    fpRate: fp / Math.max(1, ham.length),
    fp,
    groups,
  };
}

export const pct = (x: number, d = 1): string => `${(x * 100).toFixed(d)}%`;
