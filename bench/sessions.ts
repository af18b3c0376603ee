// `npm run bench:sessions` (never run by `npm test`): what an idle session costs, tegami next to the floor, in
// one run. Opens N SMTP sessions (greeting read, EHLO answered) on tegami (default configuration, filters on)
// and on a bare smtp-server (bench/bare-smtp.ts), and N IMAP sessions (LOGIN, SELECT INBOX of M messages) on
// tegami and on a private Dovecot over a copy of the same Maildir. Per session: PSS (/proc/PID/smaps_rollup,
// summed over Dovecot's processes) and, for the Node servers, the live heap after a full GC (bench/gc-probe.ts).
// tegami runs --runs times under each allocator mode (--malloc: glibc's defaults, and the fixed environment
// docs/operations.md recommends, --fixed-env), a fresh server each time, with glibc's arenas read through gdb
// (bench/malloc-info.ts) beside each PSS: the report gives the median and the spread (sessions-report.ts).
//
//   node dist/bench/sessions.js [--sessions 1000] [--inbox 200] [--runs 5] [--malloc default,fixed]
//     [--fixed-env MALLOC_MMAP_THRESHOLD_=4194304] [--warmup-logins 50] [--no-arenas] [--out reports]
//     [--only tegami,smtp-server,dovecot]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from '../lab/report/model.js';
import { reportBaseName } from '../lab/report/write.js';
import { batch, Conn, opt } from './session-conn.js';
import { runLoad } from '../lab/load/generator.js';
import { startTegami, REPO_ROOT } from '../lab/targets/tegami.js';
import { LOAD_DOMAIN, startLabDns } from '../lab/targets/lab-dns.js';
import { haveDovecot, startDovecot } from './dovecot.js';
import { mallocInfo, parseRollup, type Rollup } from './malloc-info.js';
import { idleSessionsToml, makeRow, parseEnv, reportMarkdown, summarize, type MallocMode, type Mem, type Row } from './sessions-report.js';

const SESSIONS = Number(opt('sessions', '1000'));
const INBOX = Number(opt('inbox', '200'));
const OUT = path.resolve(opt('out', path.join(REPO_ROOT, 'reports')));
const ONLY = opt('only', 'tegami,smtp-server,dovecot').split(',');
const RUNS = Number(opt('runs', '5'));
const MODES = opt('malloc', 'default,fixed').split(',') as MallocMode[];
const WARMUP_LOGINS = Number(opt('warmup-logins', '50'));
/** The "fixed" allocator mode: what docs/operations.md recommends (contrib/systemd/tegami.service sets it). */
const FIXED_ENV = parseEnv(opt('fixed-env', 'MALLOC_MMAP_THRESHOLD_=4194304'));
const ARENAS = !process.argv.includes('--no-arenas');
// the "default" mode is glibc's defaults: no allocator variable of this shell reaches a server
for (const k of Object.keys(process.env)) if (/^MALLOC_|^GLIBC_TUNABLES$/.test(k)) delete process.env[k];
const USER = 'alice@example.test';
const PASS = 'bench-password-1';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROBE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-gc-probe-'));
process.env.GC_PROBE_DIR = PROBE_DIR;
const NODE_ARGS = ['--expose-gc', `--import=${path.join(HERE, 'gc-probe.js')}`];

function smaps(pid: number): Rollup {
  try {
    return parseRollup(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return { pss_kb: 0, rss_kb: 0, anonymous_kb: 0 }; // gone meanwhile
  }
}

/** `root` and every process below it. */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

/** A full GC in a Node server started with NODE_ARGS (its worker threads too); its main heap after it, in KB. */
async function gcHeapKb(pid: number): Promise<number> {
  const file = path.join(PROBE_DIR, `${pid}.json`);
  const t0 = Date.now();
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { heapUsed: number; external: number; at: number };
      if (m.at >= t0) return m.heapUsed / 1024;
    } catch {
      /* not yet */
    }
  }
  throw new Error(`no GC probe answer from ${pid}`);
}

/**
 * Wait until the RSS of `pid` holds still: V8 gives the pages a collection freed back on a background thread, a
 * second or many later on a busy machine (tens of MB between a baseline and its measurement otherwise).
 */
async function settle(pid: number): Promise<void> {
  const rss = () => smaps(pid).rss_kb;
  let last = rss();
  let still = 0;
  for (let i = 0; i < 60 && still < 4; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = rss();
    still = Math.abs(now - last) < 256 ? still + 1 : 0;
    last = now;
  }
}

