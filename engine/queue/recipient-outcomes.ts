// How an attempt's outcome changes a queued message's state, recipient by recipient, for remote and local
// deliveries alike: sent, bounced, deferred on `retry_schedule` (never past `max_queue_lifetime`) or expired
// at it (unless held: hold_lifetime governs held mail, hold-expiry.ts), and the delay warning once per
// message; it returns the notices this calls for and logs each outcome.
// It works on the state in memory only: it never reads or writes files and never sends a notice itself.
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Envelope } from '../spool/envelope.js';
import { wantsNotice, type DsnAction, type DsnRecipient } from '../outbound/dsn.js';
import type { DeliverResult } from '../../workers/deliver-remote.js';
import { dsnRecipient } from './notices.js';
import { openRecipients, type QueueState, type RecipientState } from './state.js';

export type Notices = Record<DsnAction, DsnRecipient[]>;

export interface OutcomeContext {
  q: LoadedConfig['queue'];
  logger: Logger;
  now: number;
  /** Held now (the message by id, or the recipient's domain): a temporary failure never expires it. */
  held?(r: RecipientState): boolean;
}

function noNotices(): Notices {
  return { failed: [], delayed: [], relayed: [] };
}

/** One remote delivery's results for its recipients (the open remote ones of `st` it names). */
export function recordRemote(c: OutcomeContext, st: QueueState, envelope: Envelope, destination: string, results: DeliverResult['recipients'], attemptMs: number): Notices {
  const { logger, now } = c;
  const notices = noNotices();
  for (const res of results) {
    const r = st.recipients.find((x) => x.kind === 'remote' && x.address.toLowerCase() === res.address.toLowerCase() && (x.status === 'pending' || x.status === 'deferred'));
    if (!r) continue;
    r.attempts++;
    r.lastAttempt = now;
    const fields = { id: st.id, rcpt: r.address, destination, remote: res.remoteMta ?? '', status: res.status, reply: res.reply, delay_ms: now - envelope.time, attempt_ms: attemptMs, attempts: r.attempts };
    if (res.kind === 'sent') {
      r.status = 'sent';
      r.lastError = undefined;
      logger.info('delivery', 'sent', fields);
      if (!res.dsnPassed && wantsNotice(r.notify, 'relayed')) notices.relayed.push(dsnRecipient(r, 'relayed', '2.0.0', res.reply, res.remoteMta, now));
    } else if (res.kind === 'perm') {
      r.status = 'failed';
      r.lastError = res.reply.includes(res.status) ? res.reply : `${res.status} ${res.reply}`;
      logger.warn('delivery', 'bounced', fields);
      if (wantsNotice(r.notify, 'failed')) notices.failed.push(dsnRecipient(r, 'failed', res.status, res.reply, res.remoteMta, now));
    } else {
      const out = tempFailure(c, st, r, res);
      if (out.expired) {
        logger.warn('delivery', 'expired', fields);
        if (out.notice) notices.failed.push(out.notice);
      } else logger.warn('delivery', 'deferred', { ...fields, next_attempt: new Date(r.nextAttempt).toISOString() });
    }
  }
  notices.delayed.push(...delayNotices(c, st));
  return notices;
}

/** Local deliveries (a Maildir write) that failed temporarily: each open local recipient of `st` named in `failures`. */
export function recordLocalDeferrals(c: OutcomeContext, st: QueueState, envelope: Envelope, failures: { address: string; reason: string }[]): Notices {
  const { logger, now } = c;
  const notices = noNotices();
  for (const f of failures) {
    const r = openRecipients(st).find((x) => x.kind === 'local' && x.address.toLowerCase() === f.address.toLowerCase());
    if (!r) continue;
    r.attempts++;
    r.lastAttempt = now;
    const status = /^([245]\.\d{1,3}\.\d{1,3})\b/.exec(f.reason)?.[1] ?? '4.0.0';
    const fields = { id: st.id, rcpt: r.address, kind: 'local', status, reply: f.reason, delay_ms: now - envelope.time, attempts: r.attempts };
    const out = tempFailure(c, st, r, { status, reply: f.reason });
    if (out.expired) {
      logger.warn('delivery', 'expired', fields);
      if (out.notice) notices.failed.push(out.notice);
    } else logger.warn('delivery', 'deferred', { ...fields, next_attempt: new Date(r.nextAttempt).toISOString() });
  }
  notices.delayed.push(...delayNotices(c, st));
  return notices;
}

/**
 * One recipient's attempt failed temporarily (the attempt already counted): before `max_queue_lifetime` it is
 * deferred to its next back-off step (never past the lifetime); at or after it, it expires (4.4.7, or the
 * failure's own code when that is not a 4.X.X) with a notice entry if it wants one. A recipient held while
 * the attempt ran is only deferred: it stays held, and hold_lifetime decides when it expires.
 */
function tempFailure(c: OutcomeContext, st: QueueState, r: RecipientState, f: { status: string; reply: string; remoteMta?: string }): { expired: boolean; notice?: DsnRecipient } {
  const { q, now } = c;
  const held = !!c.held?.(r);
  const expiresAt = held ? Infinity : st.created + q.max_queue_lifetime;
  if (now >= expiresAt) {
    r.status = 'failed';
    r.lastError = `4.4.7 message expired after ${Math.round((now - st.created) / 1000)}s in the queue; last error: ${f.reply}`;
    if (!wantsNotice(r.notify, 'failed')) return { expired: true };
    return { expired: true, notice: dsnRecipient(r, 'failed', f.status.startsWith('4.') ? '4.4.7' : f.status, f.reply, f.remoteMta, now) };
  }
  r.status = 'deferred';
  r.lastError = f.reply.includes(f.status) ? f.reply : `${f.status} ${f.reply}`;
  const step = q.retry_schedule[Math.min(r.attempts - 1, q.retry_schedule.length - 1)] ?? 300_000;
  r.nextAttempt = Math.min(now + step, expiresAt);
  return { expired: false };
}

/** The delay warning, once per message, for recipients (remote or local) still deferred after `delay_warning`. */
function delayNotices(c: OutcomeContext, st: QueueState): DsnRecipient[] {
  const { q, now } = c;
  if (st.delayWarned || now - st.created < q.delay_warning) return [];
  const late = st.recipients.filter((r) => r.status === 'deferred');
  if (!late.length) return [];
  st.delayWarned = true;
  const until = st.created + q.max_queue_lifetime;
  return late
    .filter((r) => wantsNotice(r.notify, 'delayed'))
    .map((r) => ({ ...dsnRecipient(r, 'delayed', /\b(4\.\d+\.\d+)\b/.exec(r.lastError ?? '')?.[1] ?? '4.0.0', r.lastError ?? '', undefined, now), willRetryUntil: until }));
}
