// Catalogue part: the events of the mailbox access protocols (POP3, IMAP) and the web servers (webmail,
// admin audit trail), and the metrics each feeds. Part of engine/log/events.ts; see there how to use one.
import { ev, upper } from './event-types.js';

const pop = { session: 'id?', ip: 'ip?', listener: 'word?' } as const;
const imap = { session: 'id?', ip: 'ip?', user: 'address?', listener: 'word?' } as const;
const loginFailed = { login: 'login', mechanism: 'word', failures: 'int?', blocked: 'bool?' } as const;
const loginBlocked = { login: 'login', mechanism: 'word', until: 'text?' } as const;
const refused = { listener: 'word?', ip: 'ip?', reason: 'text?', open: 'int?' } as const;
/** The summary of refusals not written one by one (engine/net/refusal-log.ts): how many in the interval, from how many clients. */
const refusedSummary = { listener: 'word', reason: 'text', count: 'int', clients: 'int', seconds: 'int' } as const;
const refusedReason = (reason: unknown) => (reason === undefined || /from this|per.?(ip|client)/i.test(String(reason)) ? 'per_client_limit' : /too many/i.test(String(reason)) ? 'total_limit' : 'other');

export const POP3_EVENTS = {
  // the login counts shared with other nodes (PostgreSQL, docs/scale-out.md) are unreachable: this node counts alone
  'pop3.login-shared-unavailable': ev('pop3', 'warn', { ...pop, error: 'text' }),
  'pop3.connection-failed': ev('pop3', 'error', { listener: 'word', ip: 'ip?', error: 'text' }),
  'pop3.listening': ev('pop3', 'debug', { listener: 'word?', address: 'text', port: 'int', tls: 'bool' }),
  'pop3.listener-error': ev('pop3', 'error', { listener: 'word?', error: 'text' }),
  'pop3.connection-refused': ev('pop3', 'warn', refused, (f, m) => m.inc('tegami_connections_refused_total', { service: 'pop3', reason: refusedReason(f.reason) })),
  'pop3.connections-refused': ev('pop3', 'warn', refusedSummary, (f, m) => m.inc('tegami_connections_refused_total', { service: 'pop3', reason: refusedReason(f.reason) }, f.count)),
  'pop3.tls-handshake-failed': ev('pop3', 'debug', { ip: 'ip?', error: 'text' }),
  'pop3.connect': ev('pop3', 'info', { ...pop, port: 'int?', local: 'ip?', tls: 'bool?' }, (f, m) => {
    m.inc('tegami_connections_total', { service: 'pop3', listener: f.listener ?? (f.tls ? 'pop3s' : 'pop3') });
    m.add('tegami_connections_current', { service: 'pop3' }, 1);
  }),
  'pop3.disconnect': ev('pop3', 'info', { ...pop, user: 'address?', errors: 'int?', ms: 'ms?' }, (_f, m) => m.add('tegami_connections_current', { service: 'pop3' }, -1)),
  'pop3.socket-error': ev('pop3', 'debug', { ...pop, error: 'text' }),
  'pop3.command': ev('pop3', 'debug', { ...pop, verb: 'word' }, (f, m) => m.inc('tegami_pop3_commands_total', { command: upper(f.verb) })),
  'pop3.unknown-command': ev('pop3', 'debug', { ...pop, verb: 'word' }, (_f, m) => m.inc('tegami_pop3_commands_total', { command: 'other' })),
  'pop3.command-timeout': ev('pop3', 'warn', { ...pop, ms: 'ms', limit: 'ms', user: 'address?' }, (_f, m) => m.inc('tegami_timeouts_total', { service: 'pop3', phase: 'command' })),
  'pop3.idle-timeout': ev('pop3', 'info', pop, (_f, m) => m.inc('tegami_timeouts_total', { service: 'pop3', phase: 'idle' })),
  'pop3.timeout': ev('pop3', 'info', { ...pop, phase: 'word?', limit: 'ms?', error: 'text?' }, (f, m) => m.inc('tegami_timeouts_total', { service: 'pop3', phase: f.phase ?? 'other' })),
  'pop3.too-many-errors': ev('pop3', 'info', pop),
  'pop3.internal-error': ev('pop3', 'error', { ...pop, error: 'text' }),
  'pop3.store-unavailable': ev('pop3', 'warn', { ...pop, error: 'text' }),
  'pop3.tls': ev('pop3', 'info', { ...pop, protocol: 'text?', cipher: 'text?' }),
  'pop3.tls-failed': ev('pop3', 'info', { ...pop, phase: 'word?', error: 'text?' }),
  'pop3.tls-timeout': ev('pop3', 'info', pop, (_f, m) => m.inc('tegami_timeouts_total', { service: 'pop3', phase: 'tls' })),
  'pop3.maildrop-locked': ev('pop3', 'info', { ...pop, user: 'address' }),
  'pop3.maildrop': ev('pop3', 'debug', { ...pop, user: 'address', mechanism: 'word?', messages: 'int?', tls: 'bool?' }),
  'pop3.login': ev('pop3', 'info', { ...pop, user: 'address', mechanism: 'word', messages: 'int?', tls: 'bool?' }, (f, m) =>
    m.inc('tegami_logins_total', { protocol: 'pop3', mechanism: upper(f.mechanism) }),
  ),
  'pop3.login-failed': ev('pop3', 'warn', { ...pop, ...loginFailed }, (f, m) => m.inc('tegami_auth_failures_total', { protocol: 'pop3', mechanism: upper(f.mechanism) })),
  'pop3.login-blocked': ev('pop3', 'warn', { ...pop, ...loginBlocked }, (_f, m) => m.inc('tegami_auth_blocked_total', { protocol: 'pop3' })),
  'pop3.login-busy': ev('pop3', 'warn', { ...pop, login: 'login', mechanism: 'word', reason: 'text?' }),
  'pop3.flag-update-failed': ev('pop3', 'error', { ...pop, error: 'text' }),
} as const;

