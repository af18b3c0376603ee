// Frames and tokenises what a ManageSieve client sends (RFC 5804 §4): a command is atoms, quoted strings and
// literals ({N+} as the RFC has clients send them, {N} accepted too: the protocol has no continuation, so both
// are followed by the octets at once) up to a CRLF that announces no literal. Every size is bounded by limits
// that follow the session's state: a line, a quoted string (1024 octets), a literal (far smaller before login),
// a whole command. A literal too big after login is skipped without being kept and reported; before login, or
// a line too long, ends the connection. It never interprets a command and never writes to the socket.

export type Token = { t: 'atom'; v: string } | { t: 'string'; v: Buffer };

export interface ReaderLimits {
  maxLine: number;
  maxLiteral: number;
  /** Lines and literals of one command together. */
  maxCommand: number;
  /** Skip (discard) a literal above maxLiteral instead of ending the connection. */
  skipOversized: boolean;
}

export type ReaderEvent =
  | { kind: 'command'; tokens: Token[]; bytes: number }
  /** Refused while framing: `fatal` ends the connection (BYE); else a NO and the session goes on. */
  | { kind: 'error'; text: string; code?: string; fatal: boolean };

/** RFC 5804 §4: a quoted string is at most 1024 octets. */
const MAX_QUOTED = 1024;

