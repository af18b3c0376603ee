// RFC 5260 date and currentdate: a header field's date-time (engine/mime/date-time.ts reads it; a Received-style
// "…; date" after its last semicolon) and the date parts (year … weekday, julian, iso8601, std11) in a chosen
// zone. Pure: the clock and the local zone come from the caller; an unparsable date yields null.
import { parseDateTime, type ZonedTime } from '../mime/date-time.js';

export type { ZonedTime };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function formatZone(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

/** The date-time of a header field's value; a Received-style "…; date" is read after its last semicolon. */
export function fieldDateTime(value: string): ZonedTime | null {
  return parseDateTime(value.slice(value.lastIndexOf(';') + 1));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** One date part of an instant seen in a zone (minutes east of UTC); null for an unknown part. */
export function datePart(t: ZonedTime, zone: number, part: string): string | null {
  const d = new Date(t.ms + zone * 60_000);
  const Y = pad(d.getUTCFullYear(), 4);
  const M = pad(d.getUTCMonth() + 1);
  const D = pad(d.getUTCDate());
  const h = pad(d.getUTCHours());
  const m = pad(d.getUTCMinutes());
  const s = pad(d.getUTCSeconds());
  const z = formatZone(zone);
  switch (part.toLowerCase()) {
    case 'year':
      return Y;
    case 'month':
      return M;
    case 'day':
      return D;
    case 'date':
      return `${Y}-${M}-${D}`;
    case 'julian': {
      const days = Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) / 86_400_000);
      return String(days + 40587); // MJD of 1970-01-01 is 40587
    }
    case 'hour':
      return h;
    case 'minute':
      return m;
    case 'second':
      return s;
    case 'time':
      return `${h}:${m}:${s}`;
    case 'iso8601':
      return `${Y}-${M}-${D}T${h}:${m}:${s}${z.slice(0, 3)}:${z.slice(3)}`;
    case 'std11':
      return `${DAYS[d.getUTCDay()]}, ${D} ${MONTHS[d.getUTCMonth()][0].toUpperCase()}${MONTHS[d.getUTCMonth()].slice(1)} ${Y} ${h}:${m}:${s} ${z}`;
    case 'zone':
      return z;
    case 'weekday':
      return String(d.getUTCDay());
    default:
      return null;
  }
}

/** The local zone of this process at an instant, minutes east of UTC. */
export function processZone(at: Date): number {
  return -at.getTimezoneOffset();
}
