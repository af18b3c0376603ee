// `npm run bench:scale` (never run by `npm test`): SMTP throughput of one, two and three `tegami serve` nodes
// (127.0.0.2/3/4) on one private PostgreSQL against the SQLite/Maildir default, in the same run on the same
// machine; the cost per message in database statements (pg_stat_statements: every statement a node sent,
// BEGIN/COMMIT included, ≈ one round trip each), transactions (pg_stat_database.xact_commit), WAL and database
// growth per message; CPU per message of the nodes and of PostgreSQL; and IMAP IDLE latency (mail delivered
// through node 1, seen by IDLE on node 1 and on the last node). 5 KB messages over persistent connections, one recipient each, a share of them remote
// (relayed to a counting sink on loopback). Bounded: a fixed number of messages per row, capped in time.
//
//   npm run bench:scale -- [--messages 2000] [--connections 12] [--remote-share 0.2] [--nodes 1,2,3]
//                          [--idle-samples 100] [--no-sqlite] [--out reports]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { runLoad, type LoadResult } from '../lab/load/generator.js';
import { sampleProcessTree } from '../lab/load/process-stats.js';
import { machineInfo } from '../lab/report/model.js';
import { reportBaseName } from '../lab/report/write.js';
import { REPO_ROOT } from '../lab/targets/tegami.js';
import { LOAD_DOMAIN, startLabDns } from '../lab/targets/lab-dns.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../test/helpers/postgres.js';
import { startQueueSink } from '../test/queue/pg-sink.js';
import { DOMAIN, IDLE_USER, PASSWORD, REMOTE, startPgRow, startSqliteRow, type Row, type Statements } from './scale-nodes.js';
import { probeIdle, type IdleProbe } from './scale-idle.js';
import { renderMarkdown, type Figure } from './scale-report.js';
import { opt } from './session-conn.js';

const N = Number(opt('messages', '2000'));
const CONNS = Number(opt('connections', '12'));
const REMOTE_SHARE = Number(opt('remote-share', '0.2'));
const NODES = opt('nodes', '1,2,3').split(',').map(Number).filter((x) => x >= 1 && x <= 3);
const IDLE_SAMPLES = Number(opt('idle-samples', '100'));
const SQLITE = !process.argv.includes('--no-sqlite');
const OUT = path.resolve(opt('out', path.join(REPO_ROOT, 'reports')));
const WARM = Math.min(300, N);
/** Every row's run is capped (messages or time, whichever first), and so is the wait for delivery after it. */
const RUN_CAP_MS = 240_000;
const DRAIN_CAP_MS = 240_000;

/** Ten recipients per round: local users and, for the remote share, addresses at the sink's domain. */
const remoteSlots = Math.round(REMOTE_SHARE * 10);
const LOCAL_USERS = Array.from({ length: 4 }, (_, i) => `user${i + 1}@${DOMAIN}`);
const RECIPIENTS = Array.from({ length: 10 }, (_, i) => (i < remoteSlots ? `far${i}@${REMOTE}` : LOCAL_USERS[i % LOCAL_USERS.length]));

