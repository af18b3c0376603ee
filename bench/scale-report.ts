// The Markdown report of `npm run bench:scale` (bench/scale.ts): what was measured and how, one table row per
// target (SQLite default, 1–3 PostgreSQL nodes), the statements per message that cost the most, and the IMAP
// IDLE latencies. Pure formatting: it reads the run's JSON, never the servers.
import type { IdleProbe } from './scale-idle.js';

export interface Figure {
  row: string;
  nodes: number;
  sent: number;
  accepted: number;
  errors: Record<string, number>;
  /** Messages accepted (250 after the dot) per second of the SMTP run. */
  smtp_msgs_per_s: number;
  /** Every accepted message stored in its mailbox or accepted by the sink before the drain cap. */
  delivered_all: boolean;
  /** Accepted messages per second from the start of the run to the last one delivered. */
  end_to_end_msgs_per_s: number;
  end_to_end_s: number;
  /** The worst node's whole-message latency (MAIL FROM → 250), ms. */
  p50: number;
  p99: number;
  node_cpu_percent: number;
  node_cpu_ms_per_msg: number;
  pg_cpu_percent?: number;
  pg_cpu_ms_per_msg?: number;
  statements?: number;
  statements_per_msg?: number;
  idle_statements_per_s?: number;
  statements_per_msg_net?: number;
  xact_per_msg?: number;
  /** WAL written per accepted message (what every replica receives), KB. */
  wal_kb_per_msg?: number;
  /** Growth of the database per accepted message, KB (the benchmark's bodies are repetitive text: TOAST compresses them). */
  db_kb_per_msg?: number;
  top_statements?: Array<{ query: string; calls: number; per_msg: number }>;
  load_before: number;
  load_after: number;
}

export interface ScaleRun {
  generated_at: string;
  machine: { cpus: number; cpu_model: string; mem_gb: number; os: string; node: string };
  load_average: { start: number; end: number };
  messages: number;
  connections: number;
  remote_share: number;
  postgres: Record<string, string>;
  figures: Figure[];
  idle: Array<IdleProbe & { row: string }>;
}

const cell = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : String(x));

