// The one catalogue of log events: every event tegami writes is declared here once — its name
// ("<service>.<name>"), service, level, fields with their kinds — with the metrics it feeds. The logger
// writes lines and the metrics count from the same emission, so a log line and a counter never disagree;
// secrets are redacted by field kind (`secret`, `login`), never by hope. It never writes anything itself.
//
// HOW TO CONVERT A CALL SITE (the old untyped API is a deprecated shim; these still use it: see
// test/log/catalogue.test.ts, which lists them):
//   before:  logger.warn('smtp', 'auth-failed', { sid, ip, method, user: auth.username, failures, blocked });
//   after:   logger.emit('smtp.auth-failed', { sid, ip, method, user: auth.username, failures, blocked });
// 1. The name is "<service>.<old name>", dots and spaces in the old name made "-" (IMAP's `login.fail` is
//    `imap.login-failed`, `listener.error` is `imap.listener-error`; see LEGACY below). The level comes from
//    the catalogue, so drop it. TypeScript now checks every field: a typo, a missing required field or a
//    field of the wrong type is an error.
// 2. A field the entry does not declare: add it to the entry with its kind (events-*.ts) — `login` for a
//    user name a client typed (unverified), `secret` for anything that must never be written.
// 3. A new event: add an entry with `ev(service, level, fields, metrics?)`. If it should count, give it a
//    metrics function using the Meter (`m.inc('tegami_…_total', labels)`); the metric must be declared in
//    engine/metrics/definitions.ts with the closed set of values of each label — never a user, domain,
//    address or IP. The file's line shows the name without its service (`auth-failed`), as before (the web
//    and admin audit lines keep the whole name, `admin.denied`, as they always did).
// 4. Session helpers (IMAP `s.log(event, fields, level)`, POP3 `this.log(level, event, fields)`) become
//    `logger.emit('imap.<name>', { session, ip, user, ...fields })`.
import type { AnyEventDef, EventDef, FieldSpec, Service, ValuesOf } from './event-types.js';
import { DELIVERY_EVENTS, QUEUE_EVENTS, SMTP_EVENTS, SPAM_EVENTS } from './events-mail.js';
import { IMAP_EVENTS, MANAGESIEVE_EVENTS, POP3_EVENTS, WEB_EVENTS } from './events-access.js';
import { MONITOR_EVENTS, SYSTEM_EVENTS } from './events-system.js';

export * from './event-types.js';

export const EVENTS = {
  ...SYSTEM_EVENTS,
  ...SMTP_EVENTS,
  ...QUEUE_EVENTS,
  ...DELIVERY_EVENTS,
  ...SPAM_EVENTS,
  ...POP3_EVENTS,
  ...IMAP_EVENTS,
  ...MANAGESIEVE_EVENTS,
  ...WEB_EVENTS,
  ...MONITOR_EVENTS,
} as const;

type Catalogue = typeof EVENTS;
export type EventName = keyof Catalogue;
/** The fields of event E, as TypeScript checks them at `logger.emit(E, fields)`. */
export type FieldsOf<E extends EventName> = Catalogue[E] extends EventDef<infer F extends FieldSpec> ? ValuesOf<F> : never;

/** The entry of a name, or undefined (names from another thread are checked with this before use). */
export function eventDef(name: string): AnyEventDef | undefined {
  return Object.hasOwn(EVENTS, name) ? (EVENTS[name as EventName] as unknown as AnyEventDef) : undefined;
}

/** Services whose lines have always shown the whole name ("admin.denied": the web audit trail's format). */
const WHOLE_NAME = new Set(['web', 'admin']);

/** What the daily file and the JSON line show as `event`: the name after its service (web, admin: all of it). */
export function shortName(name: string): string {
  const dot = name.indexOf('.');
  return WHOLE_NAME.has(name.slice(0, dot)) ? name : name.slice(dot + 1);
}

/** Old names that did not follow the rule (service + name, "." and " " made "-"). */
const LEGACY: Record<string, string> = {
  'system.OPEN RELAY': 'system.open-relay',
  'smtp.refused': 'smtp.connection-refused',
  'smtp.server-error': 'smtp.listener-error',
  'imap.too-many-connections': 'imap.connection-refused',
  'imap.login.fail': 'imap.login-failed',
  'imap.append.fail': 'imap.append-failed',
};

const resolved = new Map<string, string | null>();

/** The catalogue name for an old-style call (service, free event string), or null when it has none. */
export function canonicalName(service: Service, event: string): string | null {
  const key = `${service}\0${event}`;
  const hit = resolved.get(key);
  if (hit !== undefined) return hit;
  const bare = event.startsWith(`${service}.`) ? event.slice(service.length + 1) : event;
  const full = LEGACY[`${service}.${bare}`] ?? `${service}.${bare.replace(/[.\s]+/g, '-')}`;
  const name = eventDef(full)?.service === service ? full : null;
  if (resolved.size < 4096) resolved.set(key, name);
  return name;
}
