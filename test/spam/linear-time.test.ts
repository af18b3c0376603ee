// Issue 10 #3: no text an attacker writes (a message, a HELO, an IMAP command) may cost more than linear time.
// 1. Every regex literal in the modules that read such text is checked for super-linear backtracking (nested or
//    neighbouring quantifiers that trade characters, as /(?:[a-z0-9-]+\.)+com/ does) with scslre.
// 2. Every text-facing function runs on 256 KiB runs of hostile units ("a.", "<a", "=?", "$", spaces…) in a worker
//    thread, stopped at a deadline. No speed is measured: the linear code reads each run in well under a second,
//    the quadratic code this replaced needed from two to fourteen minutes per run; the deadline sits in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { analyse } from 'scslre';
import { ROOT } from '../helpers/server.js';
import { CASES, UNITS } from './linear-cases.js';

/** The modules that read message, client or DNS text (the lab is excluded: it attacks, it is not attacked). */
const AUDITED = ['engine/spam', 'engine/spam/rules', 'engine/mime', 'engine/imap/search-query.ts', 'engine/imap/search-content.ts', 'engine/imap/mime', 'engine/policy', 'engine/smtp/received.ts', 'workers'];

function sourceFiles(): string[] {
  const out: string[] = [];
  for (const p of AUDITED) {
    const abs = path.join(ROOT, p);
    if (fs.statSync(abs).isDirectory()) for (const f of fs.readdirSync(abs)) if (f.endsWith('.ts')) out.push(path.join(p, f));
    if (abs.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Regex literals and `new RegExp('literal', 'flags')` of a source file, with their line numbers. */
function regexesOf(file: string): { line: number; source: string; flags: string }[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { line: number; source: string; flags: string }[] = [];
  const visit = (n: ts.Node): void => {
    const line = () => sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const text = n.getText();
      const slash = text.lastIndexOf('/');
      found.push({ line: line(), source: text.slice(1, slash), flags: text.slice(slash + 1) });
    } else if (ts.isNewExpression(n) && n.expression.getText() === 'RegExp' && n.arguments?.[0] && ts.isStringLiteral(n.arguments[0])) {
      const flags = n.arguments[1] && ts.isStringLiteral(n.arguments[1]) ? n.arguments[1].text : '';
      found.push({ line: line(), source: n.arguments[0].text, flags });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

test('no regex that reads message or client text backtracks super-linearly', () => {
  const files = sourceFiles();
  assert.ok(files.length > 30, `audited files found: ${files.length}`);
  let count = 0;
  const bad: string[] = [];
  for (const file of files) {
    for (const re of regexesOf(file)) {
      count++;
      // Move reports (a pattern retried from every start) are left to the run-time test below, which sees them
      const r = analyse({ source: re.source, flags: re.flags }, { assumeRejectingSuffix: true, reportTypes: { Move: false } });
      for (const rep of r.reports) bad.push(`${file}:${re.line} /${re.source}/${re.flags}: ${rep.type}, repeat ${JSON.stringify(rep.character.pick)}`);
    }
  }
  assert.ok(count > 100, `regexes found: ${count}`);
  assert.deepEqual(bad, []);
});

/** Characters of each hostile run. */
const SIZE = 256 * 1024;
/** How long one run may take. Linear code: well under 1 s here, even on a busy machine; the old quadratic code: 2–14 min. */
const DEADLINE_MS = 20_000;

/** Run one case over every unit in a worker; resolve with the first unit it did not finish in time, or null. */
function runCase(name: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./linear-cases.js', import.meta.url), { workerData: { linearCase: name, size: SIZE } });
    let unit = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        // eslint-disable-next-line @typescript-eslint/no-floating-promises -- terminate() never rejects; not awaited, a stuck worker's end is not this case's answer
        void worker.terminate();
        resolve(`${name}: ${JSON.stringify(unit)} × ${Math.ceil(SIZE / unit.length)} did not finish within ${DEADLINE_MS / 1000} s`);
      }, DEADLINE_MS);
    };
    worker.on('message', (m: { unit?: string; done?: boolean }) => {
      if (m.done) {
        clearTimeout(timer);
        worker.terminate().then(() => resolve(null), reject);
      } else if (m.unit !== undefined) {
        unit = m.unit;
        arm();
      }
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${name} on ${JSON.stringify(unit)}: ${e.message}`));
    });
  });
}

test('every text-facing function finishes on 256 KiB of each hostile run', { timeout: 30 * 60_000 }, async (t) => {
  const names = Object.keys(CASES);
  assert.ok(UNITS.length >= 40 && names.length >= 30);
  const failures: string[] = [];
  // two at a time: the machine has two cores
  let next = 0;
  const lane = async () => {
    while (next < names.length) {
      const name = names[next++];
      const r = await runCase(name);
      if (r) failures.push(r);
    }
  };
  await Promise.all([lane(), lane()]);
  t.diagnostic(`${names.length} functions × ${UNITS.length} hostile runs of ${SIZE / 1024} KiB`);
  assert.deepEqual(failures, []);
});
