// The multipart/alternative entity of a text and an HTML version (UTF-8, base64): what a :mime vacation reason
// is, whether it comes from the rules store or from a JMAP VacationResponse. Pure; it never sends anything.
import { randomBytes } from 'node:crypto';

/** base64 in lines of 76 characters, CRLF between them (none after the last). */
function base64Lines(s: string): string {
  return (Buffer.from(s, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** A multipart/alternative MIME entity: the text part, then the HTML part. The boundary ("=_" starts it) cannot
 * stand in base64 content. */
export function alternativeEntity(text: string, html: string): string {
  const boundary = `=_tegami_${randomBytes(12).toString('hex')}`;
  const part = (type: string, body: string) => [`--${boundary}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)];
  return [`Content-Type: multipart/alternative; boundary="${boundary}"`, '', ...part('text/plain', text), ...part('text/html', html), `--${boundary}--`, ''].join('\r\n');
}