export class SieveReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private tokens: Token[] = [];
  private commandBytes = 0;
  /** Octets still to come of the literal being read, -1 while reading a line. */
  private literalLeft = -1;
  private literalParts: Buffer[] = [];
  /** The literal being read is too big: its octets are counted and dropped, then the command is refused. */
  private skipping = false;
  /** Drop input up to the end of the current line (the rest of a command whose literal was skipped). */
  private skipLine = false;
  private skipError: ReaderEvent | null = null;
  private completed = 0;

  constructor(private readonly limits: () => ReaderLimits) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (!chunk.length) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** What the reader waits for after take() returned null (for the session's deadlines); `seq` moves on each completion. */
  waitingFor(): { kind: 'line' | 'literal'; seq: number } | null {
    if (this.literalLeft >= 0) return { kind: 'literal', seq: this.completed };
    if (this.buffered > 0 || this.tokens.length || this.skipLine) return { kind: 'line', seq: this.completed };
    return null;
  }

  /** Drop everything unread (STARTTLS: no plaintext may be read inside TLS). */
  discardBuffered(): void {
    this.chunks = [];
    this.buffered = 0;
    this.reset();
  }

  private reset(): void {
    this.tokens = [];
    this.commandBytes = 0;
    this.literalLeft = -1;
    this.literalParts = [];
    this.skipping = false;
  }

  /** Up to `n` buffered octets, consumed. */
  private read(n: number): Buffer {
    const out: Buffer[] = [];
    let need = n;
    while (need > 0 && this.chunks.length) {
      const c = this.chunks[0];
      if (c.length <= need) {
        out.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        out.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    const got = n - need;
    this.buffered -= got;
    return out.length === 1 ? out[0] : Buffer.concat(out, got);
  }

  /** The offset of the next LF within the buffer, or -1. */
  private findLf(): number {
    let off = 0;
    for (const c of this.chunks) {
      const i = c.indexOf(0x0a);
      if (i >= 0) return off + i;
      off += c.length;
    }
    return -1;
  }

  /** The next event, or null when more input is needed. */
  take(): ReaderEvent | null {
    for (;;) {
      if (this.literalLeft >= 0) {
        if (!this.readLiteral()) return null;
        continue;
      }
      const lim = this.limits();
      const lf = this.findLf();
      if (lf < 0) {
        if (this.skipLine) {
          this.read(this.buffered);
          return null;
        }
        if (this.buffered > lim.maxLine) {
          this.discardBuffered();
          return { kind: 'error', text: 'Line too long', fatal: true };
        }
        return null;
      }
      const raw = this.read(lf + 1);
      this.completed++;
      if (this.skipLine) {
        this.skipLine = false;
        const e = this.skipError;
        this.skipError = null;
        this.reset();
        if (e) return e;
        continue;
      }
      if (raw.length > lim.maxLine) {
        this.discardBuffered();
        return { kind: 'error', text: 'Line too long', fatal: true };
      }
      const line = raw.subarray(0, raw.length - (raw.length >= 2 && raw[raw.length - 2] === 0x0d ? 2 : 1));
      this.commandBytes += raw.length;
      const lexed = lexLine(line);
      if (!lexed.ok) {
        this.reset();
        return { kind: 'error', text: lexed.text, fatal: false };
      }
      this.tokens.push(...lexed.tokens);
      if (lexed.literal === null) {
        const ev: ReaderEvent = { kind: 'command', tokens: this.tokens, bytes: this.commandBytes };
        this.tokens = [];
        this.commandBytes = 0;
        return ev;
      }
      const size = lexed.literal;
      if (size > lim.maxLiteral || this.commandBytes + size > lim.maxCommand) {
        if (!lim.skipOversized) {
          this.discardBuffered();
          return { kind: 'error', text: `Literal too large (at most ${lim.maxLiteral} octets here)`, code: 'QUOTA/MAXSIZE', fatal: true };
        }
        this.skipping = true;
      }
      this.literalLeft = size;
      this.literalParts = [];
    }
  }

  private readLiteral(): boolean {
    if (this.literalLeft > 0) {
      if (!this.buffered) return false;
      const part = this.read(Math.min(this.literalLeft, this.buffered));
      this.literalLeft -= part.length;
      if (!this.skipping) this.literalParts.push(part);
      if (this.literalLeft > 0) return false;
    }
    this.literalLeft = -1;
    this.completed++;
    if (this.skipping) {
      // the command goes on after the literal to its CRLF: drop that too, then refuse the command
      const lim = this.limits();
      this.skipLine = true;
      this.skipError = { kind: 'error', text: `Literal too large (at most ${lim.maxLiteral} octets)`, code: 'QUOTA/MAXSIZE', fatal: false };
      this.skipping = false;
      return true;
    }
    const data = Buffer.concat(this.literalParts);
    this.literalParts = [];
    this.commandBytes += data.length;
    this.tokens.push({ t: 'string', v: data });
    return true;
  }
}

type Lexed = { ok: true; tokens: Token[]; literal: number | null } | { ok: false; text: string };

const ATOM = /^[A-Za-z0-9!#$&'*.\-/:;<=>?@^_`|~[\]]$/;

/** One line's tokens; a literal announcement must end the line. */
export function lexLine(line: Buffer): Lexed {
  const tokens: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === 0x20) {
      i++;
      continue;
    }
    if (c === 0x22) {
      const out: number[] = [];
      i++;
      for (;;) {
        if (i >= n) return { ok: false, text: 'Unterminated quoted string' };
        const d = line[i];
        if (d === 0x22) {
          i++;
          break;
        }
        if (d === 0x5c) {
          const e = line[i + 1];
          if (e !== 0x22 && e !== 0x5c) return { ok: false, text: 'Bad escape in quoted string' };
          out.push(e);
          i += 2;
        } else {
          if (d === 0x00 || d === 0x0d || d === 0x0a) return { ok: false, text: 'NUL, CR or LF in a quoted string' };
          out.push(d);
          i++;
        }
        if (out.length > MAX_QUOTED) return { ok: false, text: `Quoted string longer than ${MAX_QUOTED} octets: use a literal` };
      }
      tokens.push({ t: 'string', v: Buffer.from(out) });
      continue;
    }
    if (c === 0x7b) {
      const m = /^\{(\d{1,10})\+?\}$/.exec(line.subarray(i).toString('latin1'));
      if (!m) return { ok: false, text: 'Bad literal: expected {N+} at the end of the line' };
      return { ok: true, tokens, literal: Number(m[1]) };
    }
    const start = i;
    while (i < n && ATOM.test(String.fromCharCode(line[i]))) i++;
    if (i === start) return { ok: false, text: `Unexpected character 0x${c.toString(16).padStart(2, '0')}` };
    tokens.push({ t: 'atom', v: line.subarray(start, i).toString('latin1') });
  }
  return { ok: true, tokens, literal: null };
}
