// The user's vacation as a Sieve script (RFC 5230 vacation, RFC 5260 dates), generated from the JMAP
// VacationResponse so the delivery-time Sieve run answers it: the same vacation for JMAP, the webmail and
// ManageSieve. Pure; it never stores or runs the script.
import { alternativeEntity } from '../mime/alternative.js';
import { htmlToReadableText } from '../mime/html-text.js';
import type { VacationResponse } from './vacation-store.js';

/** Days between two replies to one sender (Pigeonhole's default). */
export const VACATION_DAYS = 7;

export const VACATION_MARKER = '# tegami vacation (generated from the VacationResponse; change it there)';

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** "2025-07-01T00:00:00Z" → the form currentdate :zone "+0000" "iso8601" compares against. */
const isoUtc = (d: string): string => new Date(Date.parse(d)).toISOString().slice(0, 19) + '+00:00';

/** The script for a vacation, or null when it is off. */
export function vacationSieve(v: VacationResponse, opts: { from?: string } = {}): string | null {
  if (!v.isEnabled) return null;
  const conds: string[] = [];
  if (v.fromDate) conds.push(`currentdate :zone "+0000" :value "ge" "iso8601" ${quote(isoUtc(v.fromDate))}`);
  if (v.toDate) conds.push(`currentdate :zone "+0000" :value "lt" "iso8601" ${quote(isoUtc(v.toDate))}`);
  const text = v.textBody ?? (v.htmlBody ? htmlToReadableText(v.htmlBody) : 'I am away and will read your message when I am back.');
  const tags = [`:days ${VACATION_DAYS}`];
  if (v.subject !== null && v.subject !== '') tags.push(`:subject ${quote(v.subject)}`);
  if (opts.from) tags.push(`:from ${quote(opts.from)}`);
  let reason = quote(text);
  if (v.htmlBody) {
    tags.push(':mime');
    reason = quote(alternativeEntity(text, v.htmlBody));
  }
  const action = `vacation ${tags.join(' ')} ${reason};`;
  const require = conds.length ? '["vacation", "date", "relational"]' : '"vacation"';
  const body = conds.length ? `if allof (${conds.join(',\n          ')}) {\n  ${action}\n}` : action;
  return `${VACATION_MARKER}\nrequire ${require};\n${body}\n`;
}
