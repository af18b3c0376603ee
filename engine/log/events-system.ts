// Catalogue part: the server's own events (start, stop, drain, listeners, DNS, logs and syslog, health)
// and the monitor's (checks, state changes, alerts). Part of engine/log/events.ts; see there how to use one.
import { ev } from './event-types.js';

export const SYSTEM_EVENTS = {
  'system.open-relay': ev('system', 'warn', { message: 'text' }),
  // the admin pages' settings layer (engine/settings): a stored setting the file now fixes, and a change applied live
  'system.setting-ignored': ev('system', 'warn', { key: 'text', reason: 'text' }),
  'system.settings-applied': ev('system', 'info', { keys: 'text', version: 'int' }),
  'system.listening': ev('system', 'info', { listener: 'word', address: 'text' }),
  /** PostgreSQL: the other nodes' connection counts could not be read or ours published (engine/net/pg-conn-counts.ts) */
  'system.conn-counts-shared-unavailable': ev('system', 'warn', { error: 'text' }),
  /** …and read and published again after that (said once per outage) */
  'system.conn-counts-shared-available': ev('system', 'info', {}),
  'system.listener-error': ev('system', 'error', { listener: 'word', error: 'text' }),
  'system.stopping': ev('system', 'info', {}),
  /** SIGTERM: the worker tasks of acknowledged messages were waited for (Queue.drain), at most `limit_ms`. */
  'system.drained': ev('system', 'info', { tasks: 'int', left: 'int', ms: 'ms', limit_ms: 'ms' }),
  'system.ready': ev('system', 'info', {}),
  'system.not-ready': ev('system', 'warn', { failed: 'list' }),
  /** One lookup through the resolver (engine/dns/resolver.ts); debug, so written only at [log] level = "debug". */
  'system.dns-lookup': ev('system', 'debug', { type: 'word', name: 'text', ms: 'ms', result: 'word' }, (f, m) => {
    const type = f.type.toUpperCase();
    m.observe('tegami_dns_lookup_duration_seconds', { type }, f.ms / 1000);
    if (f.result !== 'ok') m.inc('tegami_dns_lookup_failures_total', { type, reason: f.result });
  }),
  'system.log-retention': ev('system', 'info', { compressed: 'int', deleted: 'int', kept_days: 'int' }),
  'system.log-retention-failed': ev('system', 'error', { file: 'text?', error: 'text' }),
  'system.log-dropped': ev('system', 'warn', { destination: 'word', lines: 'int' }, (f, m) => m.inc('tegami_log_dropped_total', { destination: f.destination }, f.lines)),
  'system.syslog-connected': ev('system', 'info', { target: 'text' }),
  'system.syslog-lost': ev('system', 'warn', { target: 'text', error: 'text' }),
  'system.worker-metrics-refused': ev('system', 'warn', { reason: 'text' }),
  // from other branches being merged (engine/cli/commands/serve.ts): a crash stopped gracefully; modes repaired at start
  'system.fatal': ev('system', 'error', { kind: 'word', error: 'text', stack: 'text?' }),
  'system.file-mode-fixed': ev('system', 'warn', { path: 'text', was: 'word', now: 'word' }),
  /** the start found run/tegami.pid left by a run that did not stop cleanly (engine/ops/pid-file.ts) and replaced it */
  'system.stale-pid-file': ev('system', 'warn', { file: 'text', pid: 'text', reason: 'word', message: 'text' }),
  // [storage] (engine/db/storage.ts): what this node stores where, said once at start; the PostgreSQL copy's
  // background sync failing (the node keeps serving from its copy) and coming back
  'system.storage': ev('system', 'info', { backend: 'word', mail_store: 'text', queue: 'text' }),
  /** A symbolic link in a Maildir's new/ or cur/ left out of its listing (engine/store/maildir-links.ts); once per path. */
  'system.maildir-link-skipped': ev('system', 'warn', { dir: 'text', name: 'text' }),
  'system.storage-unavailable': ev('system', 'warn', { error: 'text' }),
  'system.storage-available': ev('system', 'info', {}),
  /** serve on PostgreSQL: keys/secret.key or the SRS key is missing, malformed or not the cluster's (engine/db/pg/server-key-check.ts) */
  'system.server-key-differs': ev('system', 'error', { key: 'word', reason: 'word', message: 'text' }),
  /** `serve` on PostgreSQL found the database unreachable at start: it waits and tries again (nothing listens yet) */
  'system.storage-waiting': ev('system', 'warn', { error: 'text', attempt: 'int', retry_ms: 'ms' }),
} as const;

const target = { target: 'word', check: 'word', address: 'text' } as const;
const alert = { channel: 'word', target: 'word', event: 'word', attempt: 'int', to: 'text?', error: 'text?', status: 'int?' } as const;

export const MONITOR_EVENTS = {
  'monitor.check': ev('monitor', 'debug', { ...target, ok: 'bool', ms: 'ms', detail: 'text?' }, (f, m) =>
    m.inc('tegami_monitor_checks_total', { target: f.target, result: f.ok ? 'ok' : 'failed' }),
  ),
  'monitor.down': ev('monitor', 'warn', { ...target, failures: 'int', detail: 'text' }),
  // a check that threw instead of returning its state (a bug, not a down target): logged, the schedule goes on
  'monitor.check-failed': ev('monitor', 'error', { target: 'word', error: 'text' }),
  'monitor.up': ev('monitor', 'info', { ...target, was: 'word', down_s: 'number?' }),
  'monitor.alert-sent': ev('monitor', 'info', alert, (f, m) => m.inc('tegami_monitor_alerts_total', { channel: f.channel, result: 'sent' })),
  'monitor.alert-retry': ev('monitor', 'warn', { ...alert, next_s: 'number' }, (f, m) => m.inc('tegami_monitor_alerts_total', { channel: f.channel, result: 'retried' })),
  'monitor.alert-dropped': ev('monitor', 'error', alert, (f, m) => m.inc('tegami_monitor_alerts_total', { channel: f.channel, result: 'dropped' })),
} as const;
