// A node:test reporter that writes test/weights.txt again from a full run (the order test/run.ts uses): each
// file's seconds (the sum of its top-level tests) in the column of this run's mode, the other column kept from
// the file as it was. It reads and reports only; what a test checks is not its business.
//   npm test -- --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./dist/test/weights-reporter.js --test-reporter-destination=test/weights.new
// (npm passes what follows -- on to test/run.ts), then `mv test/weights.new test/weights.txt`; npm run test:postgres
// likewise fills the second column.
import fs from 'node:fs';
import path from 'node:path';
import { keyOf, ROOT, WEIGHTS } from './order.js';

interface TestEvent {
  type: string;
  data: { nesting?: number; file?: string; details?: { duration_ms?: number } };
}

export default async function* weights(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const postgres = process.env.TEGAMI_TEST_DIRECTORY === 'postgres';
  const seconds = new Map<string, number>();
  for await (const e of source) {
    if ((e.type !== 'test:pass' && e.type !== 'test:fail') || e.data.nesting !== 0 || !e.data.file) continue;
    const key = keyOf(e.data.file);
    seconds.set(key, (seconds.get(key) ?? 0) + (e.data.details?.duration_ms ?? 0) / 1000);
  }
  const rows = new Map<string, [string, string]>();
  const old = fs.existsSync(WEIGHTS) ? fs.readFileSync(WEIGHTS, 'utf8') : '';
  for (const line of old.split('\n')) {
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(line.replace(/#.*/, ''));
    // a file deleted since is dropped
    if (m && fs.existsSync(path.join(ROOT, 'dist', 'test', `${m[3]}.test.js`))) rows.set(m[3], [m[1], m[2]]);
  }
  for (const [key, s] of seconds) {
    const row = rows.get(key) ?? ['-', '-'];
    row[postgres ? 1 : 0] = s.toFixed(1);
    rows.set(key, row);
  }
  yield '# seconds per test file in a full run: npm test, npm run test:postgres ("-": not run there); test/run.ts\n';
  yield '# runs the longest first. Refresh with test/weights-reporter.ts (how: at its top).\n';
  for (const [key, [d, p]] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1))) yield `${d.padStart(6)} ${p.padStart(6)} ${key}\n`;
}
