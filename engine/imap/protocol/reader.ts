// Frames the client's byte stream into IMAP commands: CRLF lines joined by {n} / {n+} literals, with every
// size bounded (line, literal, whole command) by limits that may follow the session's state (far smaller
// before login). A literal too big for memory goes to a sink the session provides (a file), fed only as fast
// as the sink takes it, so the socket's read pause holds. It never interprets a command and never writes to
// the socket; it only says when a synchronizing literal waits for "+" so the session can send it.

export interface ReaderLimits {
  maxLine: number;
  /** Largest literal held in memory. */
  maxLiteral: number;
  /** All lines and in-memory literals of one command together. */
  maxCommand: number;
}

/** Where a literal too large for memory goes as it arrives; the reader only feeds it or drops it. */
export interface LiteralSink {
  readonly size: number;
  /** Full: the reader stops feeding it (and so stops consuming input) until it has written some out. */
  readonly full: boolean;
  write(chunk: Buffer): void;
  /** Throw the bytes away (command refused or finished, connection gone); safe to call more than once. */
  discard(): void;
}

/** What to do with a literal above the memory limits: stream it into a sink, or refuse it with this text. */
export type Spill = { sink: LiteralSink } | { refuse: string };

export interface ReaderOptions {
  /** The limits in force now. */
  limits: () => ReaderLimits;
  /** Asked about a literal above the memory limits (with the command's first line); null refuses it. */
  spill?: (firstLine: Buffer, size: number, alreadySpilled: boolean) => Spill | null;
}

export type Segment = { kind: 'line'; data: Buffer } | { kind: 'literal'; data: Buffer } | { kind: 'spooled'; sink: LiteralSink };

export type ReaderEvent =
  | { kind: 'command'; segments: Segment[]; bytes: number }
  /** A raw line (IDLE's DONE, an AUTHENTICATE response). */
  | { kind: 'line'; data: Buffer }
  /** The command was refused while framing; the session answers BAD/NO with the tag and goes on (or closes when fatal). */
  | { kind: 'error'; tag?: string; text: string; code?: string; fatal: boolean };

export type ReadMode = 'command' | 'line';

/** Drop the spooled literals of a command once it has been handled (what the store took is already moved). */
export function discardSpooled(ev: ReaderEvent | null): void {
  if (ev?.kind === 'command') for (const s of ev.segments) if (s.kind === 'spooled') s.sink.discard();
}

