// Per-command CPU profiles for bench:imap / bench:pop3 (never run by `npm test`): the server process's
// --cpu-prof profile is cut into the time windows of each benchmarked command (the client's monotonic clock and
// V8's profile clock are both CLOCK_MONOTONIC), and each window gets its top frames and a flame graph.
import fs from 'node:fs';
import path from 'node:path';
import { flameSvg, topFrames, type CpuProfile } from './cpuprofile.js';

/** One benchmarked command: its name and when it ran (one span per run), in µs of the monotonic clock. */
export interface Phase {
  name: string;
  spans: [number, number][];
}

/** Now, in µs of the monotonic clock (the clock V8's profiler stamps its samples with). */
export function monoUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The samples of a profile taken inside the given spans (same nodes; their times kept). */
export function sliceProfile(p: CpuProfile, spans: [number, number][]): CpuProfile {
  const samples: number[] = [];
  const deltas: number[] = [0];
  if (p.samples && p.timeDeltas) {
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i];
      if (!spans.some(([a, b]) => t >= a && t <= b)) continue;
      samples.push(p.samples[i]);
      deltas.push(p.timeDeltas[i + 1] ?? p.timeDeltas[i]);
    }
  }
  const wallUs = spans.reduce((n, [a, b]) => n + (b - a), 0);
  return { nodes: p.nodes, startTime: 0, endTime: wallUs, samples, timeDeltas: deltas };
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);

/**
 * Write summary.md (top frames per command) and one flame graph per command into `dir`, from the profile file
 * the server wrote there. Returns the summary's path.
 */
export function writePhaseProfiles(dir: string, profileFile: string, phases: Phase[], title: string): string {
  const p = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as CpuProfile;
  const md: string[] = [`# ${title}`, '', `Profile: ${path.basename(profileFile)} (server process, node --cpu-prof). Self = time in the function itself; total = with what it calls. Times are CPU samples inside each command's window as the client saw it.`, ''];
  for (const ph of phases) {
    const cut = sliceProfile(p, ph.spans);
    const s = topFrames(cut);
    const svg = `${slug(ph.name)}.svg`;
    fs.writeFileSync(path.join(dir, svg), flameSvg(cut, `${title}: ${ph.name}`));
    md.push(`## ${ph.name}`, '', `windows ${(ph.spans.reduce((n, [a, b]) => n + (b - a), 0) / 1000).toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms. Flame graph: [${svg}](${svg}).`, '');
    md.push('| self ms | total ms | frame | area |', '|---:|---:|---|---|');
    for (const fr of s.frames.filter((x) => x.frame !== '(idle)' && x.selfMs >= 0.5).slice(0, 15)) md.push(`| ${fr.selfMs.toFixed(1)} | ${fr.totalMs.toFixed(1)} | \`${fr.frame}\` | ${fr.area} |`);
    md.push('', 'tegami frames by total time:', '', '| total ms | self ms | frame |', '|---:|---:|---|');
    for (const fr of s.frames.filter((x) => x.area.startsWith('tegami') && x.totalMs >= 0.5).sort((a, b) => b.totalMs - a.totalMs).slice(0, 12)) md.push(`| ${fr.totalMs.toFixed(1)} | ${fr.selfMs.toFixed(1)} | \`${fr.frame}\` |`);
    md.push('');
  }
  const out = path.join(dir, 'summary.md');
  fs.writeFileSync(out, md.join('\n') + '\n');
  return out;
}

/** The pid and its descendants (Dovecot's master forks imap-login and imap; tegami is one process). */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

/**
 * CPU time (ns) used so far by a server's processes and threads (/proc/…/task/…/schedstat): unlike the wall
 * time a client sees, it does not grow when other sessions' work on the shared machine makes the server wait.
 */
export function serverCpuNs(root: number): number {
  let ns = 0;
  for (const pid of processTree(root)) {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* gone */
      }
    }
  }
  return ns;
}
