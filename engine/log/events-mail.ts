// Catalogue part: the mail path's events (SMTP sessions, the queue, local and remote delivery, spam
// analysis) and the metrics each feeds. Part of engine/log/events.ts; see there how to add or use one.
import { enhanced, ev, replyClass, seconds, upper } from './event-types.js';

const sess = { sid: 'id', ip: 'ip' } as const;
const sessOpt = { sid: 'id?', ip: 'ip?', listener: 'word?' } as const;
/** Fields of a remote recipient's outcome (engine/queue/recipient-outcomes.ts). */
const outcome = {
  id: 'id',
  rcpt: 'address',
  destination: 'text?',
  remote: 'text?',
  kind: 'word?',
  status: 'word?',
  reply: 'text?',
  reason: 'text?',
  delay_ms: 'ms?',
  attempt_ms: 'ms?',
  attempts: 'int?',
  next_attempt: 'text?',
} as const;
const sts = {
  id: 'id?',
  destination: 'text?',
  domain: 'text?',
  policy_id: 'text?',
  mode: 'word?',
  why: 'text?',
  expires: 'text?',
  url: 'text?',
  error: 'text?',
  cached: 'bool?',
  mx: 'text?',
  max_age: 'int?',
  previous_id: 'text?',
  host: 'text?',
  ip: 'ip?',
  port: 'int?',
  tls: 'text?',
  problem: 'text?',
  action: 'text?',
} as const;
const refusedReason = (reason: unknown) => (/from this|per.?(ip|client)|this address/i.test(String(reason ?? '')) ? 'per_client_limit' : /too many/i.test(String(reason ?? '')) ? 'total_limit' : 'other');