async function measure(pid: number, node: boolean): Promise<Mem> {
  await new Promise((r) => setTimeout(r, 2000));
  const heap = node ? await gcHeapKb(pid) : undefined;
  await new Promise((r) => setTimeout(r, 1000));
  await settle(pid);
  let pss = 0;
  let rss = 0;
  let anon = 0;
  const pids = node ? [pid] : tree(pid);
  for (const p of pids) {
    const m = smaps(p);
    pss += m.pss_kb;
    rss += m.rss_kb;
    anon += m.anonymous_kb;
  }
  // after the PSS: gdb's calls into the process allocate a little
  const arenas = node && ARENAS ? mallocInfo(pid) : undefined;
  return { pss_kb: pss, rss_kb: rss, anon_kb: anon, heap_kb: heap, processes: pids.length, ...(arenas ? { arenas } : {}) };
}

async function smtpSessions(port: number, n = SESSIONS): Promise<Conn[]> {
  return batch(n, 50, async () => {
    const c = await Conn.open(port);
    await c.until(/^220 /m);
    c.send('EHLO idle.lab.example.test');
    await c.until(/^250 /m);
    return c;
  });
}

async function imapSessions(port: number, user: string, pass: string, n = SESSIONS, width = 20, tag = ''): Promise<Conn[]> {
  return batch(n, width, async (i) => {
    const c = await Conn.open(port);
    await c.until(/^\* OK/m);
    c.send(`a${tag}${i} LOGIN ${user} ${pass}`);
    await c.until(new RegExp(`^a${tag}${i} OK`, 'm'));
    c.send(`b${tag}${i} SELECT INBOX`);
    await c.until(new RegExp(`^b${tag}${i} OK`, 'm'));
    return c;
  });
}

function row(target: string, protocol: Row['protocol'], before: Mem, withN: Mem, run?: number, malloc?: MallocMode): Row {
  const r = makeRow(target, protocol, SESSIONS, before, withN, run, malloc);
  const a = (m: Mem) => (m.arenas ? `${m.arenas.with_free_16mb}×16 MB free, ${(m.arenas.free_kb / 1024).toFixed(1)} MB free` : '');
  console.log(
    `${run ? `run ${run} ` : ''}${target}${malloc ? ` [${malloc}]` : ''} ${protocol}: PSS ${r.pss_kb_per_session.toFixed(1)} KB, RSS ${r.rss_kb_per_session.toFixed(1)} KB${r.heap_kb_per_session !== undefined ? `, heap ${r.heap_kb_per_session.toFixed(1)} KB` : ''} per session${withN.arenas ? `; arenas ${a(before)} → ${a(withN)}` : ''}`,
  );
  return r;
}

function close(conns: Conn[]): Promise<void> {
  for (const c of conns) c.s.destroy();
  return new Promise((r) => setTimeout(r, 2000));
}

/** One fresh tegami server under one allocator mode: its SMTP and IMAP rows (and Dovecot's on the first, over its Maildir). */
async function tegamiRun(run: number, malloc: MallocMode, dnsAddress: string, work: string, withDovecot: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const t = await startTegami({
    users: [{ address: USER, password: PASS }],
    dnsServers: [dnsAddress],
    listen: { imap: 0 },
    cwd: work,
    nodeArgs: NODE_ARGS,
    env: malloc === 'fixed' ? FIXED_ENV : {},
    toml: idleSessionsToml(SESSIONS),
  });
  try {
    // fill INBOX through SMTP (also warms every path up)
    const fill = await runLoad({ name: 'tegami', host: t.host, port: t.port }, { mode: 'closed', connections: 10, messages: INBOX, size: 5120, from: `load-{n}@${LOAD_DOMAIN}`, to: [USER] });
    if (fill.accepted !== INBOX) throw new Error(`INBOX fill: ${fill.accepted}/${INBOX} accepted ${JSON.stringify(fill.errors)}`);
    // the same warm-up in both modes before any baseline: code paths loaded, the mailbox index built, and the
    // KDF run WARMUP_LOGINS times two at a time ([auth] max_concurrent_hashes), as a server that has served
    // logins for a while; the baselines are not measured on a heap already grown by a batch of sessions
    await close(await smtpSessions(t.port, 1));
    await close(await batch(WARMUP_LOGINS, 2, async (i) => (await imapSessions(t.listeners!.imap, USER, PASS, 1, 1, `w${i}`))[0]));
    // a first probe, not used: after the fill the worker heaps give back ~30 MB over the next collections, more
    // slowly than settle() waits (both modes' SMTP rows fell by 29-30 MB without it)
    await measure(t.pid!, true);
    const b1 = await measure(t.pid!, true);
    const smtp = await smtpSessions(t.port);
    rows.push(row('tegami', 'SMTP', b1, await measure(t.pid!, true), run, malloc));
    await close(smtp);
    const b2 = await measure(t.pid!, true);
    const imap = await imapSessions(t.listeners!.imap, USER, PASS);
    rows.push(row('tegami', 'IMAP', b2, await measure(t.pid!, true), run, malloc));
    await close(imap);
    if (withDovecot) rows.push(...(await dovecotRows(t.maildir!(USER))));
  } finally {
    await t.stop();
  }
  return rows;
}

