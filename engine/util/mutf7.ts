// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3): "日本語" ⇄ "&ZeVnLIqe-". The store keeps
// Unicode names; the IMAP wire and Maildir++ directory names (as Dovecot writes them) use this.
// Decoding a malformed name returns null, never throws.

export function encodeMutf7(s: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = () => {
    if (!pending.length) return;
    const bytes = Buffer.alloc(pending.length * 2);
    pending.forEach((u, i) => bytes.writeUInt16BE(u, i * 2));
    out += '&' + bytes.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
    pending = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? '&-' : s[i];
    } else {
      pending.push(c);
    }
  }
  flush();
  return out;
}

export function decodeMutf7(s: string): string | null {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      // not 7-bit: accept UTF-8 names from clients that send them raw
      out += ch;
      continue;
    }
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = s.indexOf('-', i + 1);
    if (end < 0) return null;
    const b64 = s.slice(i + 1, end);
    i = end;
    if (!b64) {
      out += '&';
      continue;
    }
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) return null;
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    if (bytes.length % 2) return null;
    for (let j = 0; j < bytes.length; j += 2) out += String.fromCharCode(bytes.readUInt16BE(j));
  }
  return out;
}
