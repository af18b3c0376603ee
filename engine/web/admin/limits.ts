// Mailbox limits an admin sets from the pages and the API (a user's quota override, a domain's default quota):
// the form's text read as a size or a count, and the one rule on who may set what: a host admin never sets a
// limit above the one it holds itself (0, no limit, is above every limit). It never writes anything.
import type { Quota } from '../../accounts/quota.js';
import { formatSize, parseCount, parseSize } from '../../accounts/quota.js';
import type { FieldError } from './common.js';

export type QuotaField = 'quotaBytes' | 'quotaMessages';
const KIND: Record<QuotaField, keyof Quota> = { quotaBytes: 'bytes', quotaMessages: 'messages' };

/**
 * A quota field of a form: "500M", "2G", "1048576" (bytes) or a count of messages; "0" is no limit. An empty
 * field is `empty` (null: the domain's default for a user; 0 for a domain's own default).
 */
export function quotaFromText(field: QuotaField, text: string | undefined, empty: number | null): { value: number | null } | { error: FieldError } {
  const t = (text ?? '').trim();
  if (t === '') return { value: empty };
  const n = field === 'quotaBytes' ? parseSize(t) : parseCount(t);
  if (n === null) return { error: { field, code: field === 'quotaBytes' ? 'not-size' : 'not-count', values: { value: t } } };
  return { value: n };
}

/** A limit as the form shows it: "" for none set (the default), else "500M" / a count. */
export function quotaText(field: QuotaField, v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  return field === 'quotaBytes' ? formatSize(v) : String(v);
}

/** A value given over the API: null (the default) or a whole number, 0 or more. */
export function checkQuotaValue(field: QuotaField, v: number | null | undefined): FieldError[] {
  if (v === undefined || v === null) return [];
  return Number.isSafeInteger(v) && v >= 0 ? [] : [{ field, code: field === 'quotaBytes' ? 'not-size' : 'not-count', values: { value: String(v) } }];
}

/**
 * The limits `wanted` (what will be in force) against the caller's own: for anyone but a system admin, each
 * limit the caller has (non-zero) caps what it may set, and "no limit" is above it. `changed` names the fields
 * really being changed (an unchanged limit set by a system admin is left alone).
 */
export function aboveOwnLimits(own: Quota, systemAdmin: boolean, wanted: Quota, changed: QuotaField[]): FieldError[] {
  if (systemAdmin) return [];
  const errors: FieldError[] = [];
  for (const field of changed) {
    const k = KIND[field];
    const mine = own[k];
    if (mine > 0 && (wanted[k] === 0 || wanted[k] > mine)) {
      errors.push({ field, code: 'above-own-quota', values: { max: field === 'quotaBytes' ? formatSize(mine) : String(mine) } });
    }
  }
  return errors;
}
