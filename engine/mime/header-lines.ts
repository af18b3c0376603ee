// The lines of a message's header section, counted as the message streams in (SMTP DATA, submissions), so a
// header of absurd length is refused before anything parses it. mailauth (DKIM, ARC, DMARC on arrival; DKIM
// signing on the way out) joins folded lines with an array copy and a splice per line, which costs the square of
// the line count: 1 MB of folded header (262,000 lines) kept a delivery worker busy for six and a half minutes
// (docs/security-review-6.md, finding 2). Real headers are hundreds of lines; Exim refuses past its header_maxsize.
export const MAX_HEADER_LINES = 10_000;

export class HeaderLineCount {
  /** Lines of the header section seen so far (a folded field counts each of its lines). */
  lines = 0;
  /** The header section ended (its blank line was seen) or passed the limit: nothing more is scanned. */
  private done = false;
  /** The current line has a byte other than CR: it is not the blank line that ends the header section. */
  private content = false;

  constructor(private readonly max = MAX_HEADER_LINES) {}

  /** The header section has more lines than the limit. */
  get over(): boolean {
    return this.lines > this.max;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    while (!this.done && i < chunk.length) {
      const nl = chunk.indexOf(0x0a, i);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.content) {
        // a line of nothing but CRs is the blank line too (as readHeaderSection reads it)
        let j = i;
        while (j < end && chunk[j] === 0x0d) j++;
        if (j < end) this.content = true;
      }
      if (nl < 0) return;
      if (!this.content) this.done = true; // the blank line: the body follows
      else if (++this.lines > this.max) this.done = true;
      this.content = false;
      i = nl + 1;
    }
  }
}
