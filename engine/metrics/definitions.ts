// Every Prometheus metric tegami exports: name, type, help and its labels, each label with the closed set
// of values it may take (anything else is counted as "other"), so no label can ever carry a user, a domain,
// an address or an IP. Pure data: no prom-client here (worker threads import it through the catalogue).
import { TAGS } from '../spam/tags.js';

/** Label values allowed from the code; 'config' = values named in the config file (listener, DNSBL and monitor names). */
export type LabelValues = readonly string[] | 'config';

export interface MetricDef {
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labels: Record<string, LabelValues>;
  buckets?: readonly number[];
}

const SERVICES = ['smtp', 'pop3', 'imap', 'web', 'admin', 'other'] as const;
const PROTOCOLS = ['smtp', 'pop3', 'imap', 'web', 'other'] as const;
const MECHANISMS = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'APOP', 'USER', 'XOAUTH2', 'OAUTHBEARER', 'other'] as const;
const LISTENERS = ['smtp', 'submission', 'submissions', 'pop3', 'pop3s', 'imap', 'imaps', 'webmail', 'admin', 'metrics', 'unknown', 'other'] as const;
const CLASSES = ['2xx', '4xx', '5xx', 'other'] as const;
/** Enhanced status codes our own RCPT/DATA refusals use; others are "other". */
const STATUSES = ['2.1.5', '4.3.2', '4.4.5', '4.5.3', '4.7.0', '4.7.1', '5.1.1', '5.1.3', '5.1.7', '5.4.6', '5.5.4', '5.7.1', '5.7.8', 'other'] as const;
const IMAP_COMMANDS = [
  'CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'AUTHENTICATE', 'LOGIN', 'ID', 'ENABLE', 'SELECT', 'EXAMINE', 'CREATE', 'DELETE', 'RENAME',
  'SUBSCRIBE', 'UNSUBSCRIBE', 'LIST', 'LSUB', 'NAMESPACE', 'STATUS', 'APPEND', 'IDLE', 'CHECK', 'CLOSE', 'UNSELECT', 'EXPUNGE', 'SEARCH',
  'FETCH', 'STORE', 'COPY', 'MOVE', 'UID', 'other',
] as const;
const POP3_COMMANDS = ['USER', 'PASS', 'APOP', 'AUTH', 'STLS', 'CAPA', 'STAT', 'LIST', 'RETR', 'DELE', 'NOOP', 'RSET', 'QUIT', 'TOP', 'UIDL', 'UTF8', 'other'] as const;
const DNS_TYPES = ['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS', 'SRV', 'TLSA', 'ANY', 'other'] as const;
const DELAY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600] as const;

