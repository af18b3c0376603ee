// Turns a stored message into the octets of a POP3 multi-line reply body (RFC 1939 §3): CRLF line ends,
// lines starting with "." dot-stuffed, then the terminating ".". TOP keeps the header and n body lines.
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

/**
 * The message with CRLF line ends, lines starting with "." dot-stuffed and a final CRLF, in one pass over its
 * lines: the places that need an octet inserted (a "." before a line, a CR before a bare LF) are noted, and
 * when there are none (the usual case) the message goes out as it is; otherwise the runs between them are
 * copied once into a buffer of the exact size.
 */
function stuffed(msg: Buffer): Buffer {
  if (!msg.length) return msg;
  // fixes[i] = offset before which an octet goes; kinds[i] = that octet
  const fixes: number[] = [];
  const kinds: number[] = [];
  let pos = 0;
  for (;;) {
    if (msg[pos] === 0x2e) {
      fixes.push(pos);
      kinds.push(0x2e);
    }
    const lf = msg.indexOf(0x0a, pos);
    if (lf < 0) break;
    if (lf === 0 || msg[lf - 1] !== 0x0d) {
      fixes.push(lf);
      kinds.push(0x0d);
    }
    pos = lf + 1;
    if (pos >= msg.length) break;
  }
  // the last line gets its CRLF (a CR it already ends with counts)
  const last = msg[msg.length - 1];
  const tail = last === 0x0a ? 0 : last === 0x0d ? 1 : 2;
  if (!fixes.length && !tail) return msg;
  const out = Buffer.allocUnsafe(msg.length + fixes.length + tail);
  let o = 0;
  let from = 0;
  for (let i = 0; i < fixes.length; i++) {
    o += msg.copy(out, o, from, fixes[i]);
    out[o++] = kinds[i];
    from = fixes[i];
  }
  o += msg.copy(out, o, from);
  if (tail === 2) out[o++] = 0x0d;
  if (tail) out[o++] = 0x0a;
  return out;
}
