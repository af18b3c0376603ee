// POP3 benchmark (not a test): RETR of every message of a 1,000-message maildrop from the real `tegami serve`
// and from a private Dovecot over a copy of the same Maildir, in the same run, rounds interleaved.
// Also LIST and UIDL of the whole maildrop, and whole sessions as a mail client that fetches and deletes new
// mail runs them (fetchmail, Outlook): connect, USER/PASS, STAT, UIDL, RETR and DELE of what it has not seen,
// QUIT — with new messages dropped into both Maildirs' new/ before each. Each round's CPU is the server's own
// (/proc schedstat of its process tree, imap-profile.ts, plus what its exited children used: Dovecot forks
// a process per connection), the steadier figure on a shared machine. Prints the ratios and writes
// reports/pop3-bench-<time>.json.
// Run: npx tsc -p . && node dist/bench/pop3.js [messages=1000] [rounds=5] [sessions=50] (BENCH_WARMUP=3 rounds first)
// BENCH_PROFILE=DIR: tegami's server is profiled (cpu-prof-preload.ts) into DIR; DIR gets summary.md and a flame graph per phase.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { startTestServer, ROOT } from '../test/helpers/server.js';
import { haveDovecot, startDovecot } from './dovecot.js';
import { monoUs, serverCpuNs, writePhaseProfiles, type Phase } from './imap-profile.js';
import { Client, reapedCpuNs } from './pop3-client.js';

const MESSAGES = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5);
const SESSIONS = Number(process.argv[4] ?? 50);
/** Rounds each server runs before the measured ones. */
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP ?? 3);
/** New messages a client finds in each session. */
const NEW_PER_SESSION = 3;
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : '';
const USER = 'bench@example.test';
const PASSWORD = 'bench-pass-1';


async function login(port: number): Promise<{ c: Client; count: number }> {
  const c = await Client.connect(port);
  await c.line();
  await c.cmd(`USER ${USER}`);
  const ok = await c.cmd(`PASS ${PASSWORD}`);
  if (!ok.startsWith('+OK')) throw new Error(`login failed: ${ok}`);
  const stat = await c.cmd('STAT');
  return { c, count: Number(stat.split(' ')[1]) };
}

interface RoundResult {
  ms: number;
  octets: number;
  p50_us: number;
  p99_us: number;
  pipelined_ms: number;
  /** LIST and UIDL of the whole maildrop, ms. */
  list_ms: number;
  uidl_ms: number;
  /** The server's CPU over the round (login to before QUIT), ms. */
  cpu_ms: number;
  /** The server's CPU per RETR, one at a time and pipelined (the login, LIST and UIDL not counted), µs. */
  retr_cpu_us: number;
  pipelined_cpu_us: number;
}

/** tegami's phases, for the profile (client-side monotonic spans). */
const phases: Record<string, Phase> = {};
function span(name: string, from: number): void {
  (phases[name] ??= { name, spans: [] }).spans.push([from, monoUs()]);
}

async function round(port: number, pid: number, profiled: boolean): Promise<RoundResult> {
  const cpu0 = serverCpuNs(pid);
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const { c, count } = await login(port);
  if (count !== MESSAGES) throw new Error(`expected ${MESSAGES} messages, server has ${count}`);
  let m0 = monoUs();
  const l0 = performance.now();
  c.send('LIST\r\n');
  await c.multi();
  const listMs = performance.now() - l0;
  const u0 = performance.now();
  c.send('UIDL\r\n');
  await c.multi();
  const uidlMs = performance.now() - u0;
  if (profiled) span('LIST and UIDL', m0);
  let octets = 0;
  m0 = monoUs();
  const cpu1 = serverCpuNs(pid);
  const t0 = performance.now();
  for (let i = 1; i <= count; i++) {
    const s = performance.now();
    c.send(`RETR ${i}\r\n`);
    const r = await c.multi();
    hist.recordValue(Math.max(1, Math.round((performance.now() - s) * 1000)));
    if (r[0] !== 0x2b) throw new Error(`RETR ${i}: ${r.toString().slice(0, 80)}`);
    octets += r.length;
  }
  const ms = performance.now() - t0;
  if (profiled) span('RETR one at a time', m0);
  // the same messages again, all RETRs sent at once (PIPELINING)
  const cpu2 = serverCpuNs(pid);
  m0 = monoUs();
  const p0 = performance.now();
  let all = '';
  for (let i = 1; i <= count; i++) all += `RETR ${i}\r\n`;
  c.send(all);
  for (let i = 1; i <= count; i++) await c.multi();
  const pipelined = performance.now() - p0;
  if (profiled) span('RETR pipelined', m0);
  // before QUIT: Dovecot's pop3 process for this connection exits with it, and its time with it
  const cpu3 = serverCpuNs(pid);
  const cpuMs = (cpu3 - cpu0) / 1e6;
  await c.cmd('QUIT');
  c.close();
  const r = {
    ms, octets, p50_us: hist.getValueAtPercentile(50), p99_us: hist.getValueAtPercentile(99), pipelined_ms: pipelined, list_ms: listMs, uidl_ms: uidlMs, cpu_ms: cpuMs,
    retr_cpu_us: (cpu2 - cpu1) / count / 1000, pipelined_cpu_us: (cpu3 - cpu2) / count / 1000,
  };
  hist.destroy();
  return r;
}


