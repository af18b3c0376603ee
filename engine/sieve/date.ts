// RFC 5260 date and currentdate: RFC 5322 date-time parsing (obsolete zone names and 2-digit years included,
// Received-style "…; date" too) and the date parts (year … weekday, julian, iso8601, std11) in a chosen
// zone. Pure: the clock and the local zone come from the caller; an unparsable date yields null.

export interface ZonedTime {
  /** Milliseconds since the epoch (UTC). */
  ms: number;
  /** The zone the time was written in, minutes east of UTC. */
  zone: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const NAMED_ZONES: Record<string, number> = { ut: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };

/** "+0900" → 540; null when malformed. */
export function parseZone(z: string): number | null {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(z.trim());
  if (!m) return null;
  const mins = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) > 59) return null;
  return m[1] === '-' ? -mins : mins;
}

export function formatZone(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

/** RFC 5322 date-time (with the obsolete forms) → UTC instant and written zone. */
export function parseDateTime(value: string): ZonedTime | null {
  let v = value;
  const semi = v.lastIndexOf(';');
  if (semi >= 0) v = v.slice(semi + 1);
  v = v.replace(/\([^()]*\)/g, ' ').trim();
  const m = /^(?:[A-Za-z]{3},?\s*)?(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?\s*$/.exec(v.slice(0, 200));
  if (!m) return null;
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) return null;
  let year = Number(m[3]);
  if (m[3].length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3].length === 3) year += 1900;
  const day = Number(m[1]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] ? Number(m[6]) : 0;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let zone = 0;
  if (m[7]) {
    const z = m[7].startsWith('+') || m[7].startsWith('-') ? parseZone(m[7]) : (NAMED_ZONES[m[7].toLowerCase()] ?? 0);
    if (z === null) return null;
    zone = z;
  }
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - zone * 60_000;
  if (!Number.isFinite(ms)) return null;
  return { ms, zone };
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
