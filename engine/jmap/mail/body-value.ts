// A text part as a JMAP EmailBodyValue (RFC 8621 §4.1.4): transfer encoding, then charset (mislabelled Japanese
// detected), CRLF → LF, cut to maxBodyValueBytes. With a limit only the start of the part is decoded: as many
// stored octets as the limit can need, more only while what they give is not enough (a part of line breaks or
// escape sequences gives little text per octet), and never more than a bound times the limit. So the webmail's
// reading page and the preview cost work in proportion to what they show, not to the size of a stranger's part
// (docs/security-review-7.md, "Fixed after the review (stop 29)"). The cut never falls inside a base64 group, a
// quoted-printable escape or a character (engine/mime/char-boundary.ts), so the value is exactly the start of the
// whole part's text; the charset is chosen and `isEncodingProblem` judged on the decoded start only (docs/jmap.md).
import { decodeAs, decodeBytes, normaliseCharset } from '../../mime/charset.js';
import { charBoundary } from '../../mime/char-boundary.js';
import { CONTENT_TRANSFER_ENCODING } from '../../mime/known-fields.js';
import { decodeTransferPrefix } from '../../mime/text-decode.js';
import type { BodyPart } from './body-parts.js';

export interface BodyValue {
  value: string;
  isEncodingProblem: boolean;
  isTruncated: boolean;
}

const KNOWN_CTE = new Set(['', '7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

/** How many times the first guess of stored octets a value may read at most (doubling from it). */
const MAX_GROWTH = 8;

/** A text part decoded: transfer encoding, then charset, CRLF → LF; cut to `maxBytes` UTF-8 octets when above 0. */
export function bodyValue(raw: Buffer, part: BodyPart, maxBytes: number): BodyValue {
  const cte = (part.node.field(CONTENT_TRANSFER_ENCODING) ?? '').trim().toLowerCase();
  const body = raw.subarray(part.node.bodyStart, part.node.end);
  const html = part.type === 'text/html';
  const problem = (text: string) => !KNOWN_CTE.has(cte) || text.includes('\ufffd');
  // stored octets a value of maxBytes can need: quoted-printable spends up to three per octet, base64 four per three
  // (and an eighth more for the CRs of CRLF that the value leaves out and the line the cut falls in)
  const first = maxBytes > 0 ? Math.ceil((maxBytes + 1) * (cte === 'quoted-printable' ? 3 : cte === 'base64' ? 1.5 : 1) * 1.125) + 4096 : Infinity;
  for (let take = first; ; take *= 2) {
    const whole = take >= body.length;
    const text = whole ? decodeText(decodeTransferPrefix(body, cte, body.length), part.charset, true) : decodeText(decodeTransferPrefix(body, cte, take), part.charset, false);
    let value = text.replace(/\r\n?/g, '\n').replace(/\0/g, '');
    const isEncodingProblem = problem(value);
    if (maxBytes > 0 && Buffer.byteLength(value, 'utf8') > maxBytes) {
      value = truncateUtf8(value, maxBytes, html);
      return { value, isEncodingProblem, isTruncated: true };
    }
    // the whole part fits; or enough was read and it still gave less text than the limit: what it gave is the value
    if (whole || take >= first * MAX_GROWTH) return { value, isEncodingProblem, isTruncated: !whole };
  }
}

/** Charsets whose octets below 0x80 are ASCII (or ISO-2022-JP's, where a line break ends any shift). */
const asciiLineBreaks = (label: string | undefined) => !label || !/^(utf-16|utf-32|ucs-)/.test(label);

/**
 * Decoded octets as text. When they are only the start of the part (`whole` false), they end on a character
 * boundary before the charset is chosen (a character cut in two would make valid UTF-8 or Shift_JIS look like
 * something else): after their last line break when that is in their second half (a line break is a character of
 * its own in every charset the detection may choose), else where charBoundary says for the declared charset (UTF-8
 * when none), and again for the charset used when the bytes made the decoder choose another.
 */
function decodeText(bytes: Buffer, declared: string | null, whole: boolean): string {
  const cs = declared ?? undefined;
  if (whole) return decodeBytes(bytes, cs).text;
  const label = normaliseCharset(cs);
  const nl = asciiLineBreaks(label) ? bytes.lastIndexOf(0x0a) : -1;
  if (nl >= 0 && nl >= bytes.length >> 1) return decodeBytes(bytes.subarray(0, nl + 1), cs).text;
  const head = bytes.subarray(0, charBoundary(bytes, label ?? 'utf-8'));
  const d = decodeBytes(head, cs);
  const end = d.charset === label ? head.length : charBoundary(head, d.charset);
  return end === head.length ? d.text : decodeAs(head.subarray(0, end), d.charset);
}

/** At most `max` UTF-8 octets, never mid-character, and (HTML) never inside a tag. */
export function truncateUtf8(s: string, max: number, html: boolean): string {
  // Found in one slice, not a character at a time (a 19 MB part held the main thread; docs/security-review-7.md):
  // at most `max` code units can fit, so only they are encoded; the cut goes back to the start of the character it
  // falls in, and that prefix's length in code units is the end (a lone surrogate is 3 octets and reads back as
  // one U+FFFD, a pair 4 and two units: the length is kept either way).
  const pre = s.length > max ? s.slice(0, max) : s;
  const buf = Buffer.from(pre, 'utf8');
  let end = pre.length;
  if (buf.length > max) {
    let cut = max;
    while (cut > 0 && (buf[cut] & 0xc0) === 0x80) cut--;
    end = buf.toString('utf8', 0, cut).length;
  }
  let out = s.slice(0, end);
  if (html) {
    const lt = out.lastIndexOf('<');
    if (lt >= 0 && out.indexOf('>', lt) < 0) out = out.slice(0, lt);
  }
  return out;
}