export const SMTP_EVENTS = {
  'smtp.login-shared-unavailable': ev('smtp', 'warn', { session: 'id?', ip: 'ip?', error: 'text' }),
  'smtp.connection-failed': ev('smtp', 'error', { listener: 'word', ip: 'ip?', error: 'text' }),
  'smtp.listening': ev('smtp', 'debug', { listener: 'word?', address: 'text?', port: 'int?', tls: 'bool?' }),
  'smtp.listener-error': ev('smtp', 'error', { listener: 'word?', error: 'text' }),
  'smtp.connect': ev('smtp', 'info', { ...sess, listener: 'word' }, (f, m) => {
    m.inc('tegami_connections_total', { service: 'smtp', listener: f.listener });
    m.add('tegami_connections_current', { service: 'smtp' }, 1);
  }),
  'smtp.disconnect': ev('smtp', 'info', { ...sess }, (_f, m) => m.add('tegami_connections_current', { service: 'smtp' }, -1)),
  'smtp.connection-refused': ev('smtp', 'warn', { ...sessOpt, reason: 'text', open: 'int?' }, (f, m) =>
    m.inc('tegami_connections_refused_total', { service: 'smtp', reason: refusedReason(f.reason) }),
  ),
  'smtp.connections-refused': ev('smtp', 'warn', { listener: 'word', reason: 'text', count: 'int', clients: 'int', seconds: 'int' }, (f, m) =>
    m.inc('tegami_connections_refused_total', { service: 'smtp', reason: refusedReason(f.reason) }, f.count),
  ),
  'smtp.socket-error': ev('smtp', 'debug', { ...sessOpt, error: 'text' }),
  'smtp.tls-failed': ev('smtp', 'debug', { ...sessOpt, error: 'text' }),
  'smtp.timeout': ev('smtp', 'warn', { ...sessOpt, phase: 'word', ms: 'ms?', limit: 'ms?', bytes: 'int?' }, (f, m) =>
    m.inc('tegami_timeouts_total', { service: 'smtp', phase: f.phase }),
  ),
  'smtp.deadlines-unavailable': ev('smtp', 'error', { listener: 'word', reason: 'text' }),
  // logins: `auth*` are today's names, `login*` those of the shared login flow (engine/net/login.ts)
  'smtp.auth-error': ev('smtp', 'error', { error: 'text' }),
  'smtp.auth-blocked': ev('smtp', 'warn', { ...sess, until: 'text' }, (_f, m) => m.inc('tegami_auth_blocked_total', { protocol: 'smtp' })),
  'smtp.auth-failed': ev('smtp', 'warn', { ...sess, method: 'word', user: 'login?', failures: 'int', blocked: 'bool' }, (f, m) =>
    m.inc('tegami_auth_failures_total', { protocol: 'smtp', mechanism: upper(f.method) }),
  ),
  'smtp.auth': ev('smtp', 'info', { ...sess, method: 'word', user: 'address' }, (f, m) => m.inc('tegami_logins_total', { protocol: 'smtp', mechanism: upper(f.method) })),
  'smtp.login': ev('smtp', 'info', { session: 'id?', ip: 'ip?', user: 'address', mechanism: 'word' }, (f, m) =>
    m.inc('tegami_logins_total', { protocol: 'smtp', mechanism: upper(f.mechanism) }),
  ),
  'smtp.login-failed': ev('smtp', 'warn', { session: 'id?', ip: 'ip?', login: 'login', mechanism: 'word', failures: 'int?', blocked: 'bool?' }, (f, m) =>
    m.inc('tegami_auth_failures_total', { protocol: 'smtp', mechanism: upper(f.mechanism) }),
  ),
  'smtp.login-blocked': ev('smtp', 'warn', { session: 'id?', ip: 'ip?', login: 'login', mechanism: 'word', until: 'text?' }, (_f, m) =>
    m.inc('tegami_auth_blocked_total', { protocol: 'smtp' }),
  ),
  'smtp.login-busy': ev('smtp', 'warn', { session: 'id?', ip: 'ip?', login: 'login', mechanism: 'word', reason: 'text?' }),
  'smtp.mail-error': ev('smtp', 'error', { sid: 'id', error: 'text' }),
  'smtp.mail-from': ev(
    'smtp',
    'info',
    { ...sess, helo: 'text?', tls: 'bool?', user: 'address?', from: 'address', verdict: 'word', reason: 'text?' },
    (f, m) => {
      if (f.verdict === 'reject') m.inc('tegami_smtp_transactions_total', { result: 'rejected', class: '5xx' });
      else if (f.verdict === 'tempfail') m.inc('tegami_smtp_transactions_total', { result: 'tempfailed', class: '4xx' });
    },
  ),
  'smtp.rcpt-to': ev('smtp', 'info', { ...sess, to: 'address', kind: 'word?', verdict: 'word', reply: 'text?' }, (f, m) => {
    if (f.verdict === 'accept') m.inc('tegami_smtp_recipients_total', { result: 'accepted', status: '2.1.5' });
    else m.inc('tegami_smtp_recipients_total', { result: 'rejected', status: enhanced(f.reply) });
  }),
  /** A connection past [smtp] max_rcpt_errors refused recipients: 421 and the close (address harvesting). */
  'smtp.too-many-refusals': ev('smtp', 'warn', { ...sess, refused: 'int' }),
  'smtp.data': ev(
    'smtp',
    'info',
    { sid: 'id', id: 'id?', verdict: 'word', reason: 'text?', size: 'int?', limit: 'int?', reply: 'text?', hops: 'int?' },
    (f, m) => {
      if (f.verdict === 'discarded') return m.inc('tegami_smtp_transactions_total', { result: 'discarded', class: '4xx' });
      const rejected = f.verdict === 'reject' || f.verdict === 'rejected';
      m.inc('tegami_smtp_transactions_total', { result: rejected ? 'rejected' : 'tempfailed', class: f.reply ? replyClass(f.reply) : rejected ? '5xx' : '4xx' });
      if (rejected) m.inc('tegami_messages_total', { result: 'rejected' });
    },
  ),
  'smtp.data-error': ev('smtp', 'error', { sid: 'id', error: 'text' }),
  'smtp.header-from': ev('smtp', 'warn', { ...sess, user: 'address?', verdict: 'word', reason: 'text' }, (f, m) => {
    if (f.verdict !== 'reject') return;
    m.inc('tegami_smtp_transactions_total', { result: 'rejected', class: '5xx' });
    m.inc('tegami_messages_total', { result: 'rejected' });
  }),
  /** An account's sending limit refused a message or recipient (engine/submission/send-gate.ts; stage mail/rcpt/data). */
  'smtp.send-limit': ev(
    'smtp',
    'warn',
    { sid: 'id', user: 'address', stage: 'word', limit: 'word', used: 'int', max: 'int', via: 'word?', id: 'id?' },
    (f, m) => m.inc('tegami_send_limit_refusals_total', { limit: f.limit, stage: f.stage }),
  ),
  'smtp.queued': ev('smtp', 'info', { sid: 'id', id: 'id', from: 'address', rcpts: 'int', size: 'int', delivered: 'bool' }, (_f, m) => {
    m.inc('tegami_smtp_transactions_total', { result: 'accepted', class: '2xx' });
    m.inc('tegami_messages_total', { result: 'accepted' });
  }),
} as const;

