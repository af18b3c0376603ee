// The order of the test files: their weights (test/weights.txt, seconds per file in a full run, one column for
// npm test and one for npm run test:postgres) and the longest-first sort test/run.ts runs them in. Pure: it reads
// the weights file, never a test. (Apart from test/run.ts: a reporter that run.ts loads imports this, and run.ts
// waits at its top level.)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** test/weights.txt; TEGAMI_TEST_WEIGHTS names another (test/run.test.ts). */
export const WEIGHTS = process.env.TEGAMI_TEST_WEIGHTS ?? path.join(ROOT, 'test', 'weights.txt');

/** dist/test/smtp/relay.test.js → smtp/relay (the key in test/weights.txt); a path is taken from the working directory. */
export function keyOf(file: string): string {
  return path.relative(path.join(ROOT, 'dist', 'test'), path.resolve(file)).replace(/\\/g, '/').replace(/\.test\.js$/, '');
}

/** "SECONDS SECONDS_ON_POSTGRES KEY" lines (# comments); a column is "-" where the file did not run in that mode. */
export function readWeights(text: string, postgres: boolean): Map<string, number> {
  const w = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(line.replace(/#.*/, ''));
    if (!m) continue;
    const s = Number(m[postgres ? 2 : 1]);
    if (Number.isFinite(s)) w.set(m[3], s);
  }
  return w;
}

/** Longest first; files without a weight before all of them (in path order); ties in path order. */
export function order(files: string[], weights: Map<string, number>): string[] {
  const weight = (f: string) => weights.get(keyOf(f)) ?? Infinity;
  return [...new Set(files)].sort((a, b) => weight(b) - weight(a) || (a < b ? -1 : a > b ? 1 : 0));
}