export const IMAP_EVENTS = {
  'imap.login-shared-unavailable': ev('imap', 'warn', { ...imap, error: 'text' }),
  'imap.over-quota': ev('imap', 'info', { ...imap, bytes: 'int', messages: 'int', reason: 'text' }),
  // a session that threw out of its command loop (a bug, never a client's doing): that connection only ends
  'imap.session-failed': ev('imap', 'error', { ...imap, error: 'text' }),
  // a protocol that threw while taking a new connection (engine/net/listener.ts): that socket is destroyed
  'imap.connection-failed': ev('imap', 'error', { listener: 'word', ip: 'ip?', error: 'text' }),
  'imap.listening': ev('imap', 'debug', { listener: 'word?', address: 'text', port: 'int', tls: 'bool' }),
  'imap.listener-error': ev('imap', 'error', { listener: 'word?', error: 'text' }),
  'imap.connection-refused': ev('imap', 'warn', refused, (f, m) => m.inc('tegami_connections_refused_total', { service: 'imap', reason: refusedReason(f.reason) })),
  'imap.connections-refused': ev('imap', 'warn', refusedSummary, (f, m) => m.inc('tegami_connections_refused_total', { service: 'imap', reason: refusedReason(f.reason) }, f.count)),
  'imap.connect': ev('imap', 'info', { ...imap, local: 'ip?', tls: 'bool?' }, (f, m) => {
    m.inc('tegami_connections_total', { service: 'imap', listener: f.listener ?? (f.tls ? 'imaps' : 'imap') });
    m.add('tegami_connections_current', { service: 'imap' }, 1);
  }),
  'imap.disconnect': ev('imap', 'info', imap, (_f, m) => m.add('tegami_connections_current', { service: 'imap' }, -1)),
  'imap.socket-error': ev('imap', 'debug', { ...imap, error: 'text' }),
  'imap.error': ev('imap', 'warn', { ...imap, error: 'text' }),
  'imap.tls': ev('imap', 'info', { ...imap, protocol: 'text?', cipher: 'text?' }),
  'imap.tls-failed': ev('imap', 'warn', { ...imap, phase: 'word?', error: 'text?' }),
  'imap.timeout': ev('imap', 'info', { ...imap, phase: 'word?', limit: 'ms?', error: 'text?' }, (f, m) => m.inc('tegami_timeouts_total', { service: 'imap', phase: f.phase ?? 'idle' })),
  'imap.command-timeout': ev('imap', 'warn', { ...imap, phase: 'word', ms: 'ms', limit: 'ms' }, (f, m) => m.inc('tegami_timeouts_total', { service: 'imap', phase: f.phase })),
  'imap.command': ev('imap', 'debug', { ...imap, tag: 'text', command: 'word', bytes: 'int?' }, (f, m) => m.inc('tegami_imap_commands_total', { command: upper(f.command) })),
  'imap.command-error': ev('imap', 'warn', { ...imap, command: 'word', error: 'text' }),
  'imap.too-many-errors': ev('imap', 'warn', imap),
  'imap.login': ev('imap', 'info', { ...imap, mechanism: 'word' }, (f, m) => m.inc('tegami_logins_total', { protocol: 'imap', mechanism: upper(f.mechanism) })),
  'imap.login-failed': ev('imap', 'warn', { ...imap, ...loginFailed }, (f, m) => m.inc('tegami_auth_failures_total', { protocol: 'imap', mechanism: upper(f.mechanism) })),
  'imap.login-blocked': ev('imap', 'warn', { ...imap, ...loginBlocked }, (_f, m) => m.inc('tegami_auth_blocked_total', { protocol: 'imap' })),
  'imap.login-busy': ev('imap', 'warn', { ...imap, login: 'login', mechanism: 'word', reason: 'text?' }),
  'imap.folders-error': ev('imap', 'warn', { ...imap, error: 'text' }),
  'imap.append': ev('imap', 'info', { ...imap, folder: 'text', size: 'int', streamed: 'bool?' }),
  'imap.append-failed': ev('imap', 'warn', { ...imap, folder: 'text', size: 'int', error: 'text' }),
  'imap.copy': ev('imap', 'info', { ...imap, from: 'text', to: 'text', count: 'int' }),
  'imap.create': ev('imap', 'info', { ...imap, folder: 'text' }),
  'imap.delete': ev('imap', 'info', { ...imap, folder: 'text' }),
  'imap.rename': ev('imap', 'info', { ...imap, from: 'text', to: 'text' }),
  'imap.select': ev('imap', 'info', { ...imap, folder: 'text', readOnly: 'bool' }),
  'imap.expunge': ev('imap', 'info', { ...imap, folder: 'text', count: 'int' }),
  'imap.fetch-broken': ev('imap', 'warn', { ...imap, error: 'text' }),
  /** The client's ID parameters (name, version, vendor...): undeclared fields, written as bounded text. */
  'imap.client-id': ev('imap', 'info', imap),
  'imap.learn': ev('imap', 'info', { ...imap, verdict: 'word', count: 'int' }),
  'imap.learn-error': ev('imap', 'warn', { ...imap, error: 'text' }),
} as const;