interface SessionResult {
  /** Median and p99 of one session's wall time, connect to the server closing after QUIT, ms. */
  p50_ms: number;
  p99_ms: number;
  /** Server CPU per session (its processes' and threads', and exited children's), ms. */
  cpu_ms: number;
  /** Server CPU of a login alone (connect, USER, PASS, QUIT), ms: the password check's share of a session. */
  login_cpu_ms: number;
  retrieved: number;
}

/**
 * Whole client sessions: before each, NEW_PER_SESSION messages are delivered into the maildir's new/ (written
 * in tmp/, renamed, as an MDA does); the client logs in, STATs, UIDLs, RETRs and DELEs what it has not seen
 * and QUITs. The maildrop ends each session as it began.
 */
async function sessions(port: number, pid: number, maildir: string, seen: Set<string>, first: number, profiled: boolean): Promise<SessionResult> {
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const cpu0 = serverCpuNs(pid) + reapedCpuNs(pid);
  let retrieved = 0;
  for (let i = 0; i < SESSIONS; i++) {
    for (let k = 0; k < NEW_PER_SESSION; k++) deliver(maildir, first + i * NEW_PER_SESSION + k);
    const m0 = monoUs();
    const t0 = performance.now();
    const c = await Client.connect(port);
    await c.line();
    await c.cmd(`USER ${USER}`);
    const ok = await c.cmd(`PASS ${PASSWORD}`);
    if (!ok.startsWith('+OK')) throw new Error(`login failed: ${ok}`);
    await c.cmd('STAT');
    c.send('UIDL\r\n');
    const listing = (await c.multi()).toString('latin1').split('\r\n').slice(1, -2).map((l) => l.split(' '));
    const fresh = listing.filter(([, uidl]) => !seen.has(uidl));
    for (const [n, uidl] of fresh) {
      c.send(`RETR ${n}\r\n`);
      const r = await c.multi();
      if (r[0] !== 0x2b) throw new Error(`RETR ${n}: ${r.toString().slice(0, 80)}`);
      const del = await c.cmd(`DELE ${n}`);
      if (!del.startsWith('+OK')) throw new Error(`DELE ${n}: ${del}`);
      seen.delete(uidl);
      retrieved++;
    }
    const bye = await c.cmd('QUIT');
    if (!bye.startsWith('+OK')) throw new Error(`QUIT: ${bye}`);
    await c.closed();
    hist.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    if (profiled) span('whole sessions (USER, PASS, STAT, UIDL, RETR, DELE, QUIT)', m0);
  }
  // Dovecot's pop3 process may still be writing its index after the connection closed
  await new Promise((r) => setTimeout(r, 200));
  const cpu1 = serverCpuNs(pid) + reapedCpuNs(pid);
  const cpuMs = (cpu1 - cpu0) / 1e6;
  for (let i = 0; i < SESSIONS; i++) {
    const c = await Client.connect(port);
    await c.line();
    await c.cmd(`USER ${USER}`);
    const ok = await c.cmd(`PASS ${PASSWORD}`);
    if (!ok.startsWith('+OK')) throw new Error(`login failed: ${ok}`);
    await c.cmd('QUIT');
    await c.closed();
  }
  await new Promise((r) => setTimeout(r, 200));
  const loginMs = (serverCpuNs(pid) + reapedCpuNs(pid) - cpu1) / 1e6;
  const r = {
    p50_ms: hist.getValueAtPercentile(50) / 1000, p99_ms: hist.getValueAtPercentile(99) / 1000, cpu_ms: +(cpuMs / SESSIONS).toFixed(2),
    login_cpu_ms: +(loginMs / SESSIONS).toFixed(2), retrieved,
  };
  hist.destroy();
  if (retrieved !== SESSIONS * NEW_PER_SESSION) throw new Error(`retrieved ${retrieved}, expected ${SESSIONS * NEW_PER_SESSION}`);
  return r;
}

