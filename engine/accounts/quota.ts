// Mailbox quotas (FEATURES A8): the limits of a mailbox (storage bytes, message count; 0 = unlimited), taken
// from the user's own override, else the domain's default; sizes as operators write them ("500M"); and the one
// decision whether a message still fits. Usage itself is counted by the store (engine/store/maildirsize.ts).
// It never reads a mailbox and never answers a client: callers map a Room to their protocol.
import { tempfail, reject, type Refusal } from '../policy/verdict.js';

/** Limits of one mailbox; 0 in a field means no limit on it. */
export interface Quota {
  bytes: number;
  messages: number;
}

/** What a mailbox holds now. */
export interface Usage {
  bytes: number;
  messages: number;
}

/** The user's own override of each limit; null = the domain's default applies. */
export interface QuotaOverride {
  bytes: number | null;
  messages: number | null;
}

export const UNLIMITED: Quota = { bytes: 0, messages: 0 };

/** The subquery columns a user row gains for its quota (USER_SELECT in sqlite-directory.ts). */
export const QUOTA_COLUMNS = `
  (SELECT bytes FROM user_quotas q WHERE q.address = u.address) AS q_bytes,
  (SELECT messages FROM user_quotas q WHERE q.address = u.address) AS q_messages,
  (SELECT quota_bytes FROM domain_defaults d WHERE d.domain = u.domain) AS d_bytes,
  (SELECT quota_messages FROM domain_defaults d WHERE d.domain = u.domain) AS d_messages`;

export interface QuotaRow {
  q_bytes?: number | null;
  q_messages?: number | null;
  d_bytes?: number | null;
  d_messages?: number | null;
}

export function overrideFromRow(r: QuotaRow): QuotaOverride {
  return { bytes: r.q_bytes ?? null, messages: r.q_messages ?? null };
}

/** The limits in force: the user's override where there is one, else the domain's default (else none). */
export function quotaFromRow(r: QuotaRow): Quota {
  return { bytes: r.q_bytes ?? r.d_bytes ?? 0, messages: r.q_messages ?? r.d_messages ?? 0 };
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, KIB: 1024, M: 1024 ** 2, MB: 1024 ** 2, MIB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, GIB: 1024 ** 3, T: 1024 ** 4, TB: 1024 ** 4, TIB: 1024 ** 4 };

/** "0", "1048576", "500K", "20M", "1.5G" (binary units, as the config's sizes) → bytes; null when not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d{1,15}(?:\.\d{1,6})?)\s*([A-Za-z]{0,3})\s*$/.exec(text);
  if (!m) return null;
  const unit = UNITS[m[2].toUpperCase()];
  if (unit === undefined) return null;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : null;
}

/** A whole count of messages ("0" = no limit); null when not one. */
export function parseCount(text: string): number | null {
  if (!/^\s*\d{1,12}\s*$/.test(text)) return null;
  return Number(text.trim());
}

/** 1536 → "1.5K", 0 → "0" (for people; exports carry plain bytes). */
export function formatSize(n: number): string {
  for (const [u, v] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (n >= v) return `${Math.round((n / v) * 10) / 10}${u}`;
  }
  return String(n);
}

export type Room =
  | { kind: 'ok' }
  /** Over the limit now; it may fit once the owner deletes mail (temporary). */
  | { kind: 'full'; reason: string }
  /** Bigger than the whole quota: it will never fit (permanent). */
  | { kind: 'too-big'; reason: string };

/**
 * Does a message of `bytes` octets fit? (`bytes` 0 = not known yet, as at RCPT without SIZE: it is taken as
 * one octet, so a mailbox exactly at its limit is full.)
 */
export function roomFor(quota: Quota, usage: Usage, bytes: number, messages = 1): Room {
  const size = Math.max(bytes, 1);
  if (quota.bytes > 0 && bytes > quota.bytes) {
    return { kind: 'too-big', reason: `message of ${bytes} bytes is larger than the mailbox quota of ${quota.bytes} bytes` };
  }
  if (quota.bytes > 0 && usage.bytes + size > quota.bytes) {
    return { kind: 'full', reason: `mailbox full: ${usage.bytes} of ${quota.bytes} bytes used` };
  }
  if (quota.messages > 0 && usage.messages + messages > quota.messages) {
    return { kind: 'full', reason: `mailbox full: ${usage.messages} of ${quota.messages} messages` };
  }
  return { kind: 'ok' };
}

/** The SMTP answer for a recipient whose mailbox has no room (RFC 3463: 4.2.2 mailbox full, 5.2.3 too long). */
export function quotaRefusal(room: Exclude<Room, { kind: 'ok' }>, address: string): Refusal {
  return room.kind === 'full'
    ? tempfail(452, '4.2.2', `<${address}>: Mailbox full, try again later`)
    : reject(552, '5.2.3', `<${address}>: Message larger than the mailbox quota`);
}

/** The reason a worker gives for one recipient (the queue defers 4.x.x, bounces 5.x.x). */
export function quotaReason(room: Exclude<Room, { kind: 'ok' }>): string {
  return room.kind === 'full' ? `4.2.2 Mailbox full (${room.reason})` : `5.2.3 Message larger than the mailbox quota (${room.reason})`;
}