const audit = { who: 'text', action: 'text', ip: 'ip', result: 'word', status: 'int?' } as const;

export const WEB_EVENTS = {
  'web.action': ev('web', 'info', audit),
  'web.denied': ev('web', 'warn', audit),
  'web.failed': ev('web', 'warn', audit),
  /** An audited request that failed, or (errors.ts) a route that threw: both shapes, every field optional. */
  'web.error': ev('web', 'error', { who: 'text?', action: 'text?', ip: 'ip?', result: 'word?', status: 'int?', kind: 'word?', route: 'text?', error: 'text?' }),
  'web.session-sweep': ev('web', 'warn', { error: 'text' }),
  /** A connection over [web] max_connections or max_connections_per_ip, closed at accept (listener: webmail or admin). */
  'web.connection-refused': ev('web', 'warn', refused, (f, m) => m.inc('tegami_connections_refused_total', { service: f.listener === 'admin' ? 'admin' : 'web', reason: refusedReason(f.reason) })),
  'web.connections-refused': ev('web', 'warn', refusedSummary, (f, m) => m.inc('tegami_connections_refused_total', { service: f.listener === 'admin' ? 'admin' : 'web', reason: refusedReason(f.reason) }, f.count)),
  /** PostgreSQL: the LISTEN connection that tells this node's JMAP push of other nodes' Identity/EmailSubmission writes failed (retried; push falls back to its 60-s look). */
  'web.jmap-listen-failed': ev('web', 'warn', { error: 'text' }),
  'admin.action': ev('admin', 'info', audit),
  'admin.denied': ev('admin', 'warn', audit),
  'admin.failed': ev('admin', 'warn', audit),
  'admin.error': ev('admin', 'warn', audit),
} as const;

/** ManageSieve (engine/managesieve): its own events are written by the session; these are the failures. */
export const MANAGESIEVE_EVENTS = {
  'managesieve.listening': ev('managesieve', 'debug', { listener: 'word?', address: 'text', port: 'int', tls: 'bool' }),
  'managesieve.session-failed': ev('managesieve', 'error', { error: 'text' }),
  'managesieve.connection-failed': ev('managesieve', 'error', { listener: 'word', ip: 'ip?', error: 'text' }),
  'managesieve.connection-refused': ev('managesieve', 'warn', refused, (f, m) => m.inc('tegami_connections_refused_total', { service: 'other', reason: refusedReason(f.reason) })),
  'managesieve.connections-refused': ev('managesieve', 'warn', refusedSummary, (f, m) => m.inc('tegami_connections_refused_total', { service: 'other', reason: refusedReason(f.reason) }, f.count)),
} as const;