const load1 = () => Math.round(os.loadavg()[0] * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The postmaster's pid (its children are the sessions): the parent of this session's backend. */
async function postmasterPid(url: string): Promise<number | undefined> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const backend = Number((await c.query('SELECT pg_backend_pid() AS bench_scale_probe')).rows[0].bench_scale_probe);
    const stat = fs.readFileSync(`/proc/${backend}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  } finally {
    await c.end();
  }
}

/** Send `messages` spread over the row's nodes (connections split among them), all at once. */
async function loadRow(row: Row, messages: number): Promise<{ results: LoadResult[]; elapsedS: number }> {
  const n = row.nodes.length;
  const t0 = performance.now();
  const results = await Promise.all(
    row.nodes.map((node, i) =>
      runLoad(
        { name: node.name, host: node.host, port: node.port, pid: node.pid },
        {
          mode: 'closed',
          connections: Math.max(1, Math.round(CONNS / n)),
          messages: Math.floor(messages / n) + (i < messages % n ? 1 : 0),
          durationMs: RUN_CAP_MS,
          size: 5 * 1024,
          from: `load-{n}@${LOAD_DOMAIN}`,
          to: RECIPIENTS,
        },
      ),
    ),
  );
  return { results, elapsedS: (performance.now() - t0) / 1000 };
}

/** Wait until `want` messages are delivered (stored locally + accepted by the sink); the time it took, or undefined. */
async function drain(delivered: () => Promise<number>, want: number): Promise<number | undefined> {
  const deadline = Date.now() + DRAIN_CAP_MS;
  while (Date.now() < deadline) {
    if ((await delivered()) >= want) return performance.now();
    await sleep(100);
  }
  return undefined;
}

async function measureRow(row: Row, sinkCount: () => number, pgPid: number | undefined): Promise<{ figure: Figure; idle: IdleProbe[] }> {
  const delivered = async () => (await row.storedLocally()) + sinkCount();
  console.log(`\n== ${row.id}: ${row.nodes.map((x) => `${x.name} ${x.host}:${x.port}`).join(', ')}`);
  // warm-up, not measured: JIT, worker threads, pools, the first rows of each table
  const warm = await loadRow(row, WARM);
  const warmAccepted = warm.results.reduce((a, r) => a + r.accepted, 0);
  await drain(delivered, warmAccepted);
  let idleCallsPerS: number | undefined;
  if (row.resetStats && row.statements) {
    // what the nodes send with no mail at all (claim polls, syncs, heartbeats), to set against the load's figures
    await row.resetStats();
    await sleep(10_000);
    idleCallsPerS = Math.round(((await row.statements()).calls / 10) * 10) / 10;
    await row.resetStats();
  }
  const base = await delivered();
  const before = load1();
  const nodesCpu = sampleProcessTree(row.nodes.map((x) => x.pid!));
  const pgCpu = pgPid && row.id !== 'sqlite' ? sampleProcessTree(pgPid) : undefined;
  const t0 = performance.now();
  const { results, elapsedS } = await loadRow(row, N);
  const accepted = results.reduce((a, r) => a + r.accepted, 0);
  const tDone = await drain(delivered, base + accepted);
  const endS = ((tDone ?? performance.now()) - t0) / 1000;
  const cpuN = nodesCpu.stop();
  const cpuP = pgCpu?.stop();
  const stmts: Statements | undefined = row.statements ? await row.statements() : undefined;
  const after = load1();
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const figure: Figure = {
    row: row.id,
    nodes: row.nodes.length,
    sent: results.reduce((a, r) => a + r.sent, 0),
    accepted,
    errors,
    smtp_msgs_per_s: round(accepted / elapsedS),
    delivered_all: tDone !== undefined,
    end_to_end_msgs_per_s: round(accepted / endS),
    end_to_end_s: round(endS, 2),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    node_cpu_percent: cpuN.cpuPercent,
    node_cpu_ms_per_msg: round((cpuN.cpuPercent / 100) * endS * 1000 / Math.max(1, accepted), 2),
    pg_cpu_percent: cpuP?.cpuPercent,
    pg_cpu_ms_per_msg: cpuP ? round((cpuP.cpuPercent / 100) * endS * 1000 / Math.max(1, accepted), 2) : undefined,
    statements: stmts?.calls,
    statements_per_msg: stmts ? round(stmts.calls / Math.max(1, accepted), 2) : undefined,
    idle_statements_per_s: idleCallsPerS,
    statements_per_msg_net: stmts && idleCallsPerS !== undefined ? round((stmts.calls - idleCallsPerS * endS) / Math.max(1, accepted), 2) : undefined,
    xact_per_msg: stmts ? round(stmts.xact_commit / Math.max(1, accepted), 2) : undefined,
    wal_kb_per_msg: stmts ? round(stmts.wal_bytes / 1024 / Math.max(1, accepted), 1) : undefined,
    db_kb_per_msg: stmts ? round(stmts.db_growth_bytes / 1024 / Math.max(1, accepted), 1) : undefined,
    top_statements: stmts?.top.map((x) => ({ ...x, per_msg: round(x.calls / Math.max(1, accepted), 3) })),
    load_before: before,
    load_after: after,
  };
  console.log(
    `${row.id.padEnd(7)} SMTP ${figure.smtp_msgs_per_s} msgs/s, end to end ${figure.end_to_end_msgs_per_s} msgs/s${figure.delivered_all ? '' : ' (NOT all delivered)'}` +
      `  p50 ${figure.p50} ms p99 ${figure.p99} ms  nodes CPU ${figure.node_cpu_ms_per_msg} ms/msg` +
      `${figure.pg_cpu_ms_per_msg !== undefined ? `  PG CPU ${figure.pg_cpu_ms_per_msg} ms/msg` : ''}` +
      `${figure.statements_per_msg !== undefined ? `  statements ${figure.statements_per_msg}/msg (net ${figure.statements_per_msg_net}), xact ${figure.xact_per_msg}/msg, WAL ${figure.wal_kb_per_msg} KB/msg, database +${figure.db_kb_per_msg} KB/msg` : ''}` +
      `${Object.keys(errors).length ? `  errors ${JSON.stringify(errors)}` : ''}  load ${before}→${after}`,
  );
  // IDLE: mail through node 1, seen by IDLE on node 1 and (with several nodes) on the last node
  let idle: IdleProbe[] = [];
  if (IDLE_SAMPLES > 0) {
    const first = row.nodes[0];
    const last = row.nodes[row.nodes.length - 1];
    const watch = (x: typeof first) => ({ name: x.name, host: x.host, port: x.listeners!.imap });
    const idleBefore = load1();
    idle = await probeIdle({
      sender: { name: first.name, host: first.host, port: first.port },
      watchers: row.nodes.length > 1 ? [watch(first), watch(last)] : [watch(first)],
      user: IDLE_USER,
      password: PASSWORD,
      samples: IDLE_SAMPLES,
    });
    for (const p of idle) {
      Object.assign(p, { load_before: idleBefore, load_after: load1() });
      console.log(`  IDLE ${p.path}: dot→EXISTS p50 ${p.fromDot.p50} ms p99 ${p.fromDot.p99} ms max ${p.fromDot.max} ms; 250→EXISTS p50 ${p.from250.p50} ms (${p.samples} samples, ${p.missed} missed)`);
    }
  }
  return { figure, idle };
}

async function main(): Promise<void> {
  const loadStart = load1();
  console.log(`bench:scale — ${N} messages of 5 KB per row over ${CONNS} persistent connections, ${remoteSlots * 10}% remote; rows: ${SQLITE ? 'sqlite, ' : ''}${NODES.map((n) => `pg-${n}`).join(', ')}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const pgMissing = postgresUnavailable();
  if (pgMissing) console.log(`PostgreSQL rows skipped: ${pgMissing}`);
  const dns = await startLabDns();
  const sink = await startQueueSink();
  const sinkCount = () => sink.accepted.length;
  let cluster: PgCluster | undefined;
  let current: Row | undefined;
  const cleanup = async () => {
    await current?.stop().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await sink.close();
    await dns.close();
  };
  // Ctrl-C: stop what we started (nodes, the cluster, the sink, the DNS) before leaving
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      cleanup().then(
        () => process.exit(130),
        () => process.exit(130),
      );
    });
  const figures: Figure[] = [];
  const idle: Array<IdleProbe & { row: string }> = [];
  let pgPid: number | undefined;
  try {
    if (SQLITE) {
      current = await startSqliteRow(LOCAL_USERS, sink.port, dns.address);
      const r = await measureRow(current, sinkCount, undefined);
      figures.push(r.figure);
      idle.push(...r.idle.map((p) => ({ ...p, row: 'sqlite' })));
      await current.stop();
      current = undefined;
    }
    if (!pgMissing && NODES.length) {
      // fsync on (the helper's default is off, for tests): the figures must include PostgreSQL's durable commits
      cluster = await startPostgres('bench_scale_0', { settings: { fsync: 'on', shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_utility': 'on', 'pg_stat_statements.max': '5000' } });
      pgPid = await postmasterPid(cluster.url);
      for (const n of NODES) {
        const url = await cluster.createDatabase(`bench_scale_${n}`);
        current = await startPgRow(n, url, LOCAL_USERS, sink.port, dns.address);
        const r = await measureRow(current, sinkCount, pgPid);
        figures.push(r.figure);
        idle.push(...r.idle.map((p) => ({ ...p, row: `pg-${n}` })));
        await current.stop();
        current = undefined;
      }
    }
  } finally {
    await cleanup();
  }
  const loadEnd = load1();
  const stamp = new Date();
  const base = path.join(OUT, reportBaseName('bench-scale', stamp));
  fs.mkdirSync(OUT, { recursive: true });
  const json = {
    kind: 'tegami-bench-scale',
    generated_at: stamp.toISOString(),
    machine: machineInfo(),
    load_average: { start: loadStart, end: loadEnd },
    messages: N,
    connections: CONNS,
    message_size: 5 * 1024,
    remote_share: remoteSlots / 10,
    recipients: RECIPIENTS,
    postgres: (pgMissing ? { skipped: pgMissing } : { version: 'Debian postgresql 15', fsync: 'on', synchronous_commit: 'on', counted_with: 'pg_stat_statements (track_utility on) and pg_stat_database.xact_commit' }) as Record<string, string>,
    figures,
    idle,
  };
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 2) + '\n');
  fs.writeFileSync(`${base}.md`, renderMarkdown(json));
  console.log(`\nwrote ${base}.json\n      ${base}.md`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:scale: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