export const QUEUE_EVENTS = {
  'queue.resumed': ev('queue', 'info', { resumed: 'int', cleared: 'int', corrupt: 'int?', unreadable: 'int?' }),
  'queue.corrupt': ev('queue', 'error', { id: 'id?', file: 'text?', reason: 'text?', movedTo: 'text' }, (_f, m) => m.inc('tegami_queue_corrupt_total', {})),
  'queue.hold-sweep-failed': ev('queue', 'error', { error: 'text' }),
  'queue.spooler-flush': ev('queue', 'info', { destination: 'text', domains: 'list' }),
  'queue.control-retry': ev('queue', 'info', { args: 'json', ok: 'bool' }),
  'queue.control-hold': ev('queue', 'info', { args: 'json', ok: 'bool' }),
  'queue.control-release': ev('queue', 'info', { args: 'json', ok: 'bool' }),
  'queue.control-delete': ev('queue', 'info', { args: 'json', ok: 'bool' }),
  'queue.control-bad-request': ev('queue', 'warn', { error: 'text' }),
  'queue.control-failed': ev('queue', 'error', { cmd: 'word?', error: 'text' }),
  'queue.settle-failed': ev('queue', 'error', { id: 'id', error: 'text' }),
  'queue.run-failed': ev('queue', 'error', { id: 'id', error: 'text' }),
  'queue.plan-failed': ev('queue', 'error', { id: 'id', error: 'text' }),
  'queue.spooler-flush-failed': ev('queue', 'error', { destination: 'text', error: 'text' }),
  'queue.state-temp-removed': ev('queue', 'info', { file: 'text' }),
  'queue.spool-unreadable': ev('queue', 'error', { file: 'text', error: 'text' }),
  // the shared queue on PostgreSQL (engine/queue/pg-queue.ts)
  'queue.lease-takeover': ev('queue', 'warn', { id: 'id', rcpt: 'address', from: 'word', node: 'word' }, (_f, m) => m.inc('tegami_queue_lease_takeovers_total', {})),
  'queue.pg-enqueue-failed': ev('queue', 'error', { id: 'id', error: 'text' }),
  'queue.pg-claim-failed': ev('queue', 'error', { error: 'text' }),
  'queue.pg-renew-failed': ev('queue', 'warn', { error: 'text' }),
  'queue.pg-record-failed': ev('queue', 'error', { id: 'id', error: 'text' }),
  'queue.pg-lease-lost': ev('queue', 'warn', { id: 'id', recipients: 'int' }),
  'queue.pg-listen-failed': ev('queue', 'warn', { error: 'text' }),
  /** the hourly prune of old hand-over ids (migration 21) or of old queue_events (migration 23) failed; retried the next hour */
  'queue.pg-prune-failed': ev('queue', 'warn', { error: 'text' }),
  /** queue_events rows past [queue] events_retention deleted (one node of the cluster per period, migration 23) */
  'queue.pg-events-pruned': ev('queue', 'info', { deleted: 'int', older_than_days: 'int' }),
  /** a claimed job failed before its attempt (e.g. the database dropped while loading): its lease is given back */
  'queue.pg-job-failed': ev('queue', 'warn', { id: 'id', error: 'text' }),
} as const;

