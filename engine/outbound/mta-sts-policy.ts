// MTA-STS (RFC 8461) as data: the `_mta-sts` TXT record (§3.1), the policy file (§3.2) and the MX
// pattern match (§4.1). Pure functions: malformed input is a value ({ ok: false, reason }), never an
// exception, and nothing here looks anything up or decides what a delivery does.
import url from 'node:url';

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  mode: StsMode;
  /** MX patterns, lowercased, without a trailing dot; "*.example.org" matches exactly one more label. */
  mx: string[];
  /** Seconds, capped at MAX_AGE_CAP. */
  maxAge: number;
}

/** One year (RFC 8461 §3.2: the largest max_age a sender honours). */
export const MAX_AGE_CAP = 31_557_600;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const WSP = '[ \\t]*';
const TXT_VERSION = new RegExp(`^v=STSv1${WSP}(;|$)`);
const TXT_ID = /^[A-Za-z0-9]{1,32}$/;
const EXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const TXT_EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/**
 * The policy id from the TXT strings at `_mta-sts.<domain>` (each record's strings already joined).
 * Records not starting with "v=STSv1" are ignored; none or more than one left means no policy (§3.1).
 */
export function parseStsRecord(records: string[]): Parsed<{ id: string }> {
  const sts = records.filter((r) => TXT_VERSION.test(r));
  if (sts.length === 0) return { ok: false, reason: 'no v=STSv1 record' };
  if (sts.length > 1) return { ok: false, reason: `${sts.length} v=STSv1 records` };
  const fields = sts[0]
    .split(';')
    .map((f) => f.trim())
    .slice(1);
  if (fields.length && fields[fields.length - 1] === '') fields.pop(); // a trailing ";"
  let id: string | undefined;
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `malformed field "${f}"` };
    const name = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (name === 'id') {
      if (!TXT_ID.test(value)) return { ok: false, reason: `malformed id "${value}"` };
      id ??= value;
    } else if (!EXT_NAME.test(name) || !TXT_EXT_VALUE.test(value)) {
      return { ok: false, reason: `malformed field "${f}"` };
    }
  }
  return id ? { ok: true, value: { id } } : { ok: false, reason: 'no id' };
}

/** A domain name as lowercase ASCII (A-labels) without a trailing dot, or null if it is not one. */
export function asciiDomain(name: string): string | null {
  const n = name.trim().replace(/\.$/, '');
  if (!n || n.length > 253) return null;
  const a = url.domainToASCII(n).toLowerCase();
  if (!a || !/^[a-z0-9_]([a-z0-9_-]{0,62})?(\.[a-z0-9_]([a-z0-9_-]{0,62})?)*$/.test(a)) return null;
  return a;
}

function mxPattern(v: string): string | null {
  const wild = v.startsWith('*.');
  const d = asciiDomain(wild ? v.slice(2) : v);
  if (!d || d.includes('*')) return null;
  return wild ? `*.${d}` : d;
}

const POLICY_LINE = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):[ \t]*(.*?)[ \t]*$/;
const POLICY_EXT_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+(?:[ \t]+[\x21-\x3a\x3c\x3e-\x7e]+)*$/;

/** The policy file's text (§3.2): CRLF- or LF-separated "key: value" lines. */
export function parseStsPolicy(text: string): Parsed<StsPolicy> {
  let version: string | undefined;
  let mode: string | undefined;
  let maxAge: string | undefined;
  const mx: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '') continue;
    const m = POLICY_LINE.exec(raw);
    if (!m) return { ok: false, reason: `malformed line "${raw.slice(0, 80)}"` };
    const [, key, value] = m;
    // the first occurrence of a key counts, except mx which may repeat
    switch (key) {
      case 'version':
        version ??= value;
        break;
      case 'mode':
        mode ??= value;
        break;
      case 'max_age':
        maxAge ??= value;
        break;
      case 'mx': {
        const p = mxPattern(value);
        if (!p) return { ok: false, reason: `malformed mx "${value.slice(0, 80)}"` };
        mx.push(p);
        break;
      }
      default:
        if (!POLICY_EXT_VALUE.test(value)) return { ok: false, reason: `malformed field "${key}"` };
    }
  }
  if (version !== 'STSv1') return { ok: false, reason: version === undefined ? 'no version' : `unknown version "${version}"` };
  const md = mode?.toLowerCase();
  if (md !== 'enforce' && md !== 'testing' && md !== 'none') return { ok: false, reason: mode === undefined ? 'no mode' : `unknown mode "${mode}"` };
  if (maxAge === undefined) return { ok: false, reason: 'no max_age' };
  if (!/^\d{1,10}$/.test(maxAge)) return { ok: false, reason: `malformed max_age "${maxAge}"` };
  if (md !== 'none' && mx.length === 0) return { ok: false, reason: `mode ${md} without mx` };
  return { ok: true, value: { mode: md, mx, maxAge: Math.min(Number(maxAge), MAX_AGE_CAP) } };
}

/** Whether an MX host name is covered by a pattern: exact, or "*.d" for exactly one label more than d (§4.1). */
export function mxMatches(pattern: string, host: string): boolean {
  const h = asciiDomain(host);
  if (!h) return false;
  if (!pattern.startsWith('*.')) return h === pattern;
  const base = pattern.slice(2);
  if (!h.endsWith('.' + base)) return false;
  const first = h.slice(0, h.length - base.length - 1);
  return first.length > 0 && !first.includes('.');
}

export function policyAllows(policy: StsPolicy, host: string): boolean {
  return policy.mx.some((p) => mxMatches(p, host));
}
