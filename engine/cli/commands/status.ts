// `tegami status [--json] [--config FILE]`: the running server's state (listeners, connections, queue by
// state, pool, monitor targets, last backup, disk, readiness, versions, storage backend and node), asked over
// the control socket, and whether the accounts database answers a trivial query (the server asks it on a
// connection of its own; exit 1 when it does not).
// With --json, one JSON document alone on stdout. Without a running server: a clear message and exit 1
// (with --json, {"running": false, ...}), and the database line as this command itself finds it. Options are parsed strictly with node:util parseArgs.
import { parseArgs } from 'node:util';
import { UsageError, type Args } from '../args.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { controlRequest, controlSocketPath } from '../../queue/control.js';
import type { StatusDocument } from '../../metrics/status.js';
import type { LastBackup } from '../../ops/last-backup.js';
import { describeProbe, probeDatabase, type DatabaseProbe } from '../../metrics/database-probe.js';
import type { LoadedConfig } from '../../config/load.js';

/** Back to an argument list, so the command parses its options itself (strictly), whatever parsed them before. */
export function toArgv(args: Args): string[] {
  const out = [...args.positional];
  for (const [k, v] of args.flags) {
    if (v === true) out.push(`--${k}`);
    else for (const x of args.multi.get(k) ?? [v]) out.push(`--${k}=${x}`);
  }
  return out;
}

export function strictArgs<O extends Record<string, { type: 'string' | 'boolean' }>>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options: { ...options, config: { type: 'string' } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]}\nusage: ${usage}`);
  }
}

const USAGE = 'tegami status [--json] [--config FILE]';

export async function status(args: Args): Promise<number> {
  return statusMain(toArgv(args));
}

export async function statusMain(argv: string[]): Promise<number> {
  const { values, positionals } = strictArgs(argv, { json: { type: 'boolean' } }, USAGE);
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}\nusage: ${USAGE}`);
  const config = loadConfig(resolveConfigPath(values.config));
  let r;
  try {
    r = await controlRequest(config.data_dir, { cmd: 'status' }, 20_000);
  } catch (e) {
    return notRunning(values.json, config, `the server did not answer: ${(e as Error).message}`);
  }
  if (r === null) return notRunning(values.json, config, `tegami is not running (nothing listens on ${controlSocketPath(config.data_dir)})`);
  if (!r.ok) return notRunning(values.json, config, `the server refused the status request: ${r.error}`);
  const doc = r.result as StatusDocument;
  process.stdout.write(values.json ? JSON.stringify(doc) + '\n' : describe(doc));
  // a server that runs but whose database does not answer is not a healthy one: exit 1 (the line says why)
  return doc.database && !doc.database.ok ? 1 : 0;
}

/** No server answered: say so (exit 1), and whether the database answers this command itself. */
async function notRunning(json: boolean | undefined, config: LoadedConfig, error: string): Promise<number> {
  const database: DatabaseProbe = await probeDatabase(config, config.health.check_timeout);
  if (json) process.stdout.write(JSON.stringify({ running: false, data_dir: config.data_dir, error, database }) + '\n');
  else process.stderr.write(`tegami status: ${error}\ntegami status: database ${describeProbe(database)}\n`);
  return 1;
}

export function duration(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

function describe(d: StatusDocument): string {
  const lines: string[] = [];
  const failed = Object.entries(d.ready.checks).filter(([, c]) => !c.ok);
  lines.push(`tegami on ${d.hostname}: running, pid ${d.pid}, up ${duration(d.uptime_seconds)} (since ${d.started})`);
  lines.push(`ready:       ${d.ready.ok ? 'yes' : `NO (${failed.map(([k, c]) => `${k}: ${c.detail ?? 'failed'}`).join('; ')})`}`);
  lines.push(`versions:    ${Object.entries(d.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`data dir:    ${d.data_dir}${d.config_file ? ` (config ${d.config_file})` : ''}`);
  // (a server from before this field answers without it)
  if (d.storage) lines.push(`storage:     ${d.storage.backend} ${d.storage.location}${d.storage.node ? `, node ${d.storage.node}` : ' (one node)'}`);
  if (d.database) lines.push(`database:    ${describeProbe(d.database)}`);
  lines.push('listeners:');
  for (const l of d.listeners) lines.push(`  ${l.name.padEnd(12)} ${l.address.padEnd(24)} ${l.bound ? 'bound' : 'NOT BOUND'}`);
  lines.push(`connections: ${Object.entries(d.connections).map(([k, v]) => `${k} ${v}`).join(', ') || 'none yet'}`);
  const q = d.queue;
  lines.push(`queue:       ${q.total} message(s): ${Object.entries(q.by_state).map(([k, v]) => `${k} ${v}`).join(', ')}; oldest ${q.total ? duration(q.oldest_age_seconds) : '-'}; spool ${bytes(q.spool_bytes)}${q.local_messages !== undefined ? ` (shared queue${q.shared_stale ? ', as last read: the database is away' : ''}; ${q.local_messages} in this node's spool)` : ''}`);
  if (d.pool) lines.push(`pool:        ${d.pool.threads} thread(s), utilisation ${Math.round(d.pool.utilization * 100)}%, ${d.pool.waiting_tasks} waiting, ${d.pool.completed_tasks} done`);
  if (d.monitor.length) {
    lines.push('monitor:');
    for (const t of d.monitor) {
      const last = t.last_check ? `last ${t.last_check.ok ? 'ok' : 'FAILED'}: ${t.last_check.detail} (${t.last_check.ms} ms)` : 'not checked yet';
      lines.push(`  ${t.name.padEnd(12)} ${`${t.check} ${t.address}`.padEnd(36)} ${t.state.toUpperCase()} since ${t.since}; ${last}`);
      for (const h of t.history.slice(-3)) lines.push(`  ${''.padEnd(12)} ${h.at} ${h.from} → ${h.to}: ${h.detail}`);
    }
  }
  // the last backup `tegami backup` made (by hand or on a timer); a download from the admin web is said apart,
  // since the server keeps no copy of it
  const made = (b: LastBackup) => `${b.created} (${duration(Math.max(0, (Date.now() - Date.parse(b.created)) / 1000))} ago), ${bytes(b.bytes)}, ${b.files} file(s)`;
  const b = d.last_backup;
  lines.push(`last backup: ${b ? `${b.file}, made ${made(b)}` : 'none made by tegami backup'}`);
  const dl = d.last_download;
  if (dl) lines.push(`downloaded:  ${dl.file} from the admin web${dl.by ? ` by ${dl.by}` : ''}, made ${made(dl)}; no copy kept here`);
  lines.push(`disk:        ${bytes(d.disk.free_bytes)} free of ${bytes(d.disk.size_bytes)} (${d.disk.free_percent}%) on ${d.disk.path}`);
  lines.push(`logs:        ${d.logs.dir}, kept ${d.logs.keep_days || 'all'} day(s)${d.logs.compress ? ', past days gzipped' : ''}${d.logs.syslog ? `, copied to syslog ${d.logs.syslog}` : ''}`);
  return lines.join('\n') + '\n';
}