export const METRICS = {
  tegami_connections_total: { type: 'counter', help: 'Connections accepted, by service and listener', labels: { service: SERVICES, listener: LISTENERS } },
  tegami_connections_refused_total: {
    type: 'counter',
    help: 'Connections refused at once, by service and reason',
    labels: { service: SERVICES, reason: ['per_client_limit', 'total_limit', 'other'] },
  },
  tegami_connections_current: { type: 'gauge', help: 'Connections open now, by service', labels: { service: SERVICES } },
  tegami_timeouts_total: { type: 'counter', help: 'Sessions ended by a deadline, by service and phase', labels: { service: SERVICES, phase: ['command', 'data', 'tls', 'line', 'literal', 'idle', 'other'] } },
  tegami_smtp_transactions_total: {
    type: 'counter',
    help: 'SMTP transactions by result (at MAIL FROM or after DATA) and reply class',
    labels: { result: ['accepted', 'rejected', 'tempfailed', 'discarded', 'other'], class: CLASSES },
  },
  tegami_smtp_recipients_total: { type: 'counter', help: 'RCPT TO commands by result and enhanced status code', labels: { result: ['accepted', 'rejected', 'other'], status: STATUSES } },
  tegami_messages_total: {
    type: 'counter',
    help: 'Messages accepted (250 after DATA) or rejected (after DATA); recipients delivered, deferred or bounced',
    labels: { result: ['accepted', 'rejected', 'delivered', 'deferred', 'bounced'] },
  },
  tegami_send_limit_refusals_total: {
    type: 'counter',
    help: "Messages and recipients refused by an account's sending limit, by limit and stage (mail, rcpt, data)",
    labels: { limit: ['messagesPerHour', 'messagesPerDay', 'recipientsPerHour', 'recipientsPerDay'], stage: ['mail', 'rcpt', 'data'] },
  },
  tegami_day_cap_kept_total: {
    type: 'counter',
    help: "Messages kept in an account's mailbox instead of sent on: its day cap of forward-list copies or Sieve redirects was reached",
    labels: { kind: ['forward', 'redirect'] },
  },
  tegami_auth_failures_total: { type: 'counter', help: 'Failed logins (wrong credentials), by protocol and mechanism', labels: { protocol: PROTOCOLS, mechanism: MECHANISMS } },
  tegami_auth_blocked_total: { type: 'counter', help: 'Logins refused by the failed-login throttle without checking them, by protocol', labels: { protocol: PROTOCOLS } },
  tegami_logins_total: { type: 'counter', help: 'Successful logins, by protocol and mechanism', labels: { protocol: PROTOCOLS, mechanism: MECHANISMS } },
  tegami_delivery_delay_seconds: {
    type: 'histogram',
    help: 'Time from arrival to delivery (local: into the Maildir; remote: accepted by the next hop)',
    labels: { where: ['local', 'remote'] },
    buckets: DELAY_BUCKETS,
  },
  tegami_remote_attempts_total: { type: 'counter', help: 'Outbound SMTP connections and transactions by stage and reply class', labels: { stage: ['connect', 'transaction'], class: CLASSES } },
  tegami_dsn_total: { type: 'counter', help: 'Delivery status notifications sent (or suppressed for the null sender), by action', labels: { action: ['failed', 'delayed', 'relayed', 'suppressed', 'other'] } },
  tegami_spam_verdicts_total: { type: 'counter', help: 'Content analysis verdicts by action', labels: { action: ['inbox', 'spam', 'reject', 'delete', 'other'] } },
  tegami_spam_tags_total: { type: 'counter', help: 'Spam tags found by content and connection analysis', labels: { tag: [...TAGS, 'other'] } },
  tegami_dnsbl_lookups_total: { type: 'counter', help: 'DNSBL lookups by list (as named in [[dnsbl]]) and result', labels: { list: 'config', result: ['listed', 'clean', 'error', 'skipped', 'other'] } },
  tegami_dns_lookup_duration_seconds: {
    type: 'histogram',
    help: 'DNS lookups through the resolver, by record type',
    labels: { type: DNS_TYPES },
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  tegami_dns_lookup_failures_total: {
    type: 'counter',
    help: 'DNS lookups that found no answer, by record type and reason',
    labels: { type: DNS_TYPES, reason: ['nxdomain', 'nodata', 'timeout', 'servfail', 'refused', 'error'] },
  },
  tegami_imap_commands_total: { type: 'counter', help: 'IMAP commands by name', labels: { command: IMAP_COMMANDS } },
  tegami_pop3_commands_total: { type: 'counter', help: 'POP3 commands by name', labels: { command: POP3_COMMANDS } },
  tegami_queue_corrupt_total: { type: 'counter', help: 'Spool files found unreadable and moved to spool/corrupt/', labels: {} },
  tegami_queue_lease_takeovers_total: {
    type: 'counter',
    help: 'Recipients of the shared queue claimed again after a lease ended without an outcome (a node died): each may be delivered twice',
    labels: {},
  },
  tegami_log_events_total: { type: 'counter', help: 'Log events by service and level (written or not)', labels: { service: ['smtp', 'delivery', 'pop3', 'imap', 'spam', 'system', 'web', 'queue', 'admin', 'monitor'], level: ['debug', 'info', 'warn', 'error'] } },
  tegami_log_dropped_total: { type: 'counter', help: 'Log lines dropped, by destination (a file whose disk does not keep up, a syslog server away)', labels: { destination: ['file', 'syslog'] } },
  tegami_monitor_checks_total: { type: 'counter', help: 'Monitor checks by target (as named in [[monitor]]) and result', labels: { target: 'config', result: ['ok', 'failed'] } },
  tegami_monitor_alerts_total: { type: 'counter', help: 'Monitor alerts by channel and result', labels: { channel: ['mail', 'webhook'], result: ['sent', 'retried', 'dropped'] } },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRICS;
type OfType<T extends MetricDef['type']> = { [K in MetricName]: (typeof METRICS)[K]['type'] extends T ? K : never }[MetricName];
export type CounterName = OfType<'counter'>;
export type GaugeName = OfType<'gauge'>;
export type HistogramName = OfType<'histogram'>;
/** The labels a metric takes: every one must be given (a value outside its set becomes "other"). */
export type LabelsOf<M extends MetricName> = { [L in keyof (typeof METRICS)[M]['labels']]: string };

/** What an event's metrics function may do: increments and observations, nothing else. */
export interface Meter {
  inc<M extends CounterName>(name: M, labels: LabelsOf<M>, n?: number): void;
  add<M extends GaugeName>(name: M, labels: LabelsOf<M>, delta: number): void;
  observe<M extends HistogramName>(name: M, labels: LabelsOf<M>, value: number): void;
}

/** Gauges computed when /metrics is read (never on the mail path); see engine/metrics/collectors.ts. */
export const LAZY_GAUGES = {
  tegami_queue_messages: { help: 'Messages in the queue by state (on PostgreSQL: the shared queue of every node, plus this node\'s spool)', labels: ['state'] },
  tegami_queue_local_messages: { help: 'PostgreSQL only: messages in this node\'s spool (not yet handed over, or local deliveries waiting), counted in tegami_queue_messages too', labels: [] },
  tegami_queue_oldest_age_seconds: { help: 'Age of the oldest message in the queue (0 when empty)', labels: [] },
  tegami_spool_bytes: { help: 'Bytes of message files in the spool (queue and incoming)', labels: [] },
  tegami_pool_threads: { help: 'Worker threads in the pool', labels: [] },
  tegami_pool_utilization_ratio: { help: 'Worker pool utilisation (time busy / capacity, 0..1)', labels: [] },
  tegami_pool_waiting_tasks: { help: 'Tasks waiting for a worker thread', labels: [] },
  tegami_pool_completed_tasks: { help: 'Tasks the pool has completed since start', labels: [] },
  tegami_data_dir_free_bytes: { help: 'Free space (for unprivileged users) on the data dir file system', labels: [] },
  tegami_data_dir_size_bytes: { help: 'Size of the data dir file system', labels: [] },
  tegami_backup_last_success_timestamp_seconds: { help: 'When the last backup made by tegami backup was taken, Unix seconds (0: none recorded; a download from the admin web does not count)', labels: [] },
  tegami_backup_last_size_bytes: { help: 'Size of the file the last backup made by tegami backup wrote (0: none recorded)', labels: [] },
  tegami_monitor_target_up: { help: 'Monitor target state: 1 up, 0 down, -1 not known yet', labels: ['target'] },
  tegami_build_info: { help: 'Versions of tegami and Node.js (always 1)', labels: ['version', 'node'] },
} as const;
