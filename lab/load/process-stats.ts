// CPU and memory of a local target process and its descendants (Postfix is a tree of processes), sampled
// from /proc while a load runs. Linux only; on other systems or for a vanished pid it yields no samples.
// It only reads /proc: it never signals or otherwise touches the process.
//
// API:
//   const sampler = sampleProcessTree(pid, 500);  ...  const s = sampler.stop();
//   s.cpuPercent (mean over the run; 100 = one core), s.maxRssMb, s.samples[{ t, cpu, rssMb }]
import fs from 'node:fs';

export interface ProcessSample {
  /** Seconds since sampling started. */
  t: number;
  /** CPU use over the last interval, percent of one core. */
  cpu: number;
  rssMb: number;
}

export interface ProcessStats {
  pid: number;
  cpuPercent: number;
  maxRssMb: number;
  samples: ProcessSample[];
}

const TICKS = 100; // USER_HZ on Linux
const PAGE_KB = 4;

function readStat(pid: number): { ppid: number; ticks: number; rssKb: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14) ... rss(21);
    // reaped children's time moves into their parent's cutime/cstime, so short-lived workers (smtpd) still count
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]), rssKb: Number(rest[21]) * PAGE_KB };
  } catch {
    return undefined;
  }
}

/** The pid and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [root];
  }
  for (const d of entries) {
    const st = readStat(Number(d));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(d));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length && out.length < 10_000) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

function totals(roots: number[]): { ticks: number; rssKb: number } | undefined {
  if (!readStat(roots[0])) return undefined;
  let ticks = 0;
  let rssKb = 0;
  const seen = new Set<number>();
  for (const p of roots.flatMap((r) => processTree(r))) {
    if (seen.has(p)) continue;
    seen.add(p);
    const st = readStat(p);
    if (!st) continue;
    ticks += st.ticks;
    rssKb += st.rssKb;
  }
  return { ticks, rssKb };
}

/** Samples the trees of `pid` (one root or several: an MTA and its filter daemons, summed). */
export function sampleProcessTree(pid: number | number[], intervalMs = 500): { stop(): ProcessStats } {
  const roots = Array.isArray(pid) ? pid : [pid];
  const samples: ProcessSample[] = [];
  const t0 = performance.now();
  const first = totals(roots);
  let last = first ? { ...first, at: t0 } : undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    const cur = totals(roots);
    if (!cur || !last) return;
    const cpu = Math.max(0, ((cur.ticks - last.ticks) / TICKS / ((now - last.at) / 1000)) * 100);
    samples.push({ t: Math.round(now - t0) / 1000, cpu: Math.round(cpu * 10) / 10, rssMb: Math.round(cur.rssKb / 102.4) / 10 });
    last = { ...cur, at: now };
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const end = totals(roots);
      const secs = (performance.now() - t0) / 1000;
      const cpuPercent = first && end && secs > 0 ? Math.max(0, Math.round(((end.ticks - first.ticks) / TICKS / secs) * 1000) / 10) : 0;
      const maxRssMb = Math.max(0, ...samples.map((s) => s.rssMb), end ? Math.round(end.rssKb / 102.4) / 10 : 0);
      return { pid: roots[0], cpuPercent, maxRssMb, samples };
    },
  };
}
