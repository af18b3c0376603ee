// `node dist/bench/idle.js` (never run by `npm test`): what an idle session costs tegami. Opens N SMTP sessions
// (greeting read, EHLO answered) and then N IMAP sessions (logged in, INBOX selected, a mailbox of M messages),
// and reads the server's PSS (/proc/PID/smaps_rollup) before and after each batch: KB per session. With
// --heap it also takes a heap snapshot of the server at each point (node --heapsnapshot-signal) and prints what
// the sessions hold by constructor (self size, per session). Writes JSON + Markdown into --out.
//
//   node dist/bench/idle.js [--sessions 1000] [--inbox 200] [--heap] [--out reports/sample]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineInfo } from '../lab/report/model.js';
import { reportBaseName } from '../lab/report/write.js';
import { batch, Conn, opt } from './session-conn.js';
import { runLoad } from '../lab/load/generator.js';
import { startTegami, REPO_ROOT } from '../lab/targets/tegami.js';
import { LOAD_DOMAIN, startLabDns } from '../lab/targets/lab-dns.js';
import { idleSessionsToml } from './sessions-report.js';
import { heapByConstructor, type HeapTotals } from './heap.js';

const SESSIONS = Number(opt('sessions', '1000'));
const INBOX = Number(opt('inbox', '200'));
const HEAP = process.argv.includes('--heap');
const OUT = path.resolve(opt('out', path.join(REPO_ROOT, 'reports')));
const USER = 'alice@example.test';
const PASS = 'bench-password-1';

/** Proportional set size of a process in KB (shared pages divided among their users). */
function pssKb(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^Pss:\s+(\d+) kB/m.exec(s)?.[1] ?? NaN);
}

const settle = () => new Promise((r) => setTimeout(r, 3000));

interface Point {
  label: string;
  pss_kb: number;
  heap?: HeapTotals;
}

