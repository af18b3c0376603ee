// POP3 benchmark (not a test): RETR of every message of a 1,000-message maildrop from the real `tegami serve`
// and from a private Dovecot over a copy of the same Maildir, in the same run, rounds interleaved.
// Also LIST and UIDL of the whole maildrop. Each round's CPU is the server's own (/proc schedstat of its process
// tree, imap-profile.ts), the steadier figure on a shared machine. Prints the ratios and writes
// reports/pop3-bench-<time>.json.
// Run: npx tsc -p . && node dist/bench/pop3.js [messages=1000] [rounds=5]
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { startTestServer, ROOT } from '../test/helpers/server.js';
import { haveDovecot, startDovecot } from './dovecot.js';
import { serverCpuNs } from './imap-profile.js';

const MESSAGES = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5);
const USER = 'bench@example.test';
const PASSWORD = 'bench-pass-1';

/** A small POP3 client that reads replies as bytes (a multi-line reply ends at CRLF.CRLF). */
class Client {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private constructor(private readonly s: net.Socket) {
    s.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake?.();
    });
    s.on('close', () => this.wake?.());
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Client(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }
  private async until(find: () => number): Promise<Buffer> {
    for (;;) {
      const end = find();
      if (end >= 0) {
        const out = this.buf.subarray(0, end);
        this.buf = this.buf.subarray(end);
        return out;
      }
      if (this.s.destroyed) throw new Error('connection closed');
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
  line(): Promise<string> {
    return this.until(() => {
      const i = this.buf.indexOf('\r\n');
      return i < 0 ? -1 : i + 2;
    }).then((b) => b.toString('latin1').trimEnd());
  }
  /** A multi-line reply; returns its octets (status line included). */
  multi(): Promise<Buffer> {
    let from = 0;
    return this.until(() => {
      if (this.buf.length >= 3 && this.buf.subarray(0, 3).toString() === '-ER') {
        const i = this.buf.indexOf('\r\n');
        return i < 0 ? -1 : i + 2;
      }
      const i = this.buf.indexOf('\r\n.\r\n', Math.max(0, from - 4));
      from = this.buf.length;
      return i < 0 ? -1 : i + 5;
    });
  }
  async cmd(c: string): Promise<string> {
    this.s.write(c + '\r\n');
    return this.line();
  }
  send(c: string): void {
    this.s.write(c);
  }
  close(): void {
    this.s.destroy();
  }
}

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
}