export const DELIVERY_EVENTS = {
  // a member removed by the RFC 8058 one-click POST (engine/web/webmail/unsubscribe.ts)
  'delivery.list-unsubscribed': ev('delivery', 'info', { list: 'address', address: 'address', via: 'word' }),
  'delivery.delivered': ev('delivery', 'info', { id: 'id', to: 'address', rcpt: 'address', folder: 'text', delay_ms: 'ms?' }, (f, m) => {
    m.inc('tegami_messages_total', { result: 'delivered' });
    const s = seconds(f.delay_ms);
    if (s !== undefined) m.observe('tegami_delivery_delay_seconds', { where: 'local' }, s);
  }),
  'delivery.failed': ev('delivery', 'warn', { id: 'id', rcpt: 'address', reason: 'text' }, (_f, m) => m.inc('tegami_messages_total', { result: 'bounced' })),
  'delivery.deferred': ev('delivery', 'warn', outcome, (_f, m) => m.inc('tegami_messages_total', { result: 'deferred' })),
  'delivery.sent': ev('delivery', 'info', outcome, (f, m) => {
    m.inc('tegami_messages_total', { result: 'delivered' });
    const s = seconds(f.delay_ms);
    if (s !== undefined) m.observe('tegami_delivery_delay_seconds', { where: 'remote' }, s);
  }),
  'delivery.bounced': ev('delivery', 'warn', outcome, (_f, m) => m.inc('tegami_messages_total', { result: 'bounced' })),
  'delivery.expired': ev('delivery', 'warn', outcome, (_f, m) => m.inc('tegami_messages_total', { result: 'bounced' })),
  'delivery.expired-held': ev('delivery', 'warn', { id: 'id', rcpt: 'address', kind: 'word', attempts: 'int', delay_ms: 'ms', reason: 'text?' }, (_f, m) =>
    m.inc('tegami_messages_total', { result: 'bounced' }),
  ),
  'delivery.verdict': ev('delivery', 'info', { id: 'id', stage: 'word', score: 'number', tags: 'list', action: 'word' }),
  'delivery.recovered-duplicates-skipped': ev('delivery', 'info', { id: 'id', count: 'int' }),
  'delivery.process-failed': ev('delivery', 'error', { id: 'id', error: 'text' }),
  'delivery.scheduler-error': ev('delivery', 'error', { id: 'id', destination: 'text', error: 'text' }),
  'delivery.orphan-state-removed': ev('delivery', 'warn', { id: 'id' }),
  'delivery.list-error': ev('delivery', 'error', { step: 'word', error: 'text', list: 'address?' }),
  'delivery.remote-connect': ev(
    'delivery',
    'info',
    { id: 'id', destination: 'text', host: 'text', ip: 'ip', port: 'int', tls: 'text', reply: 'text', delay_ms: 'ms' },
    (f, m) => m.inc('tegami_remote_attempts_total', { stage: 'connect', class: replyClass(f.reply) }),
  ),
  'delivery.remote-attempt': ev(
    'delivery',
    'info',
    { id: 'id', destination: 'text', host: 'text', ip: 'ip', port: 'int', tls: 'text', reply: 'text', delay_ms: 'ms', recipients: 'int?', reused: 'bool?', pipelining: 'bool?' },
    (f, m) => m.inc('tegami_remote_attempts_total', { stage: 'transaction', class: replyClass(f.reply) }),
  ),
  'delivery.dkim': ev('delivery', 'info', { id: 'id', domain: 'text?', selector: 'text?', error: 'text?', skipped: 'text?' }),
  'delivery.dsn': ev('delivery', 'info', { id: 'id', dsn_id: 'id', action: 'word', to: 'address', recipients: 'list' }, (f, m) => m.inc('tegami_dsn_total', { action: f.action })),
  'delivery.dsn-suppressed': ev('delivery', 'info', { id: 'id', action: 'word', reason: 'text', recipients: 'list?' }, (_f, m) => m.inc('tegami_dsn_total', { action: 'suppressed' })),
  'delivery.mta-sts-cached': ev('delivery', 'info', sts),
  'delivery.mta-sts-fetched': ev('delivery', 'info', sts),
  'delivery.mta-sts-fetch-failed': ev('delivery', 'warn', sts),
  'delivery.mta-sts-enforced': ev('delivery', 'info', sts),
  'delivery.mta-sts-violation': ev('delivery', 'warn', sts),
  /** a message kept in the account's mailbox instead of sent on: its day cap of forward-list copies
   *  ([accounts] max_forwards_per_day, workers/forward-cap.ts) or of Sieve redirects ([sieve] max_redirects_per_day) */
  'delivery.forward-limit': ev('delivery', 'warn', { id: 'id', owner: 'address', max: 'int', used: 'int', to: 'list' }, (_f, m) => m.inc('tegami_day_cap_kept_total', { kind: 'forward' })),
  'delivery.redirect-limit': ev('delivery', 'warn', { id: 'id', owner: 'address', max: 'int', used: 'int', to: 'list' }, (_f, m) => m.inc('tegami_day_cap_kept_total', { kind: 'redirect' })),
  'delivery.auth-withheld': ev('delivery', 'warn', { id: 'id?', destination: 'text?', host: 'text?', ip: 'ip?', port: 'int?', problem: 'text' }),
} as const;

