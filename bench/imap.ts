// IMAP benchmark (not a test): FETCH and SEARCH over 10,000 messages on tegami (MaildirStore, its own
// process) and on Dovecot (Debian's dovecot-imapd, started here on a high loopback port over a copy of the
// same Maildir), in the same run; prints times and ratios. Never starts the system Dovecot service.
// usage: node dist/bench/imap.js [messages]        (internal: node dist/bench/imap.js --serve DATADIR PORT)
// BENCH_PROFILE=DIR: the server runs with --cpu-prof into DIR, and DIR gets summary.md + a flame graph per command.
// BENCH_NODE_ARGS="--trace-opt …": more node/V8 options for tegami's server process (split on spaces).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monoUs, serverCpuNs, writePhaseProfiles, type Phase } from './imap-profile.js';

const USER = 'bench@example.test';
/** A second mailbox (a copy of the first), selected after it: the first SELECT of a server that has run a while. */
const SECOND = 'second@example.test';
const PASS = 'bench-pass-1';
const JIS_SUBJECT = '=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?='; // 日本語

function message(i: number): Buffer {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  const body = Array.from({ length: 20 + (i % 40) }, (_, k) => `${words[(i + k) % 10]} line ${k} of message ${i}`).join('\r\n');
  const subject = i % 100 === 0 ? `${JIS_SUBJECT} report ${i}` : i % 37 === 0 ? `needle subject ${i}` : `message number ${i}`;
  const needle = i % 53 === 0 ? '\r\nthe haystack hides a needle here' : '';
  if (i % 10 === 0) {
    return Buffer.from(
      [
        `From: "Sender ${i}" <sender${i}@example.org>`,
        `To: ${USER}`,
        `Subject: ${subject}`,
        `Date: Mon, 1 Jan 2024 ${String(i % 24).padStart(2, '0')}:00:00 +0000`,
        `Message-ID: <m${i}@example.org>`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        body + needle,
        '--b1',
        'Content-Type: application/octet-stream; name="x.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.alloc(600, i % 256).toString('base64').replace(/.{76}/g, '$&\r\n'),
        '--b1--',
        '',
      ].join('\r\n'),
    );
  }
  return Buffer.from(
    [`From: sender${i}@example.org`, `To: ${USER}`, `Subject: ${subject}`, `Date: Mon, 1 Jan 2024 10:00:00 +0000`, `Message-ID: <m${i}@example.org>`, '', body + needle, ''].join('\r\n'),
  );
}

function writeMaildir(dir: string, n: number): void {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const t = Math.floor(Date.now() / 1000) - n;
  for (let i = 1; i <= n; i++) {
    const m = message(i);
    const name = `${t + i}.M${i}P1.bench,S=${m.length}:2,${i % 3 === 0 ? 'S' : ''}`;
    fs.writeFileSync(path.join(dir, 'cur', name), m);
    fs.utimesSync(path.join(dir, 'cur', name), t + i, t + i);
  }
}

/** Minimal timing client: sends a command, reads until its tagged reply, counts bytes. */
class TimingClient {
  private chunks: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private n = 0;
  constructor(private readonly s: net.Socket) {
    s.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.waiter?.();
    });
  }
  static async connect(port: number): Promise<TimingClient> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((res, rej) => {
      s.once('connect', () => res());
      s.once('error', rej);
    });
    const c = new TimingClient(s);
    await c.readUntil(/^\* OK/m);
    return c;
  }
  private async readUntil(re: RegExp): Promise<{ text: string; bytes: number }> {
    let tail = '';
    let bytes = 0;
    for (;;) {
      while (this.chunks.length) {
        const c = this.chunks.shift()!;
        bytes += c.length;
        tail = (tail + c.toString('latin1')).slice(-4096);
        if (re.test(tail)) {
          return { text: tail, bytes };
        }
      }
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = null;
    }
  }
  async cmd(command: string): Promise<{ ms: number; bytes: number; status: string; text: string }> {
    const tag = `b${++this.n}`;
    const t0 = process.hrtime.bigint();
    this.s.write(`${tag} ${command}\r\n`);
    const r = await this.readUntil(new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r]*\\r\\n`));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const status = new RegExp(`${tag} (OK|NO|BAD)[^\\r]*`).exec(r.text)![0];
    return { ms, bytes: r.bytes, status, text: r.text };
  }
  close(): void {
    this.s.destroy();
  }
}

async function waitPort(port: number, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited`);
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Child mode: run tegami's IMAP listener alone on the given data dir. */
async function serve(dataDir: string, port: number): Promise<void> {
  const { parseConfigText } = await import('../engine/config/load.js');
  const { directoryFor } = await import('../engine/context.js');
  const { openDatabase } = await import('../engine/db/database.js');
  const { startImap } = await import('../engine/imap/server.js');
  const { Logger } = await import('../engine/log/logger.js');
  const { MaildirStore } = await import('../engine/store/maildir-store.js');
  const { loadOrCreateCertificate } = await import('../engine/tls/certificate.js');
  const config = parseConfigText(`data_dir = ${JSON.stringify(dataDir)}\n[domains]\nlocal = ["example.test"]\n[log]\nstdout = false\nfiles = false\n`, path.join(dataDir, 'tegami.toml'));
  const db = openDatabase(dataDir);
  const directory = directoryFor(config, db);
  for (const address of [USER, SECOND]) if (!directory.user(address)) await directory.addUser({ address, password: PASS });
  const pair = await loadOrCreateCertificate({ dataDir, hostname: 'localhost' });
  await startImap({
    listen: `127.0.0.1:${port}`,
    implicitTls: false,
    tls: { key: pair.key, cert: pair.cert },
    store: new MaildirStore(dataDir),
    directory,
    config,
    logger: new Logger({ stdout: false, files: false }),
  });
}

