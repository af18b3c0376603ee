// Splits a POP3 client's byte stream into command lines, each bounded in length (RFC 2449: 255 octets
// for a command; more while a SASL exchange is under way). An overlong line is dropped whole and reported,
// never buffered; a NUL is reported too. It never interprets a command and keeps no time: the session's
// FramedSocket times a partial line (see `waitingFor`).

export type Line = { kind: 'line'; text: string } | { kind: 'too-long' } | { kind: 'nul' };

export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private discarding = false;
  /** Lines completed so far: tells the deadline clock that the line awaited is a new one. */
  private completed = 0;
  /** Octets a line may have, its CRLF included. */
  maxLine = 255;

  /** Feed bytes; returns the complete lines they finish. */
  push(chunk: Buffer): Line[] {
    const out: Line[] = [];
    let data = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const lf = data.indexOf(0x0a, start);
      if (lf < 0) break;
      const raw = data.subarray(start, lf);
      start = lf + 1;
      this.completed++;
      if (this.discarding) {
        this.discarding = false;
        out.push({ kind: 'too-long' });
        continue;
      }
      if (raw.length + 1 > this.maxLine) {
        out.push({ kind: 'too-long' });
        continue;
      }
      const line = raw.length && raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw;
      if (line.includes(0)) out.push({ kind: 'nul' });
      else out.push({ kind: 'line', text: line.toString('utf8') });
    }
    data = data.subarray(start);
    if (data.length >= this.maxLine) {
      // no end of line within the limit: drop what we have and everything up to the next LF
      this.discarding = true;
      data = Buffer.alloc(0);
    }
    this.buf = data.length ? Buffer.from(data) : Buffer.alloc(0);
    return out;
  }

  /** Part of a line has arrived and its end has not (also while an overlong line is being discarded). */
  get partial(): boolean {
    return this.buf.length > 0 || this.discarding;
  }

  /** The rest of a line some bytes of which have arrived (or that is being discarded), or null between lines. */
  waitingFor(): { kind: 'line'; seq: number } | null {
    return this.partial ? { kind: 'line', seq: this.completed } : null;
  }

  /** Forget buffered input (after STLS, pipelined plaintext must not survive into the TLS session). */
  discardBuffered(): void {
    this.buf = Buffer.alloc(0);
    this.discarding = false;
  }
}
