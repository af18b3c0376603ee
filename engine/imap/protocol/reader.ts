// Frames the client's byte stream into IMAP commands: CRLF lines joined by {n} / {n+} literals, with every
// size bounded (line, literal, whole command). It never interprets a command and never writes to the socket;
// it only says when a synchronizing literal waits for "+" so the session can send it between responses.

export interface ReaderLimits {
  maxLine: number;
  maxLiteral: number;
  /** All lines and literals of one command together. */
  maxCommand: number;
}

export type Segment = { kind: 'line'; data: Buffer } | { kind: 'literal'; data: Buffer };

export type ReaderEvent =
  | { kind: 'command'; segments: Segment[]; bytes: number }
  /** A raw line (IDLE's DONE, an AUTHENTICATE response). */
  | { kind: 'line'; data: Buffer }
  /** The command was refused while framing; the session answers BAD/NO with the tag and goes on (or closes when fatal). */
  | { kind: 'error'; tag?: string; text: string; code?: string; fatal: boolean };

export type ReadMode = 'command' | 'line';

export class CommandReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private segments: Segment[] = [];
  private commandBytes = 0;
  /** Bytes still expected for the current literal; -1 while reading a line. */
  private literalLeft = -1;
  private literalParts: Buffer[] = [];
  /** Discarding input until the next CRLF after an overlong line. */
  private skipping = false;
  private skipError: ReaderEvent | null = null;
  /** A synchronizing literal waits for the server's "+". */
  continuationWanted = false;
  /** Lines and literals completed so far: tells a session's deadline clock that the awaited segment changed. */
  private completed = 0;

  constructor(private readonly limits: ReaderLimits) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * What the reader still waits for after take() returned null: the rest of a line some bytes of which have
   * arrived (or that is being discarded as overlong), an announced literal, or nothing (null). `seq` changes
   * whenever a line or literal completes, so a session can time each one from when it began to be awaited.
   */
  waitingFor(): { kind: 'line' | 'literal'; seq: number } | null {
    if (this.literalLeft >= 0) return { kind: 'literal', seq: this.completed };
    if (this.buffered > 0 || this.skipping) return { kind: 'line', seq: this.completed };
    return null;
  }

  /** Drop everything not yet read (after STARTTLS: no plaintext may survive into the TLS session). */
  discardBuffered(): void {
    this.chunks = [];
    this.buffered = 0;
    this.resetCommand();
  }

  /** Next complete event, or null when more input is needed. */
  take(mode: ReadMode): ReaderEvent | null {
    for (;;) {
      if (this.literalLeft >= 0) {
        if (!this.readLiteral()) return null;
        continue;
      }
      const line = this.readLine();
      if (line === null) return null;
      if (line === 'skipped') {
        const e = this.skipError;
        this.skipError = null;
        if (e) return e;
        continue;
      }
      if (mode === 'line') return { kind: 'line', data: line };
      this.commandBytes += line.length;
      if (this.commandBytes > this.limits.maxCommand) {
        const tag = this.tagOf(line);
        this.resetCommand();
        return { kind: 'error', tag, text: 'Command too long', code: 'TOOBIG', fatal: false };
      }
      const lit = /\{(\d{1,20})(\+?)\}$/.exec(line.toString('latin1', Math.max(0, line.length - 24)));
      if (!lit) {
        this.segments.push({ kind: 'line', data: line });
        const ev: ReaderEvent = { kind: 'command', segments: this.segments, bytes: this.commandBytes };
        this.segments = [];
        this.commandBytes = 0;
        return ev;
      }
      const size = Number(lit[1]);
      const sync = lit[2] !== '+';
      if (size > this.limits.maxLiteral || this.commandBytes + size > this.limits.maxCommand) {
        const tag = this.tagOf(line);
        this.resetCommand();
        if (sync) return { kind: 'error', tag, text: `Literal too large (at most ${this.limits.maxLiteral} octets)`, code: 'TOOBIG', fatal: false };
        return { kind: 'error', tag, text: 'Non-synchronizing literal too large', code: 'TOOBIG', fatal: true };
      }
      this.segments.push({ kind: 'line', data: line });
      this.literalLeft = size;
      this.literalParts = [];
      this.commandBytes += size;
      if (sync) this.continuationWanted = true;
    }
  }

  private resetCommand(): void {
    this.segments = [];
    this.commandBytes = 0;
    this.literalLeft = -1;
    this.literalParts = [];
    this.continuationWanted = false;
  }

  private tagOf(line: Buffer): string | undefined {
    const first = this.segments.length ? this.segments[0].data : line;
    const m = /^([^\s(){%*"\\\]]+) /.exec(first.toString('latin1', 0, Math.min(first.length, 100)));
    return m ? m[1] : undefined;
  }

  private readLiteral(): boolean {
    while (this.literalLeft > 0 && this.chunks.length) {
      const c = this.chunks[0];
      if (c.length <= this.literalLeft) {
        this.literalParts.push(c);
        this.chunks.shift();
        this.literalLeft -= c.length;
        this.buffered -= c.length;
      } else {
        this.literalParts.push(c.subarray(0, this.literalLeft));
        this.chunks[0] = c.subarray(this.literalLeft);
        this.buffered -= this.literalLeft;
        this.literalLeft = 0;
      }
    }
    if (this.literalLeft > 0) return false;
    this.completed++;
    this.segments.push({ kind: 'literal', data: this.literalParts.length === 1 ? this.literalParts[0] : Buffer.concat(this.literalParts) });
    this.literalParts = [];
    this.literalLeft = -1;
    this.continuationWanted = false;
    return true;
  }

  /** A line without its CRLF (a bare LF also ends a line), 'skipped' after an overlong line, or null. */
  private readLine(): Buffer | 'skipped' | null {
    let scanned = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      const nl = c.indexOf(10);
      if (nl < 0) {
        scanned += c.length;
        if (scanned > this.limits.maxLine) {
          // drop what we have, keep discarding until the end of this line
          if (!this.skipping) {
            this.skipError = { kind: 'error', tag: this.tagOf(this.chunks[0]), text: 'Line too long', code: 'TOOBIG', fatal: false };
            this.resetCommand();
          }
          this.chunks = this.chunks.slice(i + 1);
          this.buffered -= scanned;
          this.skipping = true;
          i = -1;
          scanned = 0;
        }
        continue;
      }
      const total = scanned + nl + 1;
      const parts = this.chunks.slice(0, i);
      parts.push(c.subarray(0, nl + 1));
      this.chunks = this.chunks.slice(i + 1);
      if (nl + 1 < c.length) this.chunks.unshift(c.subarray(nl + 1));
      this.buffered -= total;
      this.completed++;
      if (this.skipping) {
        this.skipping = false;
        return 'skipped';
      }
      let line = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      if (line.length - 1 > this.limits.maxLine) {
        this.skipError = { kind: 'error', tag: this.tagOf(line), text: 'Line too long', code: 'TOOBIG', fatal: false };
        this.resetCommand();
        return 'skipped';
      }
      line = line.subarray(0, line.length - (line.length >= 2 && line[line.length - 2] === 13 ? 2 : 1));
      return line;
    }
    return null;
  }
}
