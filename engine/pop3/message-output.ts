// Turns a stored message into the octets of a POP3 multi-line reply body (RFC 1939 §3): CRLF line ends,
// lines starting with "." dot-stuffed, then the terminating ".". TOP keeps the header and n body lines.
// RETR's whole reply is built in one buffer (retrReply), kept for the next RETR once the socket has taken it.
// It never reads or writes a socket.

const CRLF_DOT = Buffer.from('.\r\n');

/** The whole message as a multi-line body, terminator included. */
export function multilineBody(msg: Buffer): Buffer[] {
  return [stuffed(msg), CRLF_DOT];
}

/** Header, blank line and the first `lines` body lines (RFC 1939 TOP), terminator included. */
export function topBody(msg: Buffer, lines: number): Buffer[] {
  let end = headerEnd(msg);
  if (end < msg.length) {
    let n = 0;
    while (n < lines && end < msg.length) {
      const lf = msg.indexOf(0x0a, end);
      end = lf < 0 ? msg.length : lf + 1;
      n++;
    }
  }
  return multilineBody(msg.subarray(0, end));
}

/** Offset just past the empty line ending the header (or the end of the message when there is none). */
function headerEnd(msg: Buffer): number {
  let pos = 0;
  while (pos < msg.length) {
    const lf = msg.indexOf(0x0a, pos);
    if (lf < 0) return msg.length;
    const lineLen = lf - pos;
    if (lineLen === 0 || (lineLen === 1 && msg[pos] === 0x0d)) return lf + 1;
    pos = lf + 1;
  }
  return msg.length;
}

// The places in a message where an octet goes in (found by findFixes): before fixAt[i] goes fixOctet[i] — a "."
// before a line that starts with one, a CR before a bare LF. Kept between calls (JS runs one at a time).
let fixAt = new Int32Array(256);
let fixOctet = new Uint8Array(256);

function grow(): void {
  const a = new Int32Array(fixAt.length * 2);
  a.set(fixAt);
  fixAt = a;
  const o = new Uint8Array(fixOctet.length * 2);
  o.set(fixOctet);
  fixOctet = o;
}

/** Note the insertions buf[from, end) needs (in fixAt/fixOctet); returns how many. */
function findFixes(whole: Buffer, from: number, end: number): number {
  const buf = end === whole.length ? whole : whole.subarray(0, end); // no search past the message
  let n = 0;
  let pos = from;
  while (pos < end) {
    if (buf[pos] === 0x2e) {
      if (n === fixAt.length) grow();
      fixAt[n] = pos;
      fixOctet[n++] = 0x2e;
    }
    const lf = buf.indexOf(0x0a, pos);
    if (lf < 0) break;
    if (lf === from || buf[lf - 1] !== 0x0d) {
      if (n === fixAt.length) grow();
      fixAt[n] = lf;
      fixOctet[n++] = 0x0d;
    }
    pos = lf + 1;
  }
  return n;
}

/** Octets the last line needs to end in CRLF: 0 when it does (or there is no line), 1 after a CR, else 2. */
function tailOf(buf: Buffer, from: number, end: number): number {
  if (end === from) return 0;
  const last = buf[end - 1];
  return last === 0x0a ? 0 : last === 0x0d ? 1 : 2;
}

/** Copy src[from, end) to out at `o` with the `fixes` insertions noted and the tail added; returns the end in out. */
function copyFixed(src: Buffer, from: number, end: number, fixes: number, tail: number, out: Buffer, o: number): number {
  let at = from;
  for (let i = 0; i < fixes; i++) {
    o += src.copy(out, o, at, fixAt[i]);
    out[o++] = fixOctet[i];
    at = fixAt[i];
  }
  o += src.copy(out, o, at, end);
  if (tail === 2) out[o++] = 0x0d;
  if (tail) out[o++] = 0x0a;
  return o;
}

/**
 * The message with CRLF line ends, lines starting with "." dot-stuffed and a final CRLF, in one pass over its
 * lines; when nothing needs an octet inserted (the usual case) the message goes out as it is, otherwise the runs
 * between the insertions are copied once into a buffer of the exact size.
 */
function stuffed(msg: Buffer): Buffer {
  const fixes = findFixes(msg, 0, msg.length);
  const tail = tailOf(msg, 0, msg.length);
  if (!fixes && !tail) return msg;
  const out = Buffer.allocUnsafe(msg.length + fixes + tail);
  copyFixed(msg, 0, msg.length, fixes, tail, out, 0);
  return out;
}

/** The buffer kept for the next RETR's reply (at most this large; a larger one is left to the GC). */
const POOL_MAX = 512 * 1024;
let pool: Buffer | null = null;

/** A buffer of at least `size` octets: the kept one when it is large enough (it is then no longer kept). */
function take(size: number): Buffer {
  const b = pool;
  if (b && b.length >= size) {
    pool = null;
    return b;
  }
  return Buffer.allocUnsafeSlow(size);
}

/** Keep a buffer nothing refers to any more for the next RETR (the larger of it and the one kept). */
export function releaseReply(buf: Buffer): void {
  if (buf.length <= POOL_MAX && (!pool || pool.length < buf.length)) pool = buf;
}

/**
 * RETR's whole reply in one buffer: `status` (CRLF added), the message of `size` octets (as listed) dot-stuffed
 * with CRLF line ends, and the terminator. `read(buf, at)` puts the message into buf at `at` (it has room for
 * one octet more) and returns its length, or null when it cannot (then so does this). The message is read into
 * the reply's buffer just after the status line and stuffed there, moving what follows an insertion from the end
 * backwards; only a message needing more insertions than the room kept for them is copied once more.
 * The buffer may be given back with releaseReply() once nothing refers to it.
 */
export function retrReply(status: string, size: number, read: (buf: Buffer, at: number) => number | null): { buf: Buffer; len: number } | null {
  const at = status.length + 2;
  const buf = take(at + size + (size >> 5) + 64);
  const n = read(buf, at);
  if (n === null) {
    releaseReply(buf);
    return null;
  }
  buf.write(status + '\r\n', 0, 'latin1');
  const end = at + n;
  const fixes = findFixes(buf, at, end);
  const tail = tailOf(buf, at, end);
  const len = end + fixes + tail + CRLF_DOT.length;
  if (len > buf.length) {
    const out = Buffer.allocUnsafeSlow(len);
    buf.copy(out, 0, 0, at);
    CRLF_DOT.copy(out, copyFixed(buf, at, end, fixes, tail, out, at));
    releaseReply(buf);
    return { buf: out, len };
  }
  // in place, from the end: the tail, then each run after an insertion moves up by the insertions before it
  let o = end + fixes;
  if (tail === 2) buf[o++] = 0x0d;
  if (tail) buf[o++] = 0x0a;
  CRLF_DOT.copy(buf, o);
  let runEnd = end;
  for (let i = fixes - 1; i >= 0; i--) {
    const shift = i + 1;
    buf.copyWithin(fixAt[i] + shift, fixAt[i], runEnd);
    buf[fixAt[i] + i] = fixOctet[i];
    runEnd = fixAt[i];
  }
  return { buf, len };
}
