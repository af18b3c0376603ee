// Writes responses to the socket with backpressure: small pieces are gathered into one write, large literals go
// out in slices, byte ranges of a stored message are read in chunks as they are sent, and whenever more than
// HIGH_WATER octets wait in the socket it waits for 'drain'. It never holds more than one chunk of a message
// body beyond what the socket holds, and never builds a whole response of a large message in memory.
import type { Response } from './response.js';

/** What the writer needs from a session. */
export interface Output {
  readonly socket: { readonly writableLength: number };
  writeRaw(data: Buffer): void;
  /** Resolves when the socket's buffer has drained (or the connection is gone). */
  drain(): Promise<void>;
  isClosed(): boolean;
}

/** Octets waiting in the socket above which the writer stops until it drains. */
export const HIGH_WATER = 256 * 1024;
/** Small pieces are gathered up to this many octets per socket write (fewer syscalls for 10,000 short answers). */
export const GATHER = 64 * 1024;
const CHUNK = 64 * 1024;
/** Milliseconds of writing after which a long response lets the event loop serve other connections once. */
const YIELD_MS = 10;

/** Reading a message failed after its literal's size was sent: the connection cannot go on. */
export class StreamBroken extends Error {}

export class ResponseWriter {
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  /** Protocol text (latin1: one char per octet) not yet turned into a Buffer; it goes before anything later. */
  private text = '';

  constructor(
    private readonly out: Output,
    /** Milliseconds, monotonic (tests give their own). */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastYield = now();
  }

  /** Send protocol text (latin1), gathered with what comes next: the cheap path of responses without literals. */
  line(latin1: string): Promise<void> | undefined {
    this.text += latin1;
    return this.text.length >= GATHER ? this.flush() : undefined;
  }

  /** Send text and whole buffers (no byte ranges) gathered like line(): cached renderings beside protocol text. */
  parts(parts: (string | Buffer)[]): Promise<void> | undefined {
    for (const p of parts) {
      if (typeof p === 'string') this.text += p;
      else {
        this.takeText();
        this.gathered.push(p);
        this.gatheredBytes += p.length;
      }
    }
    return this.text.length + this.gatheredBytes >= GATHER ? this.flush() : undefined;
  }

  private takeText(): void {
    if (!this.text) return;
    const b = Buffer.from(this.text, 'latin1');
    this.text = '';
    this.gathered.push(b);
    this.gatheredBytes += b.length;
  }

  /** Send one response (a CRLF is not added). Throws StreamBroken when a range could not be read whole. */
  async write(r: Response): Promise<void> {
    this.takeText();
    for (const p of r.pieces()) {
      if (this.out.isClosed()) return;
      if (Buffer.isBuffer(p)) {
        if (p.length <= GATHER) {
          this.gathered.push(p);
          this.gatheredBytes += p.length;
          if (this.gatheredBytes >= GATHER) await this.flush();
          continue;
        }
        await this.flush();
        for (let i = 0; i < p.length && !this.out.isClosed(); i += CHUNK) {
          this.out.writeRaw(p.subarray(i, i + CHUNK));
          await this.room();
        }
        continue;
      }
      await this.flush();
      for (let pos = p.start; pos < p.end && !this.out.isClosed(); ) {
        const n = Math.min(CHUNK, p.end - pos);
        let chunk: Buffer;
        try {
          chunk = await p.source.read(pos, n);
        } catch (e) {
          throw new StreamBroken(`reading the message failed at octet ${pos}: ${(e as Error).message}`);
        }
        if (chunk.length !== n) throw new StreamBroken(`the message ended at octet ${pos + chunk.length}, ${p.end} announced`);
        this.out.writeRaw(chunk);
        pos += n;
        await this.room();
      }
    }
  }

  /** Send what is gathered. */
  async flush(): Promise<void> {
    this.takeText();
    if (!this.gathered.length) return;
    const b = this.gathered.length === 1 ? this.gathered[0] : Buffer.concat(this.gathered);
    this.gathered = [];
    this.gatheredBytes = 0;
    this.out.writeRaw(b);
    await this.room();
  }

  /** When this writer last let the event loop run (a drain waited for, or a turn given up below). */
  private lastYield: number;

  /**
   * Wait for the socket to drain past HIGH_WATER; else, after YIELD_MS of work since the last wait, give up the turn
   * once. A client that reads as fast as it is written never fills the socket, and FETCH answers a listed or cached
   * message without a promise to wait for: FETCH 1:* of 30,000 messages held every listener of the node 0.8–2 s
   * (security review 9); now other sessions are served between its writes.
   */
  private async room(): Promise<void> {
    if (this.out.socket.writableLength > HIGH_WATER) await this.out.drain();
    else if (this.now() - this.lastYield > YIELD_MS) await new Promise<void>((resolve) => setImmediate(resolve));
    else return;
    this.lastYield = this.now();
  }
}
