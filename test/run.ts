// Runs the compiled test files as `node --test` does, but longest first (npm test, npm run test:postgres): a long
// file that starts last runs alone on one core at the end. `node --test FILE...` sorts the files by path, so this
// uses node:test's run(), which keeps the order given. The order comes from test/weights.txt (seconds per file in
// a full run); a file not listed there runs first, as it may be long. It only orders: every file given runs exactly
// once, none is added or dropped, and any failed test makes the exit code 1, as with node --test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { run } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { keyOf, order, readWeights, ROOT, WEIGHTS } from './order.js';

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

interface Options {
  concurrency: number;
  timeout: number;
  reporters: string[];
  destinations: string[];
}

/** The node --test options npm's scripts use (given as --name=value); anything else is refused, not ignored. */
function parseOptions(opts: string[]): Options | string {
  const o: Options = { concurrency: 1, timeout: Infinity, reporters: [], destinations: [] };
  for (const a of opts) {
    const m = /^--(test-concurrency|test-timeout|test-reporter|test-reporter-destination)=(.+)$/.exec(a);
    if (!m) return `unsupported option ${a} (this runner takes --test-concurrency, --test-timeout, --test-reporter and --test-reporter-destination, as --name=value; run node --test directly for others)`;
    if (m[1] === 'test-concurrency' || m[1] === 'test-timeout') {
      const n = Number(m[2]);
      if (!Number.isInteger(n) || n < 1) return `${a}: a whole number above 0`;
      if (m[1] === 'test-concurrency') o.concurrency = n;
      else o.timeout = n;
    } else if (m[1] === 'test-reporter') o.reporters.push(m[2]);
    else o.destinations.push(m[2]);
  }
  // as node --test: spec on a terminal, TAP otherwise, to stdout; one destination per reporter
  if (o.reporters.length === 0) o.reporters.push(process.stdout.isTTY ? 'spec' : 'tap');
  if (o.destinations.length === 0 && o.reporters.length === 1) o.destinations.push('stdout');
  if (o.destinations.length !== o.reporters.length) return 'give one --test-reporter-destination for each --test-reporter';
  return o;
}

/**
 * The suite starts python3 a few hundred times (smtplib, imaplib, poplib clients). Where `python3` is a version
 * manager's shim (pyenv), each start first runs a dozen shell processes to pick the version: 0.3 s of CPU, five times
 * the interpreter's own start. The test processes get a PATH whose first `python3` is the interpreter the shim
 * resolves to now, the same one; with no shim nothing changes. The directory goes at exit.
 */
function pinPython(): void {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 60_000 });
  const exe = r.status === 0 ? r.stdout.trim() : '';
  if (!path.isAbsolute(exe)) return; // no python3: the tests that need it say so
  try {
    const onPath = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'python3')).find((f) => fs.existsSync(f));
    if (onPath && fs.realpathSync(onPath) === fs.realpathSync(exe)) return; // python3 is the interpreter itself
    // a virtualenv's python would lose its environment through a link elsewhere (pyvenv.cfg sits beside it): the
    // suite's Python uses the standard library only, so the base interpreter serves as well
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-test-python-'));
    fs.symlinkSync(exe, path.join(dir, 'python3'));
    process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ''}`;
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  } catch {
    // a temporary directory that cannot be made: the shim, as before
  }
}

type Reporter = ((source: AsyncIterable<unknown>) => AsyncGenerator<unknown>) | NodeJS.ReadWriteStream;

/** A built-in reporter by name, or a module's default export; a class is made into an instance (as node does). */
async function loadReporter(name: string): Promise<Reporter> {
  const builtin = ['spec', 'tap', 'dot', 'junit', 'lcov'].includes(name);
  const mod = (await import(builtin ? 'node:test/reporters' : pathToFileURL(path.resolve(name)).href)) as Record<string, unknown>;
  const r = (builtin ? mod[name] : mod.default) as (new () => NodeJS.ReadWriteStream) | Reporter;
  if (typeof r === 'function' && r.prototype && Object.getOwnPropertyDescriptor(r.prototype, 'constructor')) return new (r as new () => NodeJS.ReadWriteStream)();
  return r as Reporter;
}

function destination(name: string): Writable {
  if (name === 'stdout') return process.stdout;
  if (name === 'stderr') return process.stderr;
  return fs.createWriteStream(name);
}

async function main(argv: string[]): Promise<number> {
  // options start with "-"; anything else is a test file (none: every compiled test that has its source)
  const opts = parseOptions(argv.filter((a) => a.startsWith('-')));
  if (typeof opts === 'string') {
    process.stderr.write(`test/run: ${opts}\n`);
    return 2;
  }
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
  const reporters = await Promise.all(opts.reporters.map(loadReporter));
  pinPython();
  let failed = false;
  const stream = run({ files: order(files, weights).map((f) => path.resolve(f)), concurrency: opts.concurrency, timeout: opts.timeout }) as unknown as Readable;
  stream.on('test:fail', (data: { todo?: unknown }) => {
    if (!data.todo) failed = true;
  });
  // every reporter sees every event
  const done = reporters.map((r, i) => {
    const dest = destination(opts.destinations[i]);
    const out = stream.pipe(new PassThrough({ objectMode: true })).compose(r as never) as Readable;
    out.pipe(dest, { end: dest !== process.stdout && dest !== process.stderr });
    return new Promise<void>((resolve) => {
      if (dest === process.stdout || dest === process.stderr) out.once('end', () => resolve());
      else dest.once('close', () => resolve());
    });
  });
  await Promise.all(done);
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