async function snapshot(pid: number, dir: string, label: string): Promise<HeapTotals | undefined> {
  if (!HEAP) return undefined;
  const before = new Set(fs.readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const fresh = fs.readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (fresh.length) {
      const file = path.join(dir, fresh[0]);
      // written whole when it ends its top-level object ("]}") and stops growing
      const complete = () => {
        const { size } = fs.statSync(file);
        if (size < 16) return false;
        const fd = fs.openSync(file, 'r');
        const tail = Buffer.alloc(16);
        fs.readSync(fd, tail, 0, 16, size - 16);
        fs.closeSync(fd);
        return /\]\s*\}\s*$/.test(tail.toString('latin1'));
      };
      while (!complete()) await new Promise((r) => setTimeout(r, 1000));
      await new Promise((r) => setTimeout(r, 1000));
      const totals = heapByConstructor(JSON.parse(fs.readFileSync(file, 'utf8')));
      fs.renameSync(file, path.join(dir, `${label}.heapsnapshot`));
      return totals;
    }
  }
  throw new Error('no heap snapshot written');
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-idle-'));
  const dns = await startLabDns();
  const t = await startTegami({
    users: [{ address: USER, password: PASS }],
    dnsServers: [dns.address],
    listen: { imap: 0 },
    cwd: work,
    nodeArgs: HEAP ? ['--heapsnapshot-signal=SIGUSR2'] : [],
    toml: idleSessionsToml(SESSIONS),
  });
  const pid = t.pid!;
  const points: Point[] = [];
  const at = async (label: string) => {
    await settle();
    const pss = pssKb(pid); // before the snapshot, which itself costs memory
    const heap = await snapshot(pid, work, label);
    const p = { label, pss_kb: pss, heap };
    points.push(p);
    console.log(`${label}: PSS ${(p.pss_kb / 1024).toFixed(1)} MB`);
    return p;
  };
  try {
    // fill INBOX through SMTP (also warms every path up)
    const fill = await runLoad({ name: 'tegami', host: t.host, port: t.port }, { mode: 'closed', connections: 10, messages: INBOX, size: 5120, from: `load-{n}@${LOAD_DOMAIN}`, to: [USER] });
    if (fill.accepted !== INBOX) throw new Error(`INBOX fill: ${fill.accepted}/${INBOX} accepted ${JSON.stringify(fill.errors)}`);
    // one IMAP session first, so the mailbox index is built before the baseline
    const one = await Conn.open(t.listeners!.imap);
    await one.until(/^\* OK/m);
    one.send(`a LOGIN ${USER} ${PASS}`);
    await one.until(/^a OK/m);
    one.send('b SELECT INBOX');
    await one.until(/^b OK/m);
    one.s.destroy();

    const base = await at('baseline');
    const smtp = await batch(SESSIONS, 50, async () => {
      const c = await Conn.open(t.port);
      await c.until(/^220 /m);
      c.send('EHLO idle.lab.example.test');
      await c.until(/^250 /m);
      return c;
    });
    const withSmtp = await at(`${SESSIONS} SMTP sessions after EHLO`);
    for (const c of smtp) c.s.destroy();
    const afterSmtp = await at('SMTP sessions closed');
    const imap = await batch(SESSIONS, 40, async (i) => {
      const c = await Conn.open(t.listeners!.imap);
      await c.until(/^\* OK/m);
      c.send(`a${i} LOGIN ${USER} ${PASS}`);
      await c.until(new RegExp(`^a${i} OK`, 'm'));
      c.send(`b${i} SELECT INBOX`);
      await c.until(new RegExp(`^b${i} OK`, 'm'));
      return c;
    });
    const withImap = await at(`${SESSIONS} IMAP sessions, INBOX (${INBOX} messages) selected`);
    for (const c of imap) c.s.destroy();
    const smtpKb = (withSmtp.pss_kb - base.pss_kb) / SESSIONS;
    const imapKb = (withImap.pss_kb - afterSmtp.pss_kb) / SESSIONS;
    console.log(`per idle SMTP session: ${smtpKb.toFixed(1)} KB; per idle IMAP session with INBOX selected: ${imapKb.toFixed(1)} KB`);

    const stamp = new Date();
    fs.mkdirSync(OUT, { recursive: true });
    const baseName = path.join(OUT, reportBaseName('bench-idle', stamp));
    const perSession = (a?: HeapTotals, b?: HeapTotals) => {
      if (!a || !b) return [];
      const rows = new Map<string, { count: number; bytes: number }>();
      for (const [k, v] of Object.entries(b.byConstructor)) rows.set(k, { count: v.count, bytes: v.bytes });
      for (const [k, v] of Object.entries(a.byConstructor)) {
        const r = rows.get(k) ?? { count: 0, bytes: 0 };
        r.count -= v.count;
        r.bytes -= v.bytes;
        rows.set(k, r);
      }
      return [...rows.entries()].map(([name, r]) => ({ name, count: r.count / SESSIONS, bytes: r.bytes / SESSIONS })).filter((r) => r.bytes > 8).sort((x, y) => y.bytes - x.bytes).slice(0, 30);
    };
    const json = {
      kind: 'tegami-bench-idle',
      generated_at: stamp.toISOString(),
      machine: machineInfo(),
      load_average: os.loadavg()[0],
      sessions: SESSIONS,
      inbox_messages: INBOX,
      smtp_kb_per_session: Math.round(smtpKb * 10) / 10,
      imap_kb_per_session: Math.round(imapKb * 10) / 10,
      points: points.map((p) => ({ label: p.label, pss_kb: p.pss_kb, heap_bytes: p.heap?.total })),
      smtp_heap_per_session: perSession(base.heap, withSmtp.heap),
      imap_heap_per_session: perSession(afterSmtp.heap, withImap.heap),
    };
    fs.writeFileSync(`${baseName}.json`, JSON.stringify(json, null, 2) + '\n');
    const table = (rows: typeof json.smtp_heap_per_session) => ['| constructor | objects per session | bytes per session |', '|---|---:|---:|', ...rows.map((r) => `| \`${r.name}\` | ${r.count.toFixed(2)} | ${r.bytes.toFixed(0)} |`)];
    const md = [
      `# bench:idle — ${stamp.toISOString()}`,
      '',
      `Machine: ${json.machine.cpus} × ${json.machine.cpu_model}, Node ${json.machine.node}; load average ${json.load_average.toFixed(2)}. tegami's default configuration (filters on).`,
      `PSS of the server process (/proc/PID/smaps_rollup), 3 s after each step; sessions opened from 127.0.0.1.`,
      '',
      '| point | PSS MB |',
      '|---|---:|',
      ...points.map((p) => `| ${p.label} | ${(p.pss_kb / 1024).toFixed(1)} |`),
      '',
      `**Per idle SMTP session (greeting + EHLO): ${json.smtp_kb_per_session} KB.** **Per idle IMAP session (LOGIN + SELECT INBOX of ${INBOX} messages): ${json.imap_kb_per_session} KB.**`,
      '',
      ...(HEAP
        ? [
            `Heap snapshots (taken after a full GC) at each point; what one session adds, by constructor (V8 self size):`,
            '',
            '### SMTP session',
            '',
            ...table(json.smtp_heap_per_session),
            '',
            '### IMAP session',
            '',
            ...table(json.imap_heap_per_session),
            '',
          ]
        : []),
    ];
    fs.writeFileSync(`${baseName}.md`, md.join('\n') + '\n');
    console.log(`wrote ${baseName}.json\n      ${baseName}.md`);
  } finally {
    await t.stop();
    await dns.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:idle: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
