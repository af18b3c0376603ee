// Removes verdict headers a sender forged from an incoming message before tegami adds its own: every
// X-IMAIL-SPAM / X-IMAIL-SPAM-* / X-Tegami-Spam-Status field, and Authentication-Results fields whose
// authserv-id is ours (RFC 8601 §5). Only the header section is rebuilt, from the original bytes of the kept
// fields; the body is never copied, and every other field keeps its bytes, order, folding and line endings.

export interface StrippedMessage {
  /** Parts to write in order: the rebuilt header section (when changed), then the rest as a view of the input. */
  parts: Buffer[];
  /** Names of the fields removed, as received (for logs and tests). */
  removed: string[];
}

/** Where the header section ends: the offset of the empty line that ends it, or the end of the buffer. */
export function headerSectionEnd(raw: Buffer): number {
  // A message that starts with an empty line has no header fields at all.
  if (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a)) return 0;
  let i = 0;
  for (;;) {
    const nl = raw.indexOf(0x0a, i);
    if (nl < 0) return raw.length;
    const next = nl + 1;
    if (raw[next] === 0x0a) return next;
    if (raw[next] === 0x0d && raw[next + 1] === 0x0a) return next;
    i = next;
  }
}

const VERDICT = /^(x-imail-spam(-.*)?|x-tegami-spam-status)$/i;

/** The authserv-id of an Authentication-Results value (RFC 8601 §2.2): after any CFWS, a token or quoted-string. */
export function authservId(value: string): string {
  const v = value.replace(/\r?\n/g, '');
  let i = 0;
  // skip CFWS: white space and (nested) comments with quoted-pairs
  for (;;) {
    while (i < v.length && (v[i] === ' ' || v[i] === '\t')) i++;
    if (v[i] !== '(') break;
    let depth = 0;
    for (; i < v.length; i++) {
      if (v[i] === '\\') i++;
      else if (v[i] === '(') depth++;
      else if (v[i] === ')' && --depth === 0) {
        i++;
        break;
      }
    }
  }
  if (v[i] === '"') {
    let out = '';
    for (i++; i < v.length && v[i] !== '"'; i++) out += v[i] === '\\' ? v[++i] ?? '' : v[i];
    return out;
  }
  const m = /^[^\s;()"]*/.exec(v.slice(i));
  return m ? m[0] : '';
}

/** Without trailing spaces and tabs (the pattern /[ \t]+$/ is O(n²) on "a   …   b"). */
function trimWsp(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return s.slice(0, end);
}

function sameHost(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\.$/, '');
  return norm(a) !== '' && norm(a) === norm(b);
}

/**
 * Strip forged verdict fields from `raw`. `hostname` is our authserv-id. When nothing is removed the
 * input comes back as the only part, untouched.
 */
export function stripVerdictHeaders(raw: Buffer, hostname: string): StrippedMessage {
  const end = headerSectionEnd(raw);
  const head = raw.subarray(0, end).toString('latin1');
  // Split into fields: a field is a line that does not start with WSP plus its continuation lines.
  const keep: [number, number][] = [];
  const removed: string[] = [];
  let pos = 0;
  while (pos < head.length) {
    let stop = pos;
    do {
      const nl = head.indexOf('\n', stop);
      stop = nl < 0 ? head.length : nl + 1;
    } while (stop < head.length && (head[stop] === ' ' || head[stop] === '\t'));
    const field = head.slice(pos, stop);
    const colon = field.indexOf(':');
    const name = colon > 0 ? trimWsp(field.slice(0, colon)) : '';
    const drop =
      /^[\x21-\x39\x3b-\x7e]+$/.test(name) &&
      (VERDICT.test(name) || (name.toLowerCase() === 'authentication-results' && sameHost(authservId(field.slice(colon + 1)), hostname)));
    if (drop) removed.push(name);
    else if (keep.length && keep[keep.length - 1][1] === pos) keep[keep.length - 1][1] = stop;
    else keep.push([pos, stop]);
    pos = stop;
  }
  if (!removed.length) return { parts: [raw], removed };
  const newHead = Buffer.concat(keep.map(([a, b]) => raw.subarray(a, b)));
  return { parts: [newHead, raw.subarray(end)], removed };
}