export class CommandReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private segments: Segment[] = [];
  private commandBytes = 0;
  /** Bytes still expected for the current literal; -1 while reading a line. */
  private literalLeft = -1;
  private literalParts: Buffer[] = [];
  /** The current literal goes here instead of literalParts. */
  private sink: LiteralSink | null = null;
  /** Discarding input until the next CRLF after an overlong line. */
  private skipping = false;
  /** The last octets discarded, to see whether the overlong line announced a non-synchronizing literal. */
  private skipTail = Buffer.alloc(0);
  private skipError: ReaderEvent | null = null;
  /** A synchronizing literal waits for the server's "+". */
  continuationWanted = false;
  /** Lines and literals completed so far: tells a session's deadline clock that the awaited segment changed. */
  private completed = 0;

  private readonly opts: ReaderOptions;

  constructor(opts: ReaderLimits | ReaderOptions) {
    this.opts = 'limits' in opts ? opts : { limits: () => opts };
  }

  private get limits(): ReaderLimits {
    return this.opts.limits();
  }

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
      const lit = /\{(\d{1,20})(\+?)\}$/.exec(line.toString('latin1', Math.max(0, line.length - 24)));
      if (this.commandBytes > this.limits.maxCommand) {
        const tag = this.tagOf(line);
        this.resetCommand();
        // a non-synchronizing literal announced on this line is on its way and would be read as commands
        return { kind: 'error', tag, text: 'Command too long', code: 'TOOBIG', fatal: lit?.[2] === '+' };
      }
      if (!lit) {
        this.segments.push({ kind: 'line', data: line });
        const ev: ReaderEvent = { kind: 'command', segments: this.segments, bytes: this.commandBytes };
        this.segments = [];
        this.commandBytes = 0;
        return ev;
      }
      const size = Number(lit[1]);
      const sync = lit[2] !== '+';
      const limits = this.limits;
      let sink: LiteralSink | null = null;
      if (size > limits.maxLiteral || this.commandBytes + size > limits.maxCommand) {
        const spill = this.opts.spill?.(this.firstLine(line), size, this.segments.some((s) => s.kind === 'spooled')) ?? null;
        if (!spill || 'refuse' in spill) {
          const tag = this.tagOf(line);
          this.resetCommand();
          const text = spill?.refuse ?? `Literal too large (at most ${limits.maxLiteral} octets here)`;
          if (sync) return { kind: 'error', tag, text, code: 'TOOBIG', fatal: false };
          // its bytes are already on the way and cannot be told from commands: end the connection (RFC 7888 §4)
          return { kind: 'error', tag, text: `Non-synchronizing literal too large: ${text}`, code: 'TOOBIG', fatal: true };
        }
        sink = spill.sink;
      }
      this.segments.push({ kind: 'line', data: line });
      this.literalLeft = size;
      this.literalParts = [];
      this.sink = sink;
      if (!sink) this.commandBytes += size;
      if (sync) this.continuationWanted = true;
    }
  }

  private resetCommand(): void {
    discardSpooled({ kind: 'command', segments: this.segments, bytes: 0 });
    this.sink?.discard();
    this.sink = null;
    this.segments = [];
    this.commandBytes = 0;
    this.literalLeft = -1;
    this.literalParts = [];
    this.continuationWanted = false;
  }

  /** The command's first line (segments always start with a line), or `line` when it is the first. */
  private firstLine(line: Buffer): Buffer {
    const s = this.segments[0];
    return s?.kind === 'line' ? s.data : line;
  }

  private tagOf(line: Buffer): string | undefined {
    const first = this.firstLine(line);
    const m = /^([^\s(){%*"\\\]]+) /.exec(first.toString('latin1', 0, Math.min(first.length, 100)));
    return m ? m[1] : undefined;
  }

  private readLiteral(): boolean {
    while (this.literalLeft > 0 && this.chunks.length) {
      if (this.sink?.full) return false; // the socket's pause holds: bytes stay counted in `buffered`
      const c = this.chunks[0];
      let piece: Buffer;
      if (c.length <= this.literalLeft) {
        piece = c;
        this.chunks.shift();
      } else {
        piece = c.subarray(0, this.literalLeft);
        this.chunks[0] = c.subarray(this.literalLeft);
      }
      this.literalLeft -= piece.length;
      this.buffered -= piece.length;
      if (this.sink) this.sink.write(piece);
      else this.literalParts.push(piece);
    }
    if (this.literalLeft > 0) return false;
    this.completed++;
    if (this.sink) this.segments.push({ kind: 'spooled', sink: this.sink });
    else this.segments.push({ kind: 'literal', data: this.literalParts.length === 1 ? this.literalParts[0] : Buffer.concat(this.literalParts) });
    this.sink = null;
    this.literalParts = [];
    this.literalLeft = -1;
    this.continuationWanted = false;
    return true;
  }

  /** Keep the last octets of what is being discarded (each piece's own tail keeps the whole's tail). */
  private keepTail(bufs: Buffer[]): void {
    const t = Buffer.concat([this.skipTail, ...bufs.map((b) => b.subarray(Math.max(0, b.length - 32)))]);
    this.skipTail = t.subarray(Math.max(0, t.length - 32));
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
            this.skipTail = Buffer.alloc(0);
          }
          this.keepTail(this.chunks.slice(0, i + 1));
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
        this.keepTail(parts);
        if (this.skipError?.kind === 'error' && announcesPlusLiteral(this.skipTail)) this.skipError = { ...this.skipError, fatal: true };
        this.skipTail = Buffer.alloc(0);
        return 'skipped';
      }
      let line = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      if (line.length - 1 > this.limits.maxLine) {
        this.skipError = { kind: 'error', tag: this.tagOf(line), text: 'Line too long', code: 'TOOBIG', fatal: announcesPlusLiteral(line) };
        this.resetCommand();
        return 'skipped';
      }
      line = line.subarray(0, line.length - (line.length >= 2 && line[line.length - 2] === 13 ? 2 : 1));
      return line;
    }
    return null;
  }
}

/** Does a line (with its line end) announce a non-synchronizing literal, whose octets follow without a "+"? */
function announcesPlusLiteral(lineWithEnd: Buffer): boolean {
  return /\{\d{1,20}\+\}\r?\n$/.test(lineWithEnd.toString('latin1', Math.max(0, lineWithEnd.length - 32)));
}