/** The UIDLs a client has seen: the whole maildrop as it is now. */
async function uidls(port: number): Promise<Set<string>> {
  const { c } = await login(port);
  c.send('UIDL\r\n');
  const lines = (await c.multi()).toString('latin1').split('\r\n').slice(1, -2);
  await c.cmd('QUIT');
  c.close();
  return new Set(lines.map((l) => l.split(' ')[1]));
}

/**
 * Wait (at most 60 s) until a server's processes use under 5% of a core: a fresh `tegami serve` loads its worker
 * threads (spam filter, delivery) in the background for a few seconds after it listens, which is no RETR's cost.
 */
async function settle(pid: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const c0 = serverCpuNs(pid);
    await new Promise((r) => setTimeout(r, 500));
    if (serverCpuNs(pid) - c0 < 25e6) return;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const START = Math.floor(Date.now() / 1000) - MESSAGES;

/** Deterministic message sizes between 1 KB and ~40 KB, most of them small, like a real mailbox. */
function makeMessage(i: number): Buffer {
  const bodyLines = Math.floor(15 + rnd() ** 3 * 500);
  let body = '';
  for (let l = 0; l < bodyLines; l++) body += `${l % 17 === 0 ? '.' : ''}Line ${l} of message ${i}: the quick brown fox jumps over the lazy dog.\r\n`;
  return Buffer.from(
    `Return-Path: <sender${i}@example.org>\r\nFrom: Sender ${i} <sender${i}@example.org>\r\nTo: ${USER}\r\n` +
      `Subject: benchmark message ${i}\r\nMessage-ID: <bench${i}@example.org>\r\nDate: ${new Date((START + i) * 1000).toUTCString()}\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${body}`,
  );
}

function makeMaildir(root: string): number {
  for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(root, d), { recursive: true });
  let total = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const msg = makeMessage(i);
    const name = `${START + i}.M${i}P1000Q${i}.bench,S=${msg.length}:2,`;
    fs.writeFileSync(path.join(root, 'cur', name), msg);
    total += msg.length;
  }
  return total;
}

/** A new message into new/, as an MDA delivers it (tmp/ then rename); owned like the rest of the Maildir. */
function deliver(root: string, i: number): void {
  const msg = makeMessage(i);
  const name = `${START + i}.M${i}P1001Q${i}.bench,S=${msg.length}`;
  const tmp = path.join(root, 'tmp', name);
  fs.writeFileSync(tmp, msg);
  const st = fs.statSync(path.join(root, 'cur'));
  fs.chownSync(tmp, st.uid, st.gid);
  fs.renameSync(tmp, path.join(root, 'new', name));
}