async function dovecotRows(maildir: string): Promise<Row[]> {
  const d = await startDovecot({
    sourceMaildir: maildir,
    user: USER,
    password: PASS,
    extraConfig: [
      `default_client_limit = ${SESSIONS * 2 + 100}`,
      `service imap {\n  process_limit = ${SESSIONS + 100}\n}`,
      `protocol imap {\n  mail_max_userip_connections = ${SESSIONS + 100}\n}`,
    ].join('\n'),
  });
  try {
    await close(await imapSessions(d.imapPort, USER, PASS, 1));
    const b = await measure(d.pid, false);
    const imap = await imapSessions(d.imapPort, USER, PASS);
    const r = row('dovecot', 'IMAP', b, await measure(d.pid, false));
    await close(imap);
    return [r];
  } finally {
    await d.stop();
    fs.rmSync(d.dir, { recursive: true, force: true });
  }
}

async function bareRows(work: string, procs: ChildProcess[]): Promise<Row[]> {
  const portFile = path.join(work, 'bare-port');
  const bare = spawn(process.execPath, [...NODE_ARGS, path.join(HERE, 'bare-smtp.js'), portFile], { stdio: 'inherit' });
  procs.push(bare);
  for (let i = 0; i < 300 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  const port = Number(fs.readFileSync(portFile, 'utf8'));
  await close(await smtpSessions(port, 1));
  const b = await measure(bare.pid!, true);
  const smtp = await smtpSessions(port);
  const r = row('smtp-server (bare)', 'SMTP', b, await measure(bare.pid!, true));
  await close(smtp);
  return [r];
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const loads: number[] = [os.loadavg()[0]];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sessions-'));
  const procs: ChildProcess[] = [];
  const dns = await startLabDns();
  try {
    if (ONLY.includes('tegami') || ONLY.includes('dovecot')) {
      for (let run = 1; run <= RUNS; run++) {
        // the modes interleaved, the first alternating, so a change of load during the bench falls on both
        const modes = run % 2 ? MODES : [...MODES].reverse();
        for (const [i, mode] of modes.entries()) {
          const dovecot = run === 1 && i === 0 && ONLY.includes('dovecot') && haveDovecot();
          const got = await tegamiRun(run, mode, dns.address, work, dovecot);
          rows.push(...got.filter((r) => r.target !== 'tegami' || ONLY.includes('tegami')));
          loads.push(os.loadavg()[0]);
          write(rows, loads); // rewritten after every server: a long run under load leaves what it measured so far
        }
      }
    }
    if (ONLY.includes('smtp-server')) rows.push(...(await bareRows(work, procs)));
    loads.push(os.loadavg()[0]);
    write(rows, loads);
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await dns.close();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(PROBE_DIR, { recursive: true, force: true });
  }
}

const STARTED = new Date();

function write(rows: Row[], loads: number[]): void {
  const stamp = STARTED;
  fs.mkdirSync(OUT, { recursive: true });
  const base = path.join(OUT, reportBaseName('bench-sessions', stamp));
  const machine = machineInfo();
  const json = {
    kind: 'tegami-bench-sessions',
    generated_at: stamp.toISOString(),
    machine,
    load_average: loads,
    sessions: SESSIONS,
    inbox_messages: INBOX,
    warmup_logins: WARMUP_LOGINS,
    fixed_env: FIXED_ENV,
    summary: summarize(rows),
    rows,
  };
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 2) + '\n');
  const head = { at: stamp, machine: `${machine.cpus} × ${machine.cpu_model}, Node ${machine.node}`, loads, sessions: SESSIONS, inbox: INBOX, warmupLogins: WARMUP_LOGINS, fixedEnv: FIXED_ENV };
  fs.writeFileSync(`${base}.md`, reportMarkdown(head, rows));
  console.log(`wrote ${base}.json\n      ${base}.md`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:sessions: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
