// Per-account sending limits ([limits] send_*, docs/security.md): what one logged-in account may send per rolling
// hour and 24 hours, in messages and in recipients. The limits in force are the account's own override, else its
// domain's default, else the config's; 0 is no limit. This module holds the rules (which cap a send would pass,
// the refusal it gets); the counts live in a SendLedger (send-ledger.ts: SQLite, pg-send-ledger.ts: PostgreSQL).
import type { Config } from '../config/schema.js';
import { tempfail, type Refusal } from '../policy/verdict.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/**
 * A message claimed but not yet settled (its session is between the claim and its reply) counts this long; a
 * claim a crash left unsettled stops counting after it, so a crashed session never counts twice with its retry.
 */
export const PENDING_MS = 15 * 60_000;

export interface SendLimits {
  messagesPerHour: number;
  messagesPerDay: number;
  recipientsPerHour: number;
  recipientsPerDay: number;
}
export type LimitName = keyof SendLimits;
export const LIMIT_NAMES: LimitName[] = ['messagesPerHour', 'messagesPerDay', 'recipientsPerHour', 'recipientsPerDay'];

/** An override (an account's, or a domain's default under the key "@domain"): null = the next level's value. */
export type LimitOverride = { [K in LimitName]: number | null };
export const NO_OVERRIDE: LimitOverride = { messagesPerHour: null, messagesPerDay: null, recipientsPerHour: null, recipientsPerDay: null };

/** Sent (accepted, or claimed and still being answered) in the last hour and 24 hours. */
export interface SendUsage {
  messagesHour: number;
  messagesDay: number;
  recipientsHour: number;
  recipientsDay: number;
}
export const NO_USAGE: SendUsage = { messagesHour: 0, messagesDay: 0, recipientsHour: 0, recipientsDay: 0 };

/** The cap a send would pass: which one, what was used of it, its value. */
export interface Over {
  limit: LimitName;
  used: number;
  max: number;
}

export type SendClaim = { ok: true } | { ok: false; over: Over };

/** The counts of sent mail, shared by every session and thread (and every node, on PostgreSQL). */
export interface SendLedger {
  /** The override stored under `key` (an address, or "@domain" for a domain's default). */
  override(key: string): Promise<LimitOverride>;
  /** Replace the override under `key` (all null removes it). */
  setOverride(key: string, o: LimitOverride): Promise<void>;
  usage(address: string, now: number): Promise<SendUsage>;
  /**
   * Count message `msg` (`rcpts` recipients) for `address` at `now` if no cap of `limits` would be passed, in one
   * atomic step against every other session's claim. It stays pending until settle(); a message claimed before is
   * not counted again.
   */
  claim(address: string, msg: string, rcpts: number, now: number, limits: SendLimits): Promise<SendClaim>;
  /** The message got its 250 (kept, counted from now on for its window) or did not (the claim is dropped). */
  settle(address: string, msg: string, accepted: boolean): Promise<void>;
}

export const ledgerKey = (s: string): string => s.trim().toLowerCase();

/** The config's limits (the level under every override). */
export function configLimits(config: Pick<Config, 'limits'>): SendLimits {
  const l = config.limits;
  return { messagesPerHour: l.send_messages_per_hour, messagesPerDay: l.send_messages_per_day, recipientsPerHour: l.send_recipients_per_hour, recipientsPerDay: l.send_recipients_per_day };
}

/** The limits in force for an account: its own override, else its domain's, else the config's. */
export async function limitsFor(ledger: SendLedger, config: Pick<Config, 'limits'>, address: string): Promise<SendLimits> {
  const a = ledgerKey(address);
  const [own, dom] = await Promise.all([ledger.override(a), ledger.override(`@${a.slice(a.lastIndexOf('@') + 1)}`)]);
  const base = configLimits(config);
  const out = { ...base };
  for (const k of LIMIT_NAMES) out[k] = own[k] ?? dom[k] ?? base[k];
  return out;
}

/** The first cap that sending `messages` more messages to `recipients` more recipients would pass, or null. */
export function overLimit(used: SendUsage, limits: SendLimits, messages: number, recipients: number): Over | null {
  const checks: [LimitName, number, number][] = [
    ['messagesPerHour', used.messagesHour, messages],
    ['messagesPerDay', used.messagesDay, messages],
    ['recipientsPerHour', used.recipientsHour, recipients],
    ['recipientsPerDay', used.recipientsDay, recipients],
  ];
  for (const [limit, u, add] of checks) {
    const max = limits[limit];
    if (max > 0 && add > 0 && u + add > max) return { limit, used: u, max };
  }
  return null;
}

const WORDS: Record<LimitName, string> = {
  messagesPerHour: 'messages per hour',
  messagesPerDay: 'messages per 24 hours',
  recipientsPerHour: 'recipients per hour',
  recipientsPerDay: 'recipients per 24 hours',
};

/** The SMTP refusal (RFC 3463 4.7.1: not authorised now, a temporary policy refusal): the client keeps the message and retries. */
export function limitRefusal(address: string, over: Over): Refusal {
  return tempfail(451, '4.7.1', `Sending limit reached for <${address}>: ${over.max} ${WORDS[over.limit]} (${over.used} used); try again later`);
}

/** The usage row as figures for the admin: "used/max" per cap (max 0: no limit). */
export function usageFigures(u: SendUsage, l: SendLimits): { limit: LimitName; used: number; max: number }[] {
  const used: Record<LimitName, number> = { messagesPerHour: u.messagesHour, messagesPerDay: u.messagesDay, recipientsPerHour: u.recipientsHour, recipientsPerDay: u.recipientsDay };
  return LIMIT_NAMES.map((limit) => ({ limit, used: used[limit], max: l[limit] }));
}
