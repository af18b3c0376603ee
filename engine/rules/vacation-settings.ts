// The one vacation of a user as data: checking what the CLI, JMAP (VacationResponse/get|set, RFC 8621 §8) or the
// webmail sets, whether it answers now (enabled, within its dates), and the Sieve vacation parameters delivery
// hands to engine/sieve's decideVacation. It never reads the clock itself and never sends anything.
import { z } from 'zod';
import { alternativeEntity } from '../mime/alternative.js';
import type { VacationParams } from '../sieve/index.js';
import { VACATION_HANDLE, type VacationInput, type VacationSettings, type VacationStore } from './store.js';

const ADDRESS = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const line = (max: number) => z.string().max(max).refine((s) => !/[\0\r\n]/.test(s), 'no line breaks');

export const VacationInputSchema = z
  .object({
    enabled: z.boolean(),
    subject: line(998).nullable(),
    text: z.string().max(64 * 1024).refine((s) => !s.includes('\0'), 'no NUL'),
    html: z.string().max(256 * 1024).refine((s) => !s.includes('\0'), 'no NUL').nullable(),
    from: z.number().int().nonnegative().nullable(),
    until: z.number().int().nonnegative().nullable(),
    days: z.number().int().min(1).max(365).nullable(),
    addresses: z.array(z.string().regex(ADDRESS, 'not a mail address')).max(32),
    sender: z.enum(['null', 'user']).nullable(),
  })
  .refine((v) => v.from === null || v.until === null || v.from < v.until, { message: 'the end date is not after the start date', path: ['until'] })
  .refine((v) => !v.enabled || v.text.trim() !== '' || !!v.html, { message: 'a vacation that answers needs a text', path: ['text'] });

export type VacationCheck = { ok: true; value: VacationInput } | { ok: false; errors: string[] };

export function checkVacation(v: unknown): VacationCheck {
  const r = VacationInputSchema.safeParse(v);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.') || 'vacation'}: ${i.message}`) };
}

/** Does the vacation answer at `now` (enabled, on or after `from`, before `until`)? */
export function vacationActive(v: VacationSettings | null, now: number): v is VacationSettings {
  return !!v && v.enabled && (v.from === null || now >= v.from) && (v.until === null || now < v.until);
}

export interface VacationPeriods {
  /** ms; periods are raised to at least this. */
  minMs: number;
  /** ms; the period when the settings name no days. */
  defaultMs: number;
}

/** The settings as the parameters of a Sieve vacation action (handle "vacation": its history is the settings'). */
export function vacationParams(v: VacationSettings, periods: VacationPeriods): VacationParams {
  const ms = Math.max(periods.minMs, v.days !== null ? v.days * 86_400_000 : periods.defaultMs);
  return {
    reason: v.html ? alternativeEntity(v.text, v.html) : v.text,
    subject: v.subject,
    from: null,
    addresses: v.addresses,
    mime: !!v.html,
    handle: VACATION_HANDLE,
    seconds: Math.ceil(ms / 1000),
  };
}

/** "YYYY-MM-DD" → the first (`start`) or the first after the last (`end`) millisecond of that day in this process's zone. */
export function dayBoundary(day: string, which: 'start' | 'end'): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const check = new Date(y, mo, d);
  if (check.getFullYear() !== y || check.getMonth() !== mo || check.getDate() !== d) return null;
  return new Date(y, mo, d + (which === 'end' ? 1 : 0)).getTime();
}

/** A moment as the day it falls on, in this process's zone ("YYYY-MM-DD"). */
export function dayOf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// ---- JMAP (RFC 8621 §8): the VacationResponse object is a view of the same record ----

/** RFC 8621 §8 VacationResponse (id is always "singleton"). */
export interface VacationResponse {
  id: 'singleton';
  isEnabled: boolean;
  /** UTCDate "2024-08-01T00:00:00Z", or null. */
  fromDate: string | null;
  toDate: string | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

const utcDate = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** VacationResponse/get: the user's vacation as JMAP shows it (a user who never set one has it disabled). */
export function vacationResponse(store: VacationStore, address: string): VacationResponse {
  const v = store.getVacation(address);
  return {
    id: 'singleton',
    isEnabled: !!v?.enabled,
    fromDate: utcDate(v?.from ?? null),
    toDate: utcDate(v?.until ?? null),
    subject: v?.subject ?? null,
    textBody: v ? v.text : null,
    htmlBody: v?.html ?? null,
  };
}

export type VacationPatch = Partial<Omit<VacationResponse, 'id'>>;

const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * VacationResponse/set (update of "singleton"): apply the patch to the stored record. Returns the new response,
 * or the properties that are invalid (JMAP's SetError invalidProperties).
 */
export function setVacationResponse(store: VacationStore, address: string, patch: VacationPatch): { ok: true; value: VacationResponse } | { ok: false; invalid: string[] } {
  const old = store.getVacation(address);
  const invalid: string[] = [];
  const date = (k: 'fromDate' | 'toDate', cur: number | null): number | null => {
    if (!(k in patch)) return cur;
    const v = patch[k];
    if (v === null) return null;
    if (typeof v !== 'string' || !DATE.test(v) || Number.isNaN(Date.parse(v))) {
      invalid.push(k);
      return cur;
    }
    return Date.parse(v);
  };
  const text = (k: 'subject' | 'textBody' | 'htmlBody', cur: string | null): string | null => {
    if (!(k in patch)) return cur;
    const v = patch[k];
    if (v !== null && typeof v !== 'string') {
      invalid.push(k);
      return cur;
    }
    return v ?? null;
  };
  if ('isEnabled' in patch && typeof patch.isEnabled !== 'boolean') invalid.push('isEnabled');
  const next: VacationInput = {
    enabled: typeof patch.isEnabled === 'boolean' ? patch.isEnabled : !!old?.enabled,
    subject: text('subject', old?.subject ?? null),
    text: text('textBody', old?.text ?? null) ?? '',
    html: text('htmlBody', old?.html ?? null),
    from: date('fromDate', old?.from ?? null),
    until: date('toDate', old?.until ?? null),
    days: old?.days ?? null,
    addresses: old?.addresses ?? [],
    sender: old?.sender ?? null,
  };
  if (invalid.length) return { ok: false, invalid };
  const checked = checkVacation(next);
  if (!checked.ok) {
    const props = checked.errors.map((e) => ({ text: 'textBody', html: 'htmlBody', until: 'toDate', from: 'fromDate', subject: 'subject' })[e.split(':')[0]] ?? 'isEnabled');
    return { ok: false, invalid: [...new Set(props)] };
  }
  store.setVacation(address, checked.value);
  return { ok: true, value: vacationResponse(store, address) };
}