if (!haveDovecot()) {
  console.error('dovecot is not installed: apt-get install dovecot-pop3d dovecot-imapd (with a policy-rc.d exiting 101)');
  process.exit(2);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pop3-bench-'));
const dataDir = path.join(work, 'data');
const root = path.join(dataDir, 'mail', 'example.test', 'bench', 'Maildir');
const totalOctets = makeMaildir(root);
const load = [os.loadavg()[0]];
console.log(`maildrop: ${MESSAGES} messages, ${(totalOctets / 1024 / 1024).toFixed(1)} MB; load average ${load[0].toFixed(2)}`);
const dove = await startDovecot({ sourceMaildir: root, user: USER, password: PASSWORD });
if (PROFILE_DIR) fs.mkdirSync(PROFILE_DIR, { recursive: true });
const srv = await startTestServer({
  dataDir,
  listeners: ['pop3'],
  users: [{ address: USER, password: PASSWORD }],
  env: PROFILE_DIR ? { NODE_OPTIONS: `--import=${new URL('./cpu-prof-preload.js', import.meta.url).href}`, BENCH_CPU_PROF_DIR: PROFILE_DIR } : undefined,
});
const servers = { tegami: [srv.ports.pop3, srv.proc.pid!, root], dovecot: [dove.pop3Port, dove.pid, dove.maildir] } as const;
const results: Record<string, RoundResult[]> = { tegami: [], dovecot: [] };
const sessionResults: Record<string, SessionResult[]> = { tegami: [], dovecot: [] };
try {
  // warm-up: each server builds its index (tegami's SQLite, Dovecot's uidlist and index) and sets \Seen once;
  // tegami's code is compiled over its first few thousand RETRs (more slowly when the machine is busy)
  for (const [port, pid] of Object.values(servers)) {
    await settle(pid);
    for (let w = 0; w < WARMUP_ROUNDS; w++) await round(port, pid, false);
  }
  for (const [, pid] of Object.values(servers)) await settle(pid);
  const seen = { tegami: await uidls(srv.ports.pop3), dovecot: await uidls(dove.pop3Port) };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, [port, pid]] of Object.entries(servers)) {
      const res = await round(port, pid, !!PROFILE_DIR && name === 'tegami');
      results[name].push(res);
      console.log(`${name.padEnd(8)} round ${r + 1}: ${res.ms.toFixed(0)} ms sequential, ${res.pipelined_ms.toFixed(0)} ms pipelined, p50 ${res.p50_us} µs, p99 ${res.p99_us} µs, LIST ${res.list_ms.toFixed(1)} ms, UIDL ${res.uidl_ms.toFixed(1)} ms, server CPU ${res.cpu_ms.toFixed(0)} ms (a RETR: ${res.retr_cpu_us.toFixed(1)} µs one at a time, ${res.pipelined_cpu_us.toFixed(1)} µs pipelined)`);
    }
    for (const [name, [port, pid, maildir]] of Object.entries(servers)) {
      const first = MESSAGES + r * SESSIONS * NEW_PER_SESSION;
      const res = await sessions(port, pid, maildir, seen[name as 'tegami' | 'dovecot'], first, !!PROFILE_DIR && name === 'tegami');
      sessionResults[name].push(res);
      console.log(`${name.padEnd(8)} round ${r + 1}: ${SESSIONS} sessions, p50 ${res.p50_ms.toFixed(2)} ms, p99 ${res.p99_ms.toFixed(2)} ms, server CPU ${res.cpu_ms.toFixed(2)} ms a session, ${res.login_cpu_ms.toFixed(2)} ms a login alone`);
    }
    load.push(os.loadavg()[0]);
  }
} finally {
  await srv.stop();
  await dove.stop();
}
const summary = Object.fromEntries(
  Object.entries(results).map(([name, rs]) => {
    const ms = median(rs.map((r) => r.ms));
    const ss = sessionResults[name];
    return [
      name,
      {
        sequential_ms: Math.round(ms),
        msgs_per_s: Math.round((MESSAGES / ms) * 1000),
        mb_per_s: +((rs[0].octets / 1024 / 1024 / ms) * 1000).toFixed(1),
        p50_us: median(rs.map((r) => r.p50_us)),
        p99_us: median(rs.map((r) => r.p99_us)),
        pipelined_ms: Math.round(median(rs.map((r) => r.pipelined_ms))),
        list_ms: +median(rs.map((r) => r.list_ms)).toFixed(1),
        uidl_ms: +median(rs.map((r) => r.uidl_ms)).toFixed(1),
        cpu_ms: Math.round(median(rs.map((r) => r.cpu_ms))),
        retr_cpu_us: +median(rs.map((r) => r.retr_cpu_us)).toFixed(1),
        pipelined_cpu_us: +median(rs.map((r) => r.pipelined_cpu_us)).toFixed(1),
        session_p50_ms: +median(ss.map((r) => r.p50_ms)).toFixed(2),
        session_p99_ms: +median(ss.map((r) => r.p99_ms)).toFixed(2),
        session_cpu_ms: +median(ss.map((r) => r.cpu_ms)).toFixed(2),
        login_cpu_ms: +median(ss.map((r) => r.login_cpu_ms)).toFixed(2),
      },
    ];
  }),
) as Record<'tegami' | 'dovecot', Record<'sequential_ms' | 'pipelined_ms' | 'p50_us' | 'p99_us' | 'msgs_per_s' | 'mb_per_s' | 'list_ms' | 'uidl_ms' | 'cpu_ms' | 'retr_cpu_us' | 'pipelined_cpu_us' | 'session_p50_ms' | 'session_p99_ms' | 'session_cpu_ms' | 'login_cpu_ms', number>>;
const t = summary.tegami;
const d = summary.dovecot;
const ratio = {
  sequential_time: +(t.sequential_ms / d.sequential_ms).toFixed(2),
  pipelined_time: +(t.pipelined_ms / d.pipelined_ms).toFixed(2),
  p50_latency: +(t.p50_us / d.p50_us).toFixed(2),
  list_time: +(t.list_ms / d.list_ms).toFixed(2),
  uidl_time: +(t.uidl_ms / d.uidl_ms).toFixed(2),
  server_cpu: +(t.cpu_ms / d.cpu_ms).toFixed(2),
  retr_cpu: +(t.retr_cpu_us / d.retr_cpu_us).toFixed(2),
  pipelined_retr_cpu: +(t.pipelined_cpu_us / d.pipelined_cpu_us).toFixed(2),
  session_p50: +(t.session_p50_ms / d.session_p50_ms).toFixed(2),
  session_cpu: +(t.session_cpu_ms / d.session_cpu_ms).toFixed(2),
  login_cpu: +(t.login_cpu_ms / d.login_cpu_ms).toFixed(2),
  session_cpu_without_login: +((t.session_cpu_ms - t.login_cpu_ms) / (d.session_cpu_ms - d.login_cpu_ms)).toFixed(2),
};
console.log(JSON.stringify(summary, null, 2));
console.log(
  `ratio tegami/dovecot (time, lower is better): sequential ${ratio.sequential_time}, pipelined ${ratio.pipelined_time}, p50 ${ratio.p50_latency}, ` +
    `LIST ${ratio.list_time}, UIDL ${ratio.uidl_time}, server CPU per round ${ratio.server_cpu} (login included), per RETR ${ratio.retr_cpu} one at a time and ${ratio.pipelined_retr_cpu} pipelined; session p50 ${ratio.session_p50}, session CPU ${ratio.session_cpu} (login alone ${ratio.login_cpu}, the rest ${ratio.session_cpu_without_login}); ` +
    `load average ${load.map((l) => l.toFixed(1)).join(' → ')}`,
);
const report = {
  benchmark: 'pop3-retr',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, node: process.version, load_average: load },
  messages: MESSAGES,
  octets: totalOctets,
  rounds: ROUNDS,
  warmup_rounds: WARMUP_ROUNDS,
  sessions: { per_round: SESSIONS, new_messages_each: NEW_PER_SESSION, dovecot_password: '{PLAIN} in passwd-file; tegami: scrypt N=2^14 (tegami user add)' },
  summary,
  ratio,
  rounds_raw: results,
  sessions_raw: sessionResults,
};
const reports = path.join(ROOT, 'reports');
fs.mkdirSync(reports, { recursive: true });
const file = path.join(reports, `pop3-bench-${report.date.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
console.log(`report: ${file}`);
if (PROFILE_DIR) {
  const prof = fs.readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(PROFILE_DIR, f));
  // the server's main thread wrote the largest profile
  const main = prof.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  if (main) console.log(`profile: ${writePhaseProfiles(PROFILE_DIR, main, Object.values(phases), 'tegami POP3 (bench:pop3)')}`);
}
fs.rmSync(work, { recursive: true, force: true });
fs.rmSync(dove.dir, { recursive: true, force: true });
