// Runs `node --test` on the compiled test files longest first (npm test, npm run test:postgres): with
// --test-concurrency=2, a long file that starts last leaves a core idle while it runs alone. The order comes from
// test/weights.txt (seconds per file in a full run); a file not listed there runs first, as it may be long.
// It only orders: every file it is given runs exactly once, none is added or dropped, and node's exit code is its own.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEIGHTS = path.join(ROOT, 'test', 'weights.txt');

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

/** Whether a compiled test's source (test/….test.ts) still exists: tsc never deletes the output of a deleted or
 * renamed test, which would otherwise run on, stale. A file outside dist/test is taken as it is. */
const hasSource = (file: string) => keyOf(file).startsWith('..') || fs.existsSync(path.join(ROOT, 'test', `${keyOf(file)}.test.ts`));

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.js')) out.push(path.relative(process.cwd(), p));
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  // options for node --test start with "-" (give a value as --name=value); anything else is a test file (none: every
  // compiled test that has its source)
  const opts = argv.filter((a) => a.startsWith('-'));
  let files = argv.filter((a) => !a.startsWith('-'));
  if (files.length === 0) files = findTests(path.join(ROOT, 'dist', 'test'));
  const stale = files.filter((f) => !hasSource(f));
  if (stale.length > 0) process.stderr.write(`test/run: not running ${stale.join(', ')}: compiled from a test that no longer exists\n`);
  files = files.filter(hasSource);
  if (files.length === 0) {
    process.stderr.write('test/run: no test files (build first: npx tsc -p tsconfig.json)\n');
    return 2;
  }
  const postgres = process.env.TEGAMI_TEST_DIRECTORY === 'postgres';
  const weights = fs.existsSync(WEIGHTS) ? readWeights(fs.readFileSync(WEIGHTS, 'utf8'), postgres) : new Map<string, number>();
  const child = spawn(process.execPath, ['--test', ...opts, ...order(files, weights)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
