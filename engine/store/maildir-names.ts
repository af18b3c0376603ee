// Folder names on disk: Maildir++ directories (".Spam", "a/b" → ".a.b") with non-ASCII names in IMAP's
// modified UTF-7 (RFC 3501 §5.1.3), as Dovecot stores them, so it can read the same tree.
// It never creates or removes directories.

/** API name ("Archive/2024", "INBOX") → the name part after the leading dot (Archive.2024), or null if not storable. */
export function encodeFolder(folder: string): string | null {
  const parts = folder.split('/');
  if (parts.some((p) => p === '' || p.includes('.') || /[\0-\x1f\x7f\\]/.test(p))) return null;
  return parts.map(encodeMutf7).join('.');
}

/** ".Archive.2024" directory name (without the dot) → "Archive/2024". */
export function decodeFolder(dirName: string): string {
  return dirName.split('.').map(decodeMutf7).join('/');
}

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

export function decodeMutf7(s: string): string {
  return s.replace(/&([^-]*)-/g, (_m, b64: string) => {
    if (b64 === '') return '&';
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    let r = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) r += String.fromCharCode(bytes.readUInt16BE(i));
    return r;
  });
}
