// Turns a stored message into the octets of a POP3 multi-line reply body (RFC 1939 §3): CRLF line ends,
// lines starting with "." dot-stuffed, then the terminating ".". TOP keeps the header and n body lines.
// It never reads or writes a socket.

const CRLF_DOT = Buffer.from('.\r\n');

/** The whole message as a multi-line body, terminator included. */
export function multilineBody(msg: Buffer): Buffer[] {
  if (isClean(msg)) return [msg, CRLF_DOT];
  return [normalise(msg), CRLF_DOT];
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

/** Already CRLF-only, no line starting with ".", and ending with CRLF (or empty)? Then it goes out as is. */
function isClean(msg: Buffer): boolean {
  if (!msg.length) return true;
  if (msg[0] === 0x2e) return false;
  if (msg.length < 2 || msg[msg.length - 1] !== 0x0a || msg[msg.length - 2] !== 0x0d) return false;
  let pos = 0;
  for (;;) {
    const lf = msg.indexOf(0x0a, pos);
    if (lf < 0) return true;
    if (lf === 0 || msg[lf - 1] !== 0x0d) return false;
    if (lf + 1 < msg.length && msg[lf + 1] === 0x2e) return false;
    pos = lf + 1;
  }
}

function normalise(msg: Buffer): Buffer {
  // first pass: how many octets the CRLF-normalised, dot-stuffed copy needs
  let extra = 0;
  let pos = 0;
  while (pos < msg.length) {
    if (msg[pos] === 0x2e) extra++;
    let lf = msg.indexOf(0x0a, pos);
    if (lf < 0) {
      extra += 2; // the last line gets a CRLF
      break;
    }
    if (lf === pos || msg[lf - 1] !== 0x0d) extra++;
    pos = lf + 1;
  }
  // second pass: copy line by line into one buffer
  const out = Buffer.allocUnsafe(msg.length + extra);
  let o = 0;
  pos = 0;
  while (pos < msg.length) {
    if (msg[pos] === 0x2e) out[o++] = 0x2e;
    const lf = msg.indexOf(0x0a, pos);
    const end = lf < 0 ? msg.length : lf;
    const textEnd = end > pos && msg[end - 1] === 0x0d ? end - 1 : end;
    o += msg.copy(out, o, pos, textEnd);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
    pos = end + 1;
  }
  return out.subarray(0, o);
}
