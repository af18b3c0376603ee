// Builds one raw RFC 5322 message for the lab's Japanese corpora: a text part, an HTML part or both, in
// ISO-2022-JP, Shift_JIS, EUC-JP or UTF-8, 7bit/8bit/base64/quoted-printable as real mailers send them, with
// RFC 2047 Subject and From. Pure; only example and real public domains in addresses the caller gives.
import { encodeCharset, encodeWords, type JpCharset } from './japanese.js';

export interface MailSpec {
  id: string;
  from: string;
  fromName?: string;
  to?: string;
  subject: string;
  text?: string;
  html?: string;
  charset: JpCharset;
  /** Transfer encoding of 8-bit charsets (ISO-2022-JP is always 7bit). */
  transfer?: '8bit' | 'base64' | 'quoted-printable';
  date?: string;
  /** Extra header lines (List-Id, Reply-To…). */
  headers?: string[];
  /** Subject written as raw 8-bit bytes instead of encoded-words (what some bulk tools do). */
  rawSubject?: boolean;
}

function qp(bytes: Buffer): string {
  let out = '';
  let line = '';
  for (const b of bytes) {
    const enc = b === 0x0a ? '\n' : b === 0x0d ? '' : (b >= 0x21 && b <= 0x7e && b !== 0x3d) || b === 0x20 ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0');
    if (enc === '\n') {
      out += line + '\r\n';
      line = '';
      continue;
    }
    if (line.length + enc.length > 75) {
      out += line + '=\r\n';
      line = '';
    }
    line += enc;
  }
  return out + line + (line ? '\r\n' : '');
}

function part(content: string, type: string, cs: JpCharset, transfer: MailSpec['transfer']): string {
  const bytes = encodeCharset(content.replace(/\r?\n/g, '\r\n'), cs);
  const cte = cs === 'ISO-2022-JP' ? '7bit' : (transfer ?? '8bit');
  const body = cte === 'base64' ? bytes.toString('base64').replace(/.{1,76}/g, '$&\r\n') : cte === 'quoted-printable' ? qp(bytes) : bytes.toString('latin1');
  return `Content-Type: ${type}; charset=${cs}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`;
}

export function buildMail(m: MailSpec): Buffer {
  const cs = m.charset;
  let mime: string;
  if (m.text !== undefined && m.html !== undefined) {
    const b = `=_part_${m.id.replace(/[^a-z0-9]/gi, '')}`;
    mime = `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${part(m.text, 'text/plain', cs, m.transfer)}--${b}\r\n${part(m.html, 'text/html', cs, m.transfer)}--${b}--\r\n`;
  } else if (m.html !== undefined) mime = part(m.html, 'text/html', cs, m.transfer);
  else mime = part(m.text ?? '', 'text/plain', cs, m.transfer);
  const subject = m.rawSubject ? encodeCharset(m.subject, cs === 'ISO-2022-JP' ? 'Shift_JIS' : cs).toString('latin1') : encodeWords(m.subject, cs);
  const head = [
    `From: ${m.fromName ? `${encodeWords(m.fromName, cs)} ` : ''}<${m.from}>`,
    `To: ${m.to ?? 'user@tegami.test'}`,
    `Subject: ${subject}`,
    `Date: ${m.date ?? 'Tue, 03 Jun 2025 09:30:00 +0900'}`,
    `Message-ID: <${m.id}@${m.from.split('@')[1] ?? 'lab.example.test'}>`,
    'MIME-Version: 1.0',
    ...(m.headers ?? []),
    `X-Lab-Corpus-Id: ${m.id}`,
  ].join('\r\n');
  return Buffer.from(`${head}\r\n${mime}`, 'latin1');
}
