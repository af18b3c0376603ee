// RFC 5322 date-time (§3.3, with the obsolete forms of §4.3): "Mon, 6 Dec 2026 10:00:00 +0900 (JST)" → the
// instant and the zone it was written in. The one reader for the store's Date: (index, JMAP) and the Sieve date
// test. Pure and bounded (200 characters after comments are read); what does not read is null, never a throw.
import { stripComments } from './comments.js';

export interface ZonedTime {
  /** Milliseconds since the epoch (UTC). */
  ms: number;
  /** The zone the time was written in, minutes east of UTC (-0 for "-0000", no zone information). */
  zone: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** Obsolete zone names (RFC 5322 §4.3) and the one Japanese mail still carries; any other name reads as +0000. */
const NAMED_ZONES: Record<string, number> = { ut: 0, gmt: 0, z: 0, edt: -240, est: -300, cdt: -300, cst: -360, mdt: -360, mst: -420, pdt: -420, pst: -480, jst: 540 };

/** "+0900" → 540; null when malformed. */
export function parseZone(z: string): number | null {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(z.trim());
  if (!m || Number(m[3]) > 59) return null;
  const mins = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -mins : mins;
}

/**
 * Comments anywhere, folding, a missing weekday or seconds, month names spelt out, two- (< 50: 20xx) and
 * three-digit (+1900) years; what follows the zone is not read. A day past its month's end rolls over.
 */
export function parseDateTime(value: string): ZonedTime | null {
  const text = stripComments(value).replace(/\s+/g, ' ').trim().slice(0, 200);
  const m = /^(?:[A-Za-z]{3},? ?)?(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{2,4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([+-]\d{4}|[A-Za-z]{1,5}))?/.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) return null;
  let year = Number(m[3]);
  if (m[3].length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3].length === 3) year += 1900;
  const [day, hour, minute, second] = [Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let zone = 0;
  const z = m[7];
  if (z && (z[0] === '+' || z[0] === '-')) {
    const n = parseZone(z);
    if (n === null) return null;
    zone = n;
  } else if (z) zone = NAMED_ZONES[z.toLowerCase()] ?? 0;
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - zone * 60_000;
  return Number.isFinite(ms) ? { ms, zone } : null;
}
