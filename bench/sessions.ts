// `npm run bench:sessions` (never run by `npm test`): what an idle session costs, tegami next to the floor, in
// one run. Opens N SMTP sessions (greeting read, EHLO answered) on tegami (default configuration, filters on)
// and on a bare smtp-server (bench/bare-smtp.ts), and N IMAP sessions (LOGIN, SELECT INBOX of M messages) on
// tegami and on a private Dovecot over a copy of the same Maildir. Per session: PSS (/proc/PID/smaps_rollup,
// summed over Dovecot's processes) and, for the Node servers, the live heap after a full GC (bench/gc-probe.ts).
//
//   node dist/bench/sessions.js [--sessions 1000] [--inbox 200] [--out reports] [--only tegami,smtp-server,dovecot]
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
import { LOAD_DOMAIN, startLabDns, tegamiFilterToml } from '../lab/targets/lab-dns.js';
import { haveDovecot, startDovecot } from './dovecot.js';

const SESSIONS = Number(opt('sessions', '1000'));
const INBOX = Number(opt('inbox', '200'));
const OUT = path.resolve(opt('out', path.join(REPO_ROOT, 'reports')));
const ONLY = opt('only', 'tegami,smtp-server,dovecot').split(',');
const USER = 'alice@example.test';
const PASS = 'bench-password-1';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROBE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-gc-probe-'));
process.env.GC_PROBE_DIR = PROBE_DIR;
const NODE_ARGS = ['--expose-gc', `--import=${path.join(HERE, 'gc-probe.js')}`];

interface Mem {
  pss_kb: number;
  rss_kb: number;
  heap_kb?: number;
  processes: number;
}

