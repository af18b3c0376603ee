// The first SELECT's path alone (not a test): MaildirStore + MailboxView.open + the flags SELECT reports, over two
// 10,000-message Maildirs with no index, each run in a fresh process (what a server's first SELECT meets: nothing
// compiled yet). Prints main-thread and all-thread CPU (/proc/self/task/*/schedstat) of each mailbox's open, and of
// the 3 s after both (the rows each first build writes 2 s after its answer).
// Two builds compared: `--dist DIR` runs another checkout's dist/ (e.g. a base worktree) in alternation.
// usage: node dist/bench/imap-select.js [--messages N] [--runs R] [--dist DIR]...
// (internal: node dist/bench/imap-select.js --child DIST DATADIR)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const USERS = ['bench@example.test', 'second@example.test'];
/** Idle time before each mailbox is opened. */
const IDLE_MS = 500;

function taskNs(tid: string | number): number {
  return Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}

function cpuNow(): { main: number; all: number; byName: Map<string, number> } {
  let all = 0;
  const byName = new Map<string, number>();
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      const ns = taskNs(t);
      all += ns;
      const name = t === String(process.pid) ? 'main' : `t${t}`;
      byName.set(name, (byName.get(name) ?? 0) + ns);
    } catch {
      /* thread gone */
    }
  }
  return { main: taskNs(process.pid), all, byName };
}

/** A Maildir of n messages named as bench/imap.ts names them (size in ",S=", every third \Seen). */
function writeMaildir(dir: string, n: number): void {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const t = Math.floor(Date.now() / 1000) - n;
  for (let i = 1; i <= n; i++) {
    const m = Buffer.from(`From: sender${i}@example.org\r\nSubject: message number ${i}\r\n\r\nbody ${i}\r\n`);
    fs.writeFileSync(path.join(dir, 'cur', `${t + i}.M${i}P1.bench,S=${m.length}:2,${i % 3 === 0 ? 'S' : ''}`), m);
  }
}

async function child(dist: string, dataDir: string): Promise<void> {
  const t0 = cpuNow();
  const { MaildirStore } = (await import(pathToFileURL(path.join(dist, 'engine/store/maildir-store.js')).href)) as typeof import('../engine/store/maildir-store.js');
  const { MailboxView } = (await import(pathToFileURL(path.join(dist, 'engine/imap/mailbox-view.js')).href)) as typeof import('../engine/imap/mailbox-view.js');
  // a server has its own SQLite database open before any SELECT: the addon is loaded already
  const { default: Database } = await import('better-sqlite3');
  new Database(':memory:').close();
  const store = new MaildirStore(dataDir);
  const loaded = cpuNow();
  const out: Record<string, number> = { loadMain: (loaded.main - t0.main) / 1e6 };
  for (let k = 0; k < USERS.length; k++) {
    // as on a server that has been up a moment: V8's compiler threads done with what ran before
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const a = cpuNow();
    const w = performance.now();
    const startUs = process.hrtime.bigint() / 1000n;
    const view = await MailboxView.open(store, USERS[k], 'INBOX', false, () => {});
    const { firstUnseen } = view.flagSummary();
    const wall = performance.now() - w;
    const b = cpuNow();
    if (view.exists < 1 || firstUnseen !== 1) throw new Error(`unexpected listing: ${view.exists} messages, first unseen ${firstUnseen}`);
    out[`main${k}`] = (b.main - a.main) / 1e6;
    out[`all${k}`] = (b.all - a.all) / 1e6;
    if (process.env.SELECT_THREADS) for (const [name, ns] of b.byName) out[`${name}${k}`] = (ns - (a.byName.get(name) ?? 0)) / 1e6;
    out[`wall${k}`] = wall;
    // the window in µs of the monotonic clock (V8's --cpu-prof samples are stamped with it)
    out[`span${k}a`] = Number(startUs);
    out[`span${k}b`] = Number(process.hrtime.bigint() / 1000n);
    view.close();
  }
  // the work each build leaves for after its answer (its rows, 2 s on): the next 3 s with nothing asked
  const a = cpuNow();
  await new Promise((r) => setTimeout(r, 3000));
  const b = cpuNow();
  out.afterMain = (b.main - a.main) / 1e6;
  out.afterAll = (b.all - a.all) / 1e6;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], args[2]);
  const own = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  let messages = 10_000;
  let runs = 8;
  const dists: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--messages') messages = Number(args[++i]);
    else if (args[i] === '--runs') runs = Number(args[++i]);
    else if (args[i] === '--dist') dists.push(path.resolve(args[++i]));
  }
  if (!dists.length) dists.push(own);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-select-'));
  const roots = USERS.map((u) => {
    const [local, domain] = u.split('@');
    return path.join(dataDir, 'mail', domain, local, 'Maildir');
  });
  for (const r of roots) writeMaildir(r, messages);
  const results = new Map<string, Record<string, number>[]>(dists.map((d) => [d, []]));
  try {
    for (let r = 0; r < runs; r++) {
      for (const d of dists) {
        for (const root of roots) for (const f of fs.readdirSync(root)) if (f.startsWith('tegami-index')) fs.rmSync(path.join(root, f));
        const load = os.loadavg()[0];
        const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', d, dataDir], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`child failed: ${p.stderr}`);
        const o = JSON.parse(p.stdout.trim().split('\n').pop()!) as Record<string, number>;
        results.get(d)!.push(o);
        const f = (x: number) => x.toFixed(1).padStart(6);
        console.log(`${path.basename(path.dirname(d)).padEnd(20)} load ${load.toFixed(1).padStart(5)}  first: main ${f(o.main0)} all ${f(o.all0)} wall ${f(o.wall0)}  second: main ${f(o.main1)} all ${f(o.all1)} wall ${f(o.wall1)}  3 s after: main ${f(o.afterMain)} all ${f(o.afterAll)}`);
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log('\nmedians (min) in ms of CPU, per build:');
  for (const [d, rs] of results) {
    const col = (k: string) => `${median(rs.map((o) => o[k])).toFixed(1)} (${Math.min(...rs.map((o) => o[k])).toFixed(1)})`;
    console.log(`${d}\n  first mailbox: main ${col('main0')}, all ${col('all0')}, wall ${col('wall0')}\n  second mailbox: main ${col('main1')}, all ${col('all1')}, wall ${col('wall1')}\n  the 3 s after both (their rows): main ${col('afterMain')}, all ${col('afterAll')}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