export function renderMarkdown(run: ScaleRun): string {
  const m = run.machine;
  const md: string[] = [
    `# bench:scale — ${run.generated_at}`,
    '',
    `Machine: ${m.cpus} × ${m.cpu_model}, ${m.mem_gb} GB, ${m.os}, Node ${m.node}. **Shared**: other developers' builds and tests ran on the same ${m.cpus} cores during this run; its 1-minute load average was ${run.load_average.start} at the start and ${run.load_average.end} at the end, and each row gives it before → after (above ${m.cpus} = others were busy too). Compare rows of one run, not runs.`,
    '',
    `Load: ${run.messages} messages of 5 KB per row over ${run.connections} persistent connections (split evenly over the nodes), one recipient per message, ${Math.round(run.remote_share * 100)}% of them remote (relayed to a counting sink on loopback, routed by \`[[route]]\`), the rest to four local users. \`[spam] enabled = false\` everywhere: this measures the storage path, not the filter. A warm-up of up to 300 messages per row is not measured. Every node, PostgreSQL, the sink and the load client run on this one machine.`,
    '',
    `PostgreSQL: ${Object.entries(run.postgres).map(([k, v]) => `${k}: ${v}`).join('; ')}. One private cluster (Debian's PostgreSQL 15, initdb in a temp dir, loopback), a fresh database per row. **Statements** are counted with pg_stat_statements (every statement the nodes ran, BEGIN/COMMIT/LISTEN included; node-postgres sends each as one extended-protocol exchange, so one statement ≈ one round trip); **net** subtracts what the idle nodes ran in 10 s before the load (claim polls, syncs, heartbeats) scaled to the row's duration. **xact** is pg_stat_database.xact_commit (the benchmark's own few probes included). **WAL** is the cluster's \`pg_current_wal_lsn()\` moved over the row (what every streaming replica receives), **database** the growth of \`pg_database_size\` (the benchmark's bodies are one repeated line, which TOAST compresses: real mail stores larger).`,
    '',
    '- **SMTP msgs/s**: accepted (250 after the dot) per second of the SMTP run. **End-to-end msgs/s**: accepted messages divided by the time from the start of the run until the last one was stored in its mailbox (Maildir file or `mail_messages` row) or accepted by the sink: the rate the row sustains, spool drained.',
    '- **CPU ms/msg**: CPU time of all tegami node processes (and of all PostgreSQL processes) from the start of the run to the end of delivery, divided by the messages; on a bigger machine, capacity ≈ cores × 1000 / (ms/msg).',
    '',
    '| row | nodes | SMTP msgs/s | end-to-end msgs/s | p50 / p99 ms | tegami CPU ms/msg | PostgreSQL CPU ms/msg | statements/msg (net) | xact/msg | WAL KB/msg | database KB/msg | idle statements/s | errors | load avg |',
    '|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---|---|',
  ];
  for (const f of run.figures)
    md.push(
      `| ${f.row} | ${f.nodes} | ${f.smtp_msgs_per_s} | ${f.end_to_end_msgs_per_s}${f.delivered_all ? '' : ' (not all delivered)'} | ${f.p50} / ${f.p99} | ${f.node_cpu_ms_per_msg} | ${cell(f.pg_cpu_ms_per_msg)} | ${cell(f.statements_per_msg)} (${cell(f.statements_per_msg_net)}) | ${cell(f.xact_per_msg)} | ${cell(f.wal_kb_per_msg)} | ${cell(f.db_kb_per_msg)} | ${cell(f.idle_statements_per_s)} | ${Object.entries(f.errors).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'} | ${f.load_before} → ${f.load_after} |`,
    );
  const sqlite = run.figures.find((f) => f.row === 'sqlite');
  if (sqlite)
    for (const f of run.figures.filter((x) => x.row !== 'sqlite'))
      md.push('', `${f.row} / sqlite: **${(f.end_to_end_msgs_per_s / sqlite.end_to_end_msgs_per_s).toFixed(2)}×** end to end, ${(f.smtp_msgs_per_s / sqlite.smtp_msgs_per_s).toFixed(2)}× SMTP`);
  const last = [...run.figures].reverse().find((f) => f.top_statements?.length);
  if (last) {
    md.push('', `## Where the statements go (${last.row}, per accepted message, most frequent first)`, '', '| per msg | calls | statement (normalised) |', '|---:|---:|---|');
    for (const s of last.top_statements!.slice(0, 20)) md.push(`| ${s.per_msg} | ${s.calls} | \`${s.query.replace(/\|/g, '\\|').replace(/`/g, "'")}\` |`);
  }
  if (run.idle.length) {
    md.push(
      '',
      '## IMAP IDLE: delivered through one node, seen on the same node and on another',
      '',
      'One message at a time (2 KB) sent over SMTP to node 1; an IMAP connection in IDLE on INBOX on node 1 and on the last node of the row; time from the final dot sent (and from the 250 reply) to `* N EXISTS` on each. It includes the whole delivery path (spool, worker, store) and, across nodes, LISTEN/NOTIFY. With 100 samples p99 is the second-worst.',
      '',
      '| row | path | samples (missed) | dot→EXISTS p50 / p99 / max ms | 250→EXISTS p50 / p99 / max ms | load avg |',
      '|---|---|---|---|---|---|',
    );
    for (const p of run.idle)
      md.push(`| ${p.row} | ${p.path} | ${p.samples} (${p.missed}) | ${p.fromDot.p50} / ${p.fromDot.p99} / ${p.fromDot.max} | ${p.from250.p50} / ${p.from250.p99} / ${p.from250.max} | ${cell(p.load_before)} → ${cell(p.load_after)} |`);
  }
  return md.join('\n') + '\n';
}
