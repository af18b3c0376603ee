// The message of one DATA: its bytes as they arrive, dot-unstuffed (RFC 5321 §4.5.2) on whole chunks with
// Buffer.indexOf, up to the final "CRLF.CRLF", handed to the policy as an async iterable. Bounded: past the size
// limit nothing more is kept (only counted), and while the reader is behind by more than HIGH_WATER the
// connection stops reading the socket. No stream object in between.

/** Bytes queued for a slow reader before the socket is paused. */
const HIGH_WATER = 256 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

/** The message as the policy reads it (the shape smtp-server's data stream had for it). */
export class MessageStream implements AsyncIterable<Buffer> {
  /** Message bytes received (after unstuffing), also those past the limit. */
  byteLength = 0;
  /** More than the size limit arrived: the message must be refused, and its end was not kept. */
  sizeExceeded = false;
  /** The final dot arrived. */
  writableEnded = false;
  destroyed = false;
  errored: Error | null = null;
  private queue: Buffer[] = [];
  private queued = 0;
  private waiter: (() => void) | null = null;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    /** Called with true when the reader is too far behind, with false when it caught up. */
    private readonly throttle: (pause: boolean) => void,
  ) {}

  /** Message bytes (from the reader below). */
  push(b: Buffer): void {
    if (b.length === 0 || this.destroyed) return;
    this.byteLength += b.length;
    if (this.maxBytes > 0 && this.byteLength > this.maxBytes) this.sizeExceeded = true;
    if (this.sizeExceeded || this.discarding) return;
    this.queue.push(b);
    this.queued += b.length;
    if (this.queued > HIGH_WATER) this.throttle(true);
    this.wake();
  }

  end(): void {
    this.writableEnded = true;
    this.wake();
  }

  /** Stops the message: the reader gets `err` (a deadline, a closed connection). */
  destroy(err?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.errored = err ?? null;
    this.drop();
    this.wake();
  }

  /** The reader is done with it: the rest is read and dropped (smtp-server's stream.resume()). */
  resume(): void {
    this.discarding = true;
    this.drop();
  }

  private drop(): void {
    this.queue = [];
    if (this.queued > HIGH_WATER) this.throttle(false);
    this.queued = 0;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.queue.length > 0) {
        const b = this.queue.shift()!;
        const before = this.queued;
        this.queued -= b.length;
        if (before > HIGH_WATER && this.queued <= HIGH_WATER) this.throttle(false);
        yield b;
        continue;
      }
      if (this.destroyed) throw this.errored ?? new Error('message stream destroyed');
      if (this.writableEnded) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/**
 * The DATA reader: feed it the bytes after the 354 as they come; it pushes the unstuffed message into `out`. Only
 * "CRLF.CRLF" ends the message (a dot line after a bare LF does not: no SMTP smuggling); a line that starts with
 * a dot loses that dot. It holds at most two bytes between chunks (".", ".\r" at a line start).
 */
export class DataReader {
  /** The two bytes before the next one (the message starts as if after a CRLF). */
  private before1 = LF;
  private before2 = CR;
  /** Bytes held from the end of the last chunk: a dot at a line start, maybe with its CR. */
  private held: Buffer | null = null;

  constructor(private readonly out: MessageStream) {}

  /** Reads `chunk` from `from`; returns the offset in `chunk` just past the final ".CRLF", or -1 when the message goes on. */
  feed(chunk: Buffer, from: number): number {
    let buf = chunk;
    let start = from;
    let shift = 0; // held bytes put in front of this chunk's unread part
    if (this.held) {
      shift = this.held.length;
      buf = Buffer.concat([this.held, chunk.subarray(from)]);
      start = 0;
      this.held = null;
    }
    const len = buf.length;
    let emit = start; // first byte not yet pushed
    let p = this.before1 === LF ? start : nextLineStart(buf, start);
    while (p >= 0 && p < len) {
      if (buf[p] !== DOT) {
        p = nextLineStart(buf, p);
        continue;
      }
      const b1 = p - 1 >= start ? buf[p - 1] : this.before1;
      const b2 = p - 2 >= start ? buf[p - 2] : p - 1 === start ? this.before1 : this.before2;
      if (p + 1 >= len || (buf[p + 1] === CR && p + 2 >= len)) {
        // a dot at a line start at the end of the chunk: the next bytes say what it is
        this.out.push(buf.subarray(emit, p));
        this.held = Buffer.from(buf.subarray(p));
        this.before1 = b1; // the bytes before the held dot
        this.before2 = b2;
        return -1;
      }
      if (buf[p + 1] === CR && buf[p + 2] === LF) {
        // CRLF.CRLF ends the message (the CRLF before the dot ends its last line); after a bare LF a line of
        // one dot is content, kept as it came (RFC 5321 §4.5.2 deletes a dot only before other characters)
        if (b2 === CR) {
          this.out.push(buf.subarray(emit, p));
          return shift ? from + p + 3 - shift : p + 3;
        }
        p = nextLineStart(buf, p);
        continue;
      }
      // a stuffed dot: drop it, the line goes on from the next byte
      this.out.push(buf.subarray(emit, p));
      emit = p + 1;
      p = nextLineStart(buf, p + 1);
    }
    this.out.push(buf.subarray(emit));
    if (len - start >= 2) {
      this.before2 = buf[len - 2];
      this.before1 = buf[len - 1];
    } else if (len - start === 1) {
      this.before2 = this.before1;
      this.before1 = buf[len - 1];
    }
    return -1;
  }
}

/** The offset after the next LF at or after `from`, or -1. */
function nextLineStart(buf: Buffer, from: number): number {
  const i = buf.indexOf(LF, from);
  return i < 0 ? -1 : i + 1;
}