async function round(port: number, pid: number): Promise<RoundResult> {
  const cpu0 = serverCpuNs(pid);
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const { c, count } = await login(port);
  if (count !== MESSAGES) throw new Error(`expected ${MESSAGES} messages, server has ${count}`);
  const l0 = performance.now();
  c.send('LIST\r\n');
  await c.multi();
  const listMs = performance.now() - l0;
  const u0 = performance.now();
  c.send('UIDL\r\n');
  await c.multi();
  const uidlMs = performance.now() - u0;
  let octets = 0;
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
  // the same messages again, all RETRs sent at once (PIPELINING)
  const p0 = performance.now();
  let all = '';
  for (let i = 1; i <= count; i++) all += `RETR ${i}\r\n`;
  c.send(all);
  for (let i = 1; i <= count; i++) await c.multi();
  const pipelined = performance.now() - p0;
  // before QUIT: Dovecot's pop3 process for this connection exits with it, and its time with it
  const cpuMs = (serverCpuNs(pid) - cpu0) / 1e6;
  await c.cmd('QUIT');
  c.close();
  const r = { ms, octets, p50_us: hist.getValueAtPercentile(50), p99_us: hist.getValueAtPercentile(99), pipelined_ms: pipelined, list_ms: listMs, uidl_ms: uidlMs, cpu_ms: cpuMs };
  hist.destroy();
  return r;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Deterministic message sizes between 1 KB and ~40 KB, most of them small, like a real mailbox. */
function makeMaildir(root: string): number {
  for (const d of ['tmp', 'new', 'cur']) fs.mkdirSync(path.join(root, d), { recursive: true });
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const start = Math.floor(Date.now() / 1000) - MESSAGES;
  let total = 0;
  for (let i = 0; i < MESSAGES; i++) {
    const bodyLines = Math.floor(15 + rnd() ** 3 * 500);
    let body = '';
    for (let l = 0; l < bodyLines; l++) body += `${l % 17 === 0 ? '.' : ''}Line ${l} of message ${i}: the quick brown fox jumps over the lazy dog.\r\n`;
    const msg = Buffer.from(
      `Return-Path: <sender${i}@example.org>\r\nFrom: Sender ${i} <sender${i}@example.org>\r\nTo: ${USER}\r\n` +
        `Subject: benchmark message ${i}\r\nMessage-ID: <bench${i}@example.org>\r\nDate: ${new Date((start + i) * 1000).toUTCString()}\r\n` +
        `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${body}`,
    );
    const name = `${start + i}.M${i}P1000Q${i}.bench,S=${msg.length}:2,`;
    fs.writeFileSync(path.join(root, 'cur', name), msg);
    total += msg.length;
  }
  return total;
}

if (!haveDovecot()) {
  console.error('dovecot is not installed: apt-get install dovecot-pop3d dovecot-imapd (with a policy-rc.d exiting 101)');
  process.exit(2);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pop3-bench-'));
const dataDir = path.join(work, 'data');
const root = path.join(dataDir, 'mail', 'example.test', 'bench', 'Maildir');
const totalOctets = makeMaildir(root);
console.log(`maildrop: ${MESSAGES} messages, ${(totalOctets / 1024 / 1024).toFixed(1)} MB`);
const dove = await startDovecot({ sourceMaildir: root, user: USER, password: PASSWORD });
const srv = await startTestServer({ dataDir, listeners: ['pop3'], users: [{ address: USER, password: PASSWORD }] });
const servers = { tegami: [srv.ports.pop3, srv.proc.pid!], dovecot: [dove.pop3Port, dove.pid] } as const;
const results: Record<string, RoundResult[]> = { tegami: [], dovecot: [] };
try {
  // warm-up: each server builds its index (tegami's SQLite, Dovecot's uidlist and index) and sets \Seen once
  for (const [port, pid] of Object.values(servers)) await round(port, pid);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, [port, pid]] of Object.entries(servers)) {
      const res = await round(port, pid);
      results[name].push(res);
      console.log(`${name.padEnd(8)} round ${r + 1}: ${res.ms.toFixed(0)} ms sequential, ${res.pipelined_ms.toFixed(0)} ms pipelined, p50 ${res.p50_us} µs, p99 ${res.p99_us} µs, LIST ${res.list_ms.toFixed(1)} ms, UIDL ${res.uidl_ms.toFixed(1)} ms, server CPU ${res.cpu_ms.toFixed(0)} ms`);
    }
  }
} finally {
  await srv.stop();
  await dove.stop();
}
const summary = Object.fromEntries(
  Object.entries(results).map(([name, rs]) => {
    const ms = median(rs.map((r) => r.ms));
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
      },
    ];
  }),
) as Record<'tegami' | 'dovecot', { sequential_ms: number; pipelined_ms: number; p50_us: number; p99_us: number; msgs_per_s: number; mb_per_s: number; list_ms: number; uidl_ms: number; cpu_ms: number }>;
const ratio = {
  sequential_time: +(summary.tegami.sequential_ms / summary.dovecot.sequential_ms).toFixed(2),
  pipelined_time: +(summary.tegami.pipelined_ms / summary.dovecot.pipelined_ms).toFixed(2),
  p50_latency: +(summary.tegami.p50_us / summary.dovecot.p50_us).toFixed(2),
  list_time: +(summary.tegami.list_ms / summary.dovecot.list_ms).toFixed(2),
  uidl_time: +(summary.tegami.uidl_ms / summary.dovecot.uidl_ms).toFixed(2),
  server_cpu: +(summary.tegami.cpu_ms / summary.dovecot.cpu_ms).toFixed(2),
};
console.log(JSON.stringify(summary, null, 2));
console.log(`ratio tegami/dovecot (time, lower is better): sequential ${ratio.sequential_time}, pipelined ${ratio.pipelined_time}, p50 ${ratio.p50_latency}, LIST ${ratio.list_time}, UIDL ${ratio.uidl_time}, server CPU per round ${ratio.server_cpu}`);
const report = {
  benchmark: 'pop3-retr',
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, node: process.version },
  messages: MESSAGES,
  octets: totalOctets,
  rounds: ROUNDS,
  summary,
  ratio,
  rounds_raw: results,
};
const reports = path.join(ROOT, 'reports');
fs.mkdirSync(reports, { recursive: true });
const file = path.join(reports, `pop3-bench-${report.date.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
console.log(`report: ${file}`);
fs.rmSync(work, { recursive: true, force: true });
fs.rmSync(dove.dir, { recursive: true, force: true });