function smaps(pid: number): { pss: number; rss: number } {
  try {
    const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { pss: Number(/^Pss:\s+(\d+) kB/m.exec(s)?.[1] ?? 0), rss: Number(/^Rss:\s+(\d+) kB/m.exec(s)?.[1] ?? 0) };
  } catch {
    return { pss: 0, rss: 0 }; // gone meanwhile
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

/** A full GC in a Node server started with NODE_ARGS; its heap after it, in KB. */
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

async function measure(pid: number, node: boolean): Promise<Mem> {
  await new Promise((r) => setTimeout(r, 2000));
  const heap = node ? await gcHeapKb(pid) : undefined;
  await new Promise((r) => setTimeout(r, 1000));
  let pss = 0;
  let rss = 0;
  const pids = node ? [pid] : tree(pid);
  for (const p of pids) {
    const m = smaps(p);
    pss += m.pss;
    rss += m.rss;
  }
  return { pss_kb: pss, rss_kb: rss, heap_kb: heap, processes: pids.length };
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

async function imapSessions(port: number, user: string, pass: string, n = SESSIONS): Promise<Conn[]> {
  return batch(n, 20, async (i) => {
    const c = await Conn.open(port);
    await c.until(/^\* OK/m);
    c.send(`a${i} LOGIN ${user} ${pass}`);
    await c.until(new RegExp(`^a${i} OK`, 'm'));
    c.send(`b${i} SELECT INBOX`);
    await c.until(new RegExp(`^b${i} OK`, 'm'));
    return c;
  });
}

interface Row {
  target: string;
  protocol: 'SMTP' | 'IMAP';
  before: Mem;
  with: Mem;
  pss_kb_per_session: number;
  rss_kb_per_session: number;
  heap_kb_per_session?: number;
}

function row(target: string, protocol: Row['protocol'], before: Mem, withN: Mem): Row {
  const r: Row = {
    target,
    protocol,
    before,
    with: withN,
    pss_kb_per_session: (withN.pss_kb - before.pss_kb) / SESSIONS,
    rss_kb_per_session: (withN.rss_kb - before.rss_kb) / SESSIONS,
    heap_kb_per_session: before.heap_kb !== undefined && withN.heap_kb !== undefined ? (withN.heap_kb - before.heap_kb) / SESSIONS : undefined,
  };
  console.log(`${target} ${protocol}: PSS ${r.pss_kb_per_session.toFixed(1)} KB, RSS ${r.rss_kb_per_session.toFixed(1)} KB${r.heap_kb_per_session !== undefined ? `, heap ${r.heap_kb_per_session.toFixed(1)} KB` : ''} per session`);
  return r;
}

function close(conns: Conn[]): Promise<void> {
  for (const c of conns) c.s.destroy();
  return new Promise((r) => setTimeout(r, 2000));
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const loads: number[] = [os.loadavg()[0]];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-sessions-'));
  const procs: ChildProcess[] = [];
  const dns = await startLabDns();
  let maildir = '';
  try {
    const t = await startTegami({
      users: [{ address: USER, password: PASS }],
      dnsServers: [dns.address],
      listen: { imap: 0 },
      cwd: work,
      nodeArgs: NODE_ARGS,
      toml: [
        tegamiFilterToml(),
        '[smtp]',
        `max_connections = ${SESSIONS + 100}`,
        `max_connections_per_ip = ${SESSIONS + 100}`,
        '[imap]',
        `max_connections = ${SESSIONS + 100}`,
        `max_connections_per_ip = ${SESSIONS + 100}`,
        '[auth]',
        'max_queued_hashes = 1000',
      ].join('\n'),
    });
    try {
      // fill INBOX through SMTP (also warms every path up)
      const fill = await runLoad({ name: 'tegami', host: t.host, port: t.port }, { mode: 'closed', connections: 10, messages: INBOX, size: 5120, from: `load-{n}@${LOAD_DOMAIN}`, to: [USER] });
      if (fill.accepted !== INBOX) throw new Error(`INBOX fill: ${fill.accepted}/${INBOX} accepted ${JSON.stringify(fill.errors)}`);
      maildir = t.maildir!(USER);
      // one session of each kind first (code paths loaded, the mailbox index built): the baselines are not
      // measured on a heap already grown by a batch of sessions, so PSS counts what the sessions make it grow
      await close([...(await imapSessions(t.listeners!.imap, USER, PASS, 1)), ...(await smtpSessions(t.port, 1))]);
      if (ONLY.includes('tegami')) {
        const b1 = await measure(t.pid!, true);
        const smtp = await smtpSessions(t.port);
        rows.push(row('tegami', 'SMTP', b1, await measure(t.pid!, true)));
        await close(smtp);
        const b2 = await measure(t.pid!, true);
        const imap = await imapSessions(t.listeners!.imap, USER, PASS);
        rows.push(row('tegami', 'IMAP', b2, await measure(t.pid!, true)));
        await close(imap);
      }
      loads.push(os.loadavg()[0]);
      if (ONLY.includes('dovecot') && haveDovecot()) {
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
          const warmD = await Conn.open(d.imapPort);
          await warmD.until(/^\* OK/m);
          warmD.send(`a LOGIN ${USER} ${PASS}`);
          await warmD.until(/^a OK/m);
          warmD.send('b SELECT INBOX');
          await warmD.until(/^b OK/m);
          await close([warmD]);
          const b = await measure(d.pid, false);
          const imap = await imapSessions(d.imapPort, USER, PASS);
          rows.push(row('dovecot', 'IMAP', b, await measure(d.pid, false)));
          await close(imap);
        } finally {
          await d.stop();
          fs.rmSync(d.dir, { recursive: true, force: true });
        }
      }
    } finally {
      await t.stop();
    }
    loads.push(os.loadavg()[0]);
    if (ONLY.includes('smtp-server')) {
      const portFile = path.join(work, 'bare-port');
      const bare = spawn(process.execPath, [...NODE_ARGS, path.join(HERE, 'bare-smtp.js'), portFile], { stdio: 'inherit' });
      procs.push(bare);
      for (let i = 0; i < 300 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
      const port = Number(fs.readFileSync(portFile, 'utf8'));
      await close(await smtpSessions(port, 1));
      const b = await measure(bare.pid!, true);
      const smtp = await smtpSessions(port);
      rows.push(row('smtp-server (bare)', 'SMTP', b, await measure(bare.pid!, true)));
      await close(smtp);
    }
    loads.push(os.loadavg()[0]);
    write(rows, loads);
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await dns.close();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(PROBE_DIR, { recursive: true, force: true });
  }
}

function write(rows: Row[], loads: number[]): void {
  const stamp = new Date();
  fs.mkdirSync(OUT, { recursive: true });
  const base = path.join(OUT, reportBaseName('bench-sessions', stamp));
  const json = { kind: 'tegami-bench-sessions', generated_at: stamp.toISOString(), machine: machineInfo(), load_average: loads, sessions: SESSIONS, inbox_messages: INBOX, rows };
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 2) + '\n');
  const f = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1));
  const md = [
    `# bench:sessions — ${stamp.toISOString()}`,
    '',
    `Machine: ${json.machine.cpus} × ${json.machine.cpu_model}, Node ${json.machine.node}; 1-minute load average ${loads.map((l) => l.toFixed(1)).join(' → ')} over the run.`,
    `${SESSIONS} idle sessions per row, opened from 127.0.0.1: SMTP after the greeting and EHLO; IMAP after LOGIN and SELECT INBOX (${INBOX} messages of 5 KB).`,
    'PSS from /proc/PID/smaps_rollup (Dovecot: summed over its processes, one imap process per session), 3 s after a full GC;',
    'heap = V8 heap used after that GC (Node servers only). tegami runs its default configuration (filters on).',
    '',
    '| target | protocol | PSS KB / session | RSS KB / session | heap KB / session | PSS MB before → with sessions |',
    '|---|---|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.target} | ${r.protocol} | ${f(r.pss_kb_per_session)} | ${f(r.rss_kb_per_session)} | ${f(r.heap_kb_per_session)} | ${(r.before.pss_kb / 1024).toFixed(1)} → ${(r.with.pss_kb / 1024).toFixed(1)} |`),
    '',
  ];
  fs.writeFileSync(`${base}.md`, md.join('\n'));
  console.log(`wrote ${base}.json\n      ${base}.md`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:sessions: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