const analyzer = { error: 'text?', tags: 'text?', hits: 'text?', urls: 'int?', listed: 'text?', p: 'text?', tokens: 'int?', clues: 'text?', details: 'text?' } as const;

export const SPAM_EVENTS = {
  'spam.verdict': ev(
    'spam',
    'info',
    { action: 'word', score: 'number', tags: 'text', from: 'address', to: 'text', ip: 'ip?', helo: 'text?', msgid: 'text?', ms: 'ms' },
    (f, m) => {
      m.inc('tegami_spam_verdicts_total', { action: f.action });
      // tags as the spam log writes them: "VALHELO(1.0),SPF_NONE(0.0)", or NONE
      if (typeof f.tags === 'string' && f.tags !== 'NONE') for (const t of f.tags.split(',')) if (t) m.inc('tegami_spam_tags_total', { tag: t.replace(/\(.*$/, '') });
    },
  ),
  'spam.analyzer-bayes': ev('spam', 'info', analyzer),
  'spam.analyzer-html': ev('spam', 'info', analyzer),
  'spam.analyzer-phrase': ev('spam', 'info', analyzer),
  'spam.analyzer-url': ev('spam', 'info', analyzer),
  'spam.analyzer-auth': ev('spam', 'info', analyzer),
  'spam.analyzer-rules': ev('spam', 'info', analyzer),
  'spam.connection-checks': ev('spam', 'info', {
    ip: 'ip',
    helo: 'text',
    from: 'address',
    tags: 'text',
    ms: 'ms',
    reject: 'text?',
    dnsbl: 'text?',
    rdns: 'text?',
    spf: 'text?',
    callout: 'text?',
  }),
  'spam.connection-reject': ev('spam', 'info', { ip: 'ip', helo: 'text', from: 'address', tags: 'text', ms: 'ms', reject: 'text?' }),
  'spam.callout': ev('spam', 'debug', { from: 'address', result: 'word', ms: 'ms', mx: 'text?', reply: 'text?', reason: 'text?' }),
  'spam.dnsbl': ev('spam', 'debug', { list: 'word', status: 'word' }, (f, m) => m.inc('tegami_dnsbl_lookups_total', { list: f.list, result: f.status })),
} as const;
