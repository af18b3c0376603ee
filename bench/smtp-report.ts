// bench:smtp's Markdown report from one run's figures (values only, no I/O): the goal table first, then a table
// per mode (median msgs/s of the rounds with their spread, merged latency percentiles, the rounds' p99 spread),
// "where the lab client waited", the load average of each round, and tegami's ratios to the others.
//
// API:
//   const lines = reportMarkdown({ generatedAt, machine, connections, rounds, modes, targets, figures, roundLoads, … });
import { goalRows, median, roundRatios, type Figure, type PhaseFigure } from './smtp-rounds.js';

export interface ReportMode {
  id: string;
  label: string;
  /** Messages per round (lab client, and smtp-source when installed). */
  messages: number;
}

export interface ReportInput {
  generatedAt: string;
  machine: { cpus: number; cpu_model: string; mem_gb: number; os: string; node: string };
  connections: number;
  rounds: number;
  loadStart: number;
  loadEnd: number;
  dnsQueries: number;
  targets: Array<{ name: string; describe: string }>;
  modes: ReportMode[];
  figures: Figure[];
  /** Per mode: the load average before the round's first target and after its last. */
  roundLoads: Record<string, Array<{ round: number; before: number; after: number }>>;
  /** tegami+scrape's period, when it ran. */
  scrapeMs?: number;
}

const fx = (x: number) => `${x.toFixed(2)}×`;

/** a/b as the median of the per-round ratios, with their spread: "1.52× (1.40–1.61×)", or "–". */
export function ratioCell(a: Figure | undefined, b: Figure | undefined, key: 'msgs_per_s' | 'smtp_source_msgs_per_s'): string {
  if (!a || !b) return '–';
  const rs = roundRatios(a, b, key);
  if (!rs.length) return '–';
  return rs.length === 1 ? fx(rs[0]) : `${fx(median(rs))} (${Math.min(...rs).toFixed(2)}–${fx(Math.max(...rs))})`;
}

const span = (lo: number | undefined, hi: number | undefined) => (lo === undefined || hi === undefined ? '–' : lo === hi ? String(lo) : `${lo}–${hi}`);

export function reportMarkdown(r: ReportInput): string[] {
  const md: string[] = [
    `# bench:smtp — ${r.generatedAt}`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpu_model}, ${r.machine.mem_gb} GB, ${r.machine.os}, Node ${r.machine.node}. ${r.connections} connections.`,
    `Rounds: ${r.rounds}. Each mode runs as ${r.rounds} short rounds; in each round every target runs once, one after the other, in an order rotated round by round, so a neighbour's burst on the shared machine lands on one round of every target rather than on one target. msgs/s is the median of the rounds (their min–max beside it); a ratio is the median of the ratios of the same round; a goal is met only when that median meets it ("rounds" says how many rounds met it on their own). Latency percentiles come from the rounds' HDR histograms merged; "p99 rounds" is the spread of each round's own p99.`,
    `Noise: the machine is shared; its 1-minute load average was ${r.loadStart} at the start and ${r.loadEnd} at the end (2 cores: anything above ~2 is other people's work); each mode lists it per round. Compare rows of one run, not runs.`,
    'Latency: per message, from MAIL FROM (or connect, in new-connection mode) to the final 250, HDR histogram, measured by the lab client (a new sender per message).',
    'accept→Maildir: from the 250 to the file appearing in the Maildir (inotify); 0.001 ms means it was there before the 250 came back.',
    `The load clients run on the same machine as the targets; smtp-source (C, one fixed sender) takes less CPU from them than the Node lab client. The stand-in DNS answered ${r.dnsQueries} queries.`,
    '',
    ...r.targets.map((t) => `- **${t.name}**: ${t.describe}`),
    '',
    '## Goals (issue 16), this run',
    '',
    '| goal | wanted | this run (median) | rounds min–max | rounds met | |',
    '|---|---:|---:|---:|---:|---|',
    ...goalRows(r.figures, r.modes, r.connections).map((g) => `| ${g.label} | ${g.want} | ${g.value} | ${g.spread} | ${g.rounds_met} of ${g.rounds} | ${g.met ? 'met' : '**not met**'} |`),
    '',
  ];
  for (const m of r.modes) {
    const rows = r.figures.filter((x) => x.mode === m.id);
    md.push(
      `## ${m.label} (${r.rounds} rounds × ${m.messages} messages)`,
      '',
      '| target | msgs/s (lab client) | rounds | msgs/s (smtp-source) | rounds | p50 ms | p99 ms | p99 rounds | p99.9 ms | accept→Maildir p50 ms | CPU % | max RSS MB | load avg | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
    );
    for (const f of rows)
      md.push(
        `| ${f.target} | ${f.msgs_per_s} | ${span(f.msgs_per_s_min, f.msgs_per_s_max)} | ${f.smtp_source_msgs_per_s ?? '–'} | ${span(f.smtp_source_min, f.smtp_source_max)} | ${f.p50} | ${f.p99} | ${span(f.p99_round_min, f.p99_round_max)} | ${f.p999} | ${f.delivered_p50 ?? '–'} | ${f.cpu_percent ?? '–'} | ${f.max_rss_mb ?? '–'} | ${f.load_before} → ${f.load_after} | ${Object.entries(f.errors).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'} |`,
      );
    const loads = r.roundLoads[m.id] ?? [];
    if (loads.length) md.push('', `Load average per round (before its first target → after its last): ${loads.map((l) => `${l.round + 1}: ${l.before} → ${l.after}`).join('; ')}.`);
    const phased = rows.filter((x) => x.target.startsWith('tegami') && x.phases && Object.keys(x.phases).length);
    if (phased.length) {
      md.push('', 'Where the lab client waited (ms, p50 / p99 / p99.9 / max per command, all rounds merged; DATA = the command, the body and the final reply):', '', '| target | MAIL FROM | RCPT TO | DATA |', '|---|---|---|---|');
      const cell = (v?: PhaseFigure) => (v ? `${v.p50} / ${v.p99} / ${v.p999} / ${v.max}` : '–');
      for (const f of phased) md.push(`| ${f.target} | ${cell(f.phases!.mail)} | ${cell(f.phases!.rcpt)} | ${cell(f.phases!.data)} |`);
    }
    const by = (n: string) => rows.find((x) => x.target === n);
    const tg = by('tegami');
    const sc = by('tegami+scrape');
    const off = by('tegami-filters-off');
    if (off && sc) md.push('', `tegami (filters off) with /metrics scraped every ${r.scrapeMs} ms / without: **${ratioCell(sc, off, 'msgs_per_s')}** msgs/s, p99 ${fx(sc.p99 / off.p99)}`);
    for (const other of ['tegami-filters-off', 'postfix+rspamd', 'postfix', 'smtp-sink']) {
      const o = by(other);
      if (tg && o) md.push('', `tegami / ${other}: **${ratioCell(tg, o, 'msgs_per_s')}** msgs/s (lab client, median of the rounds' ratios (min–max)), ${ratioCell(tg, o, 'smtp_source_msgs_per_s')} (smtp-source); p99 ${o.p99 ? fx(tg.p99 / o.p99) : '–'}`);
    }
    md.push('');
  }
  return md;
}
