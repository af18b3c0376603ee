// MIME parameter values as a reader sees them: RFC 2231 continuations ("name*0*=", "name*1=") and charset-tagged
// values (name*=ISO-2022-JP''%1B%24B...), RFC 2047 encoded-words in a plain value (what Japanese mailers write),
// and raw 8-bit bytes (Shift_JIS file names) — all through the project's charset decoder. Never throws.
import { decodeBytes, decodeHeaderValue } from '../../mime/charset.js';

/** The decoded value of parameter `name` among a part's parameters (names lower-case, values latin1 text). */
export function paramValue(params: [string, string][], name: string): string | null {
  const plain = params.find((p) => p[0] === name);
  const ext = params.find((p) => p[0] === `${name}*`);
  if (ext) return extended([ext[1]], true);
  // continuations: name*0, name*0*, name*1 ... in order; each may be extended (with *) or not
  const sections: { n: number; value: string; encoded: boolean }[] = [];
  for (const [k, v] of params) {
    const m = /^(.+)\*(\d{1,3})(\*?)$/.exec(k);
    if (m && m[1] === name) sections.push({ n: Number(m[2]), value: v, encoded: m[3] === '*' });
  }
  if (sections.length) {
    sections.sort((a, b) => a.n - b.n);
    return continued(sections);
  }
  if (plain) return plainValue(plain[1]);
  return null;
}

/** A plain (not RFC 2231) value: encoded-words decoded, raw 8-bit or JIS bytes detected. */
function plainValue(v: string): string {
  return decodeHeaderValue(v).text.normalize('NFC');
}

function percentBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/** charset'language'percent-encoded → text. */
function extended(values: string[], first: boolean): string {
  const joined = values.join('');
  const m = first ? /^([^']*)'[^']*'(.*)$/s.exec(joined) : null;
  const charset = m ? m[1] : undefined;
  const data = m ? m[2] : joined;
  return decodeBytes(percentBytes(data), charset || undefined).text.normalize('NFC');
}

function continued(sections: { value: string; encoded: boolean }[]): string {
  // the charset is given once, in the first section; encoded sections are percent-decoded to bytes,
  // plain ones taken as they are, and the bytes of the whole value decoded together
  let charset: string | undefined;
  const bytes: Buffer[] = [];
  sections.forEach((s, i) => {
    let v = s.value;
    if (s.encoded) {
      if (i === 0) {
        const m = /^([^']*)'[^']*'(.*)$/s.exec(v);
        if (m) {
          charset = m[1] || undefined;
          v = m[2];
        }
      }
      bytes.push(percentBytes(v));
    } else bytes.push(Buffer.from(v, 'latin1'));
  });
  const all = Buffer.concat(bytes);
  if (!sections[0].encoded) return plainValue(all.toString('latin1'));
  return decodeBytes(all, charset).text.normalize('NFC');
}
