// The lines of a message's header section, counted as the message streams in (SMTP DATA, submissions), so a
// header of absurd length is refused before anything parses it. mailauth (DKIM, ARC, DMARC on arrival; DKIM
// signing on the way out) joins folded lines with an array copy and a splice per line, which costs the square of
// the line count: 1 MB of folded header (262,000 lines) kept a delivery worker busy for six and a half minutes
// (docs/security-review-6.md, finding 2). Real headers are hundreds of lines; Exim refuses past its header_maxsize.
export const MAX_HEADER_LINES = 10_000;
/** The octets of one header field, its folded lines together (line ends not counted). RFC 5322 §2.1.1 limits a
 * line to 998 octets but a folded field has no limit; Postfix keeps 100 KiB of a header (header_size_limit), Exim
 * refuses a header section past 1 MiB. One Subject line of 700,000 RFC 2047 encoded-words (12 MB) passed the line
 * limit and cost seconds of a delivery worker in decoding (docs/security-review-6.md); 256 KiB is 15,000 such words,
 * some milliseconds, and far above any field a real client writes (a References: of 4,000 message-ids). */
export const MAX_HEADER_FIELD_OCTETS = 256 * 1024;
/**
 * The bounds every reader of a stored header applies (engine/imap/mime: scanKnown for a MIME part's known fields,
 * parseHeaders for whole headers, fieldValues and headerMatcher for SEARCH): at most MAX_HEADER_LINES lines, and a
 * value read to this many octets, one more than SMTP allows a field, so a reader sees that it was cut (envelope.ts
 * then leaves out the address the cut falls in). A message APPENDed over IMAP or put in the Maildir by another
 * program was never checked by SMTP; within these bounds it costs each reader no more than SMTP's largest header.
 */
export const FIELD_READ_OCTETS = MAX_HEADER_FIELD_OCTETS + 1;
/** Received: fields at or above which a message is taken to loop (RFC 5321 §6.3; Postfix's hopcount_limit is 50
 * too): refused at the end of DATA (554 5.4.6), failed after the 250 for the other ways in (workers/process.ts). */
export const MAX_HOPS = 50;
const RECEIVED = Buffer.from('received:');

export class HeaderLineCount {
  /** Lines of the header section seen so far (a folded field counts each of its lines). */
  lines = 0;
  /** The header section ended (its blank line was seen) or passed the limit: nothing more is scanned. */
  private done = false;
  /** The current line has a byte other than CR: it is not the blank line that ends the header section. */
  private content = false;

  /** The octets of the field being read so far (its folded lines together). */
  fieldOctets = 0;
  /** A header field had more than maxField octets. */
  fieldTooBig = false;
  /** `Received:` fields seen so far (the field name at the start of a line, any case). */
  received = 0;
  /** Octets of the current field's name matched against `received:` so far; -1: not that field. */
  private nameMatch = -1;
  /** The next byte begins a line. */
  private lineStart = true;
  /** The last byte seen on the current line is a CR (perhaps the CR of its CRLF, not counted). */
  private lastCr = false;

  constructor(
    private readonly max = MAX_HEADER_LINES,
    private readonly maxField = MAX_HEADER_FIELD_OCTETS,
  ) {}

  /** The header section has more lines than the limit. */
  get over(): boolean {
    return this.lines > this.max;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    while (!this.done && i < chunk.length) {
      const nl = chunk.indexOf(0x0a, i);
      const end = nl < 0 ? chunk.length : nl;
      if (this.lineStart && i < end) {
        this.lineStart = false;
        // a line that does not begin with white space begins a new field (RFC 5322 §2.2.3)
        if (chunk[i] !== 0x20 && chunk[i] !== 0x09) {
          this.fieldOctets = 0;
          this.nameMatch = 0;
        }
      }
      // the field name may be cut by a chunk's end: matched a byte at a time, carried over
      for (let k = i; this.nameMatch >= 0 && k < end; k++) {
        const c = chunk[k] >= 0x41 && chunk[k] <= 0x5a ? chunk[k] | 0x20 : chunk[k]; // A-Z in lower case
        if (c !== RECEIVED[this.nameMatch]) this.nameMatch = -1;
        else if (++this.nameMatch === RECEIVED.length) {
          this.received++;
          this.nameMatch = -1;
        }
      }
      if (end > i) {
        this.fieldOctets += end - i;
        this.lastCr = chunk[end - 1] === 0x0d;
      }
      if (this.fieldOctets - (this.lastCr ? 1 : 0) > this.maxField) {
        this.fieldTooBig = true;
        this.done = true;
        return;
      }
      if (!this.content) {
        // a line of nothing but CRs is the blank line too (as readHeaderSection reads it)
        let j = i;
        while (j < end && chunk[j] === 0x0d) j++;
        if (j < end) this.content = true;
      }
      if (nl < 0) return;
      if (this.lastCr) this.fieldOctets--; // the CR of CRLF is the line's end, not the field's
      this.lastCr = false;
      this.nameMatch = -1;
      this.lineStart = true;
      if (!this.content) this.done = true; // the blank line: the body follows
      else if (++this.lines > this.max) this.done = true;
      this.content = false;
      i = nl + 1;
    }
  }
}
