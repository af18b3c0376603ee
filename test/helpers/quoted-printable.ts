// Quoted-printable as a mailer writes it (RFC 2045 §6.7): "=XX" for every octet outside printable ASCII, "=" and
// spaces escaped, CRLF kept as line ends, soft breaks before 76 characters. For tests that need encoded parts.

export function quotedPrintable(b: Buffer): string {
  let out = '';
  let line = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x0d && b[i + 1] === 0x0a) {
      out += '\r\n';
      line = 0;
      i++;
      continue;
    }
    const t = c >= 0x21 && c <= 0x7e && c !== 0x3d ? String.fromCharCode(c) : `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line + t.length > 75) {
      out += '=\r\n';
      line = 0;
    }
    out += t;
    line += t.length;
  }
  return out;
}
