// Per-command CPU profiles for bench:imap / bench:pop3 (never run by `npm test`): the server process's
// --cpu-prof profile is cut into the time windows of each benchmarked command (the client's monotonic clock and
// V8's profile clock are both CLOCK_MONOTONIC), and each window gets its top frames and a flame graph.
import fs from 'node:fs';
import path from 'node:path';
import { flameSvg, topFrames, type CpuProfile } from './cpuprofile.js';

/** One benchmarked command: its name and when it ran, in µs of the monotonic clock. */
export interface Phase {
  name: string;
  startUs: number;
  endUs: number;
}

/** Now, in µs of the monotonic clock (the clock V8's profiler stamps its samples with). */
export function monoUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** The samples of a profile taken between two instants (same nodes; their times kept). */
export function sliceProfile(p: CpuProfile, startUs: number, endUs: number): CpuProfile {
  const samples: number[] = [];
  const deltas: number[] = [0];
  if (p.samples && p.timeDeltas) {
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      t += p.timeDeltas[i];
      if (t < startUs || t > endUs) continue;
      samples.push(p.samples[i]);
      deltas.push(p.timeDeltas[i + 1] ?? p.timeDeltas[i]);
    }
  }
  return { nodes: p.nodes, startTime: startUs, endTime: endUs, samples, timeDeltas: deltas };
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
    const cut = sliceProfile(p, ph.startUs, ph.endUs);
    const s = topFrames(cut);
    const svg = `${slug(ph.name)}.svg`;
    fs.writeFileSync(path.join(dir, svg), flameSvg(cut, `${title}: ${ph.name}`));
    md.push(`## ${ph.name}`, '', `window ${((ph.endUs - ph.startUs) / 1000).toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms. Flame graph: [${svg}](${svg}).`, '');
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
