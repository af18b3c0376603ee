// One small seeded generator (mulberry32) for everything the lab writes from a seed (the corpora, a test's load
// plan): the same seed gives the same mail, so a report or a failing run can be replayed. Not for secrets.
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