function dovecotConfig(dir: string, port: number): string {
  return [
    `base_dir = ${dir}/run`,
    `state_dir = ${dir}/state`,
    `log_path = ${dir}/dovecot.log`,
    'protocols = imap',
    'listen = 127.0.0.1',
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    `mail_location = maildir:${dir}/mail/%n/Maildir:INDEX=${dir}/index/%n`,
    'mail_uid = nobody',
    'mail_gid = nogroup',
    'first_valid_uid = 1',
    'default_login_user = dovenull',
    'default_internal_user = dovecot',
    `passdb {\n  driver = passwd-file\n  args = ${dir}/passwd\n}`,
    `userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=${dir}/home\n}`,
    `service imap-login {\n  inet_listener imap {\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
    'service stats {\n  unix_listener stats-reader {\n    mode = 0666\n  }\n  unix_listener stats-writer {\n    mode = 0666\n  }\n}',
    '',
  ].join('\n');
}

interface Op {
  name: string;
  command: string;
}

const OPS: Op[] = [
  { name: 'FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)', command: 'FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)' },
  { name: 'FETCH 1:* (ENVELOPE BODYSTRUCTURE)', command: 'FETCH 1:* (ENVELOPE BODYSTRUCTURE)' },
  { name: 'FETCH 1:* BODY.PEEK[]', command: 'FETCH 1:* BODY.PEEK[]' },
  { name: 'SEARCH SUBJECT needle', command: 'SEARCH SUBJECT needle' },
  { name: 'SEARCH BODY haystack', command: 'SEARCH BODY haystack' },
  { name: 'SEARCH CHARSET UTF-8 SUBJECT 日本語', command: `SEARCH CHARSET UTF-8 SUBJECT {9+}\r\n日本語` },
  { name: 'SEARCH UNSEEN LARGER 2000', command: 'SEARCH UNSEEN LARGER 2000' },
];

interface Side {
  c: TimingClient;
  /** The server's process (its descendants count too), for its CPU time. */
  pid: number;
  cold: number;
  coldCpu: number;
  /** The second mailbox's first SELECT: wall ms, server CPU ms, and CPU in the quiet seconds after it. */
  second: { ms: number; cpu: number; afterCpu: number };
  /** Server CPU in the quiet seconds after the first SELECT's answer (work it left for later: tegami's index rows). */
  afterCpu: number;
  /** Wall ms (median, best) and the server's CPU ms summed over all runs. */
  results: Map<string, { ms: number; best: number; cpu: number; firstCpu: number; bytes: number; hits: number }>;
  phases: Phase[];
}

async function open(port: number, pid: number, user = USER): Promise<Side> {
  const c = await TimingClient.connect(port);
  const login = await c.cmd(`LOGIN ${user} ${PASS}`);
  if (!login.status.includes('OK')) throw new Error(`login failed: ${login.status}`);
  return { c, pid, cold: 0, coldCpu: 0, afterCpu: 0, second: { ms: 0, cpu: 0, afterCpu: 0 }, results: new Map(), phases: [] };
}

async function coldSelect(side: Side): Promise<void> {
  const phase: Phase = { name: 'first SELECT (index build)', spans: [] };
  const cpu0 = serverCpuNs(side.pid);
  const t0 = monoUs();
  const sel = await side.c.cmd('SELECT INBOX');
  phase.spans.push([t0, monoUs()]);
  side.coldCpu = (serverCpuNs(side.pid) - cpu0) / 1e6;
  side.phases.push(phase);
  if (!sel.status.includes('OK')) throw new Error(`select failed: ${sel.status}`);
  side.cold = sel.ms;
  // what the server does in the next seconds with no command pending: work left for after the answer (tegami
  // writes a first build's index rows 2 s after it), counted apart so it is neither hidden nor charged to FETCH
  const cpu1 = serverCpuNs(side.pid);
  await new Promise((r) => setTimeout(r, AFTER_SELECT_MS));
  side.afterCpu = (serverCpuNs(side.pid) - cpu1) / 1e6;
}

/** The first SELECT of the second mailbox, on its own connection, after the first mailbox's. */
async function secondSelect(side: Side, port: number): Promise<void> {
  const other = await open(port, side.pid, SECOND);
  await coldSelect(other);
  side.second = { ms: other.cold, cpu: other.coldCpu, afterCpu: other.afterCpu };
  side.phases.push({ name: 'first SELECT of a second mailbox', spans: other.phases[0].spans });
  await other.c.cmd('LOGOUT').catch(() => undefined);
  other.c.close();
}

/** The quiet window after the first SELECT whose server CPU is reported apart. */
const AFTER_SELECT_MS = 3000;

/**
 * Each command `runs` times on every server, alternating (tegami, dovecot, tegami, …), so both meet the same
 * moment of the shared machine's load; median and best of the runs.
 */
async function measureOps(sides: Side[], runs: number): Promise<void> {
  for (const op of OPS) {
    const times = sides.map(() => [] as number[]);
    const cpu = sides.map(() => 0);
    const firstCpu = sides.map(() => 0);
    const phases = sides.map((side) => {
      const ph: Phase = { name: `${op.name} (×${runs})`, spans: [] };
      side.phases.push(ph);
      return ph;
    });
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < sides.length; k++) {
        const cpu0 = serverCpuNs(sides[k].pid);
        const t0 = monoUs();
        const r = await sides[k].c.cmd(op.command);
        phases[k].spans.push([t0, monoUs()]);
        const spent = (serverCpuNs(sides[k].pid) - cpu0) / 1e6;
        cpu[k] += spent;
        if (i === 0) firstCpu[k] = spent;
        if (!r.status.includes('OK')) throw new Error(`${op.name}: ${r.status}`);
        times[k].push(r.ms);
        const m = /\* SEARCH([ \d]*)\r\n/.exec(r.text);
        const hits = m ? m[1].trim().split(/\s+/).filter(Boolean).length : 0;
        const sorted = [...times[k]].sort((a, b) => a - b);
        sides[k].results.set(op.name, { ms: sorted[Math.floor(sorted.length / 2)], best: sorted[0], cpu: cpu[k], firstCpu: firstCpu[k], bytes: r.bytes, hits });
      }
    }
  }
  for (const side of sides) {
    await side.c.cmd('LOGOUT').catch(() => undefined);
    side.c.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') {
    process.on('SIGTERM', () => process.exit(0)); // exit normally, so --cpu-prof can write its profile
    await serve(process.argv[3], Number(process.argv[4]));
    return;
  }
  const n = Number(process.argv[2] ?? 10_000);
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-bench-imap-'));
  fs.chmodSync(root, 0o755);
  const dataDir = path.join(root, 'tegami');
  const maildir = path.join(dataDir, 'mail', 'example.test', 'bench', 'Maildir');
  const load = [os.loadavg()[0]];
  console.log(`writing ${n} messages...`);
  writeMaildir(maildir, n);
  fs.mkdirSync(path.join(dataDir, 'mail', 'example.test', 'second'), { recursive: true });
  spawnSync('cp', ['-a', maildir, path.join(dataDir, 'mail', 'example.test', 'second', 'Maildir')]);
  const procs: ChildProcess[] = [];
  try {
    const tPort = await freePort();
    const self = fileURLToPath(import.meta.url);
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const profileDir = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : '';
    if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
    const tegami = spawn(process.execPath, [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir=' + profileDir] : []), ...nodeArgs, self, '--serve', dataDir, String(tPort)], { stdio: 'inherit' });
    procs.push(tegami);
    await waitPort(tPort, tegami, 'tegami');
    const t = await open(tPort, tegami.pid!);
    console.log('tegami (cold SELECT builds the index)...');
    await coldSelect(t);
    await secondSelect(t, tPort);

    let d: Side | null = null;
    if (fs.existsSync('/usr/sbin/dovecot')) {
      const ddir = path.join(root, 'dovecot');
      fs.mkdirSync(ddir);
      for (const who of ['bench', 'second']) {
        fs.mkdirSync(path.join(ddir, 'mail', who), { recursive: true });
        spawnSync('cp', ['-a', maildir, path.join(ddir, 'mail', who, 'Maildir')]);
      }
      for (const sub of ['run', 'state', 'index', 'home']) fs.mkdirSync(path.join(ddir, sub));
      fs.writeFileSync(path.join(ddir, 'passwd'), `${USER}:{PLAIN}${PASS}\n${SECOND}:{PLAIN}${PASS}\n`);
      const dPort = await freePort();
      fs.writeFileSync(path.join(ddir, 'dovecot.conf'), dovecotConfig(ddir, dPort));
      spawnSync('chown', ['-R', 'nobody:nogroup', path.join(ddir, 'mail'), path.join(ddir, 'index'), path.join(ddir, 'home')]);
      const dovecot = spawn('/usr/sbin/dovecot', ['-F', '-c', path.join(ddir, 'dovecot.conf')], { stdio: 'inherit' });
      procs.push(dovecot);
      await waitPort(dPort, dovecot, 'dovecot');
      d = await open(dPort, dovecot.pid!);
      console.log('dovecot (cold SELECT builds its index)...');
      await coldSelect(d);
      await secondSelect(d, dPort);
    } else {
      console.log('dovecot not installed (apt-get install dovecot-imapd, with /usr/sbin/policy-rc.d exiting 101): tegami only');
    }
    console.log(`FETCH and SEARCH, ${runs} runs each, alternating between the servers...`);
    await measureOps(d ? [t, d] : [t], runs);
    const rows: string[] = [];
    rows.push(`| operation (${n} messages; ${runs} runs, alternating) | tegami ms (median) | dovecot ms | ratio | best t/d ms | best ratio | server CPU t/d ms | CPU ratio | first run CPU t/d ms | first ratio | hits t/d |`);
    rows.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    const r2 = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : '-');
    rows.push(`| first SELECT (index build, once) | ${t.cold.toFixed(0)} | ${d ? d.cold.toFixed(0) : '-'} | ${r2(t.cold, d?.cold)} | | | ${t.coldCpu.toFixed(0)}/${d ? d.coldCpu.toFixed(0) : '-'} | ${r2(t.coldCpu, d?.coldCpu)} | | | |`);
    rows.push(`| … then ${AFTER_SELECT_MS / 1000} s with no command (work left for after the answer) | | | | | | ${t.afterCpu.toFixed(0)}/${d ? d.afterCpu.toFixed(0) : '-'} | | | | |`);
    rows.push(`| first SELECT of a second mailbox (a copy, on a server that built the first) | ${t.second.ms.toFixed(0)} | ${d ? d.second.ms.toFixed(0) : '-'} | ${r2(t.second.ms, d?.second.ms)} | | | ${t.second.cpu.toFixed(0)}/${d ? d.second.cpu.toFixed(0) : '-'} | ${r2(t.second.cpu, d?.second.cpu)} | | | |`);
    rows.push(`| … then ${AFTER_SELECT_MS / 1000} s with no command | | | | | | ${t.second.afterCpu.toFixed(0)}/${d ? d.second.afterCpu.toFixed(0) : '-'} | | | | |`);
    for (const op of OPS) {
      const a = t.results.get(op.name)!;
      const b = d?.results.get(op.name);
      const hits = op.name.startsWith('SEARCH') ? `${a.hits}/${b ? b.hits : '-'}` : '';
      rows.push(`| ${op.name} | ${a.ms.toFixed(0)} | ${b ? b.ms.toFixed(0) : '-'} | ${r2(a.ms, b?.ms)} | ${a.best.toFixed(0)}/${b ? b.best.toFixed(0) : '-'} | ${r2(a.best, b?.best)} | ${a.cpu.toFixed(0)}/${b ? b.cpu.toFixed(0) : '-'} | ${r2(a.cpu, b?.cpu)} | ${a.firstCpu.toFixed(0)}/${b ? b.firstCpu.toFixed(0) : '-'} | ${r2(a.firstCpu, b?.firstCpu)} | ${hits} |`);
    }
    load.push(os.loadavg()[0]);
    console.log(rows.join('\n'));
    console.log(`load average (1 min): ${load.map((x) => x.toFixed(1)).join(' → ')} on ${os.cpus().length} cores`);
    if (profileDir) {
      // the server writes its profile when it exits
      tegami.kill('SIGTERM');
      await new Promise((r) => (tegami.exitCode !== null ? r(null) : tegami.once('exit', r)));
      const file = fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(profileDir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
      if (file) console.log(`profile summary: ${writePhaseProfiles(profileDir, file, t.phases, `bench:imap, tegami's IMAP server, ${n} messages`)}`);
    }
  } finally {
    for (const p of procs) if (p.pid && p.exitCode === null) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
