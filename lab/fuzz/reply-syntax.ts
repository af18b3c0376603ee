// Reply readers for the fuzzer, one per protocol: split the server's byte stream into replies (IMAP
// literals included), judge every line's syntax (SMTP 3-digit code + space/hyphen, POP3 +OK/-ERR/+ and
// dot-ended blocks, IMAP tagged OK/NO/BAD, untagged *, continuation +) and emit events the session
// driver waits on. They only read; a violation is a value, never a throw.
import type { Protocol } from './plan.js';

export interface ReplyEvent {
  /** The whole line (IMAP: the logical response with literals shown as {n}). */
  line: string;
  /** SMTP: a last line of a reply; POP3: a status line or the end of a block; IMAP: a tagged completion. */
  final: boolean;
  cont: boolean;
  tag?: string;
  /** POP3: this event ends a multi-line block. */
  blockEnd?: boolean;
  at: number;
}

export interface Violation {
  line: string;
  why: string;
}

export interface ReplyReader {
  feed(chunk: Buffer): void;
  readonly events: ReplyEvent[];
  readonly violations: Violation[];
  /** Bytes received that do not end in a line yet (the server closed mid-line). */
  pending(): string;
}

const SHOW = (s: string) => (s.length > 200 ? s.slice(0, 200) + `…(${s.length} chars)` : s);

abstract class LineReader implements ReplyReader {
  readonly events: ReplyEvent[] = [];
  readonly violations: Violation[] = [];
  protected buf: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.drain();
  }

  pending(): string {
    return this.buf.toString('latin1');
  }

  protected bad(line: string, why: string): void {
    if (this.violations.length < 20) this.violations.push({ line: SHOW(line), why });
  }

  /**
   * Next whole line without its ending, judged for CRLF and (when `controls`) stray CR/NUL; undefined when none yet.
   * A POP3 block carries a stored message as it is, so its lines are not judged for CR/NUL.
   */
  protected nextLine(controls = true): string | undefined {
    const i = this.buf.indexOf(10);
    if (i < 0) return undefined;
    const crlf = i > 0 && this.buf[i - 1] === 13;
    const line = this.buf.subarray(0, crlf ? i - 1 : i).toString('latin1');
    this.buf = this.buf.subarray(i + 1);
    if (!crlf) this.bad(line, 'line ends in a bare LF, not CRLF');
    if (controls && /[\r\0]/.test(line)) this.bad(line, 'bare CR or NUL inside a reply line');
    return line;
  }

  protected abstract drain(): void;
}

class SmtpReader extends LineReader {
  private code: string | undefined;
  protected drain(): void {
    for (let line = this.nextLine(); line !== undefined; line = this.nextLine()) {
      const m = /^([2-5]\d\d)([ -]|$)/.exec(line);
      if (!m) {
        this.bad(line, 'not an SMTP reply line (3-digit code, then space or hyphen)');
        continue;
      }
      if (line.length + 2 > 512) this.bad(line, `reply line of ${line.length + 2} octets (RFC 5321 4.5.3.1.5: 512 at most)`);
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) this.bad(line, 'control character in reply text');
      if (/[\x80-\xff]/.test(line)) this.bad(line, '8-bit byte in reply text');
      if (this.code && this.code !== m[1]) this.bad(line, `multi-line reply changes code ${this.code} → ${m[1]}`);
      const final = m[2] !== '-';
      this.code = final ? undefined : m[1];
      this.events.push({ line, final, cont: final && m[1] === '334', at: Date.now() });
    }
  }
}

class Pop3Reader extends LineReader {
  private afterOk = false;
  private inBlock = false;
  protected drain(): void {
    for (let line = this.nextLine(!this.inBlock && !this.afterOk); line !== undefined; line = this.nextLine(!this.inBlock && !this.afterOk)) {
      const status = /^(\+OK|-ERR)(\s|$)/.exec(line);
      const cont = /^\+( |$)/.test(line);
      if (this.inBlock) {
        if (line === '.') {
          this.inBlock = false;
          this.events.push({ line, final: true, cont: false, blockEnd: true, at: Date.now() });
        } else if (status) this.bad(line, 'status line inside a multi-line block (its "." terminator missing?)');
        continue;
      }
      if (status || cont) {
        if (line.length + 2 > 512) this.bad(line, `status line of ${line.length + 2} octets (RFC 1939: 512 at most)`);
        if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) this.bad(line, 'control character in status line');
        if (/[\x80-\xff]/.test(line)) this.bad(line, '8-bit byte in status line');
        this.afterOk = !!status && status[1] === '+OK';
        this.events.push({ line, final: true, cont, at: Date.now() });
        continue;
      }
      if (this.afterOk) {
        // first line of a multi-line block (a dot alone = an empty block)
        this.afterOk = false;
        if (line === '.') this.events.push({ line, final: true, cont: false, blockEnd: true, at: Date.now() });
        else this.inBlock = true;
        continue;
      }
      this.bad(line, 'not +OK, -ERR, a continuation, nor inside a multi-line block after +OK');
    }
  }
}

const UNTAGGED_WORDS = /^\* (OK|NO|BAD|BYE|PREAUTH|CAPABILITY|LIST|LSUB|STATUS|SEARCH|ESEARCH|FLAGS|ENABLED|ID|NAMESPACE|QUOTA|QUOTAROOT|SORT|THREAD|VANISHED)( |$)/;
const UNTAGGED_NUM = /^\* \d+ (EXISTS|RECENT|EXPUNGE|FETCH)( |$)/;
const TAGGED = /^([^\s(){%*"\\\]\x00-\x1f\x7f+]+) (OK|NO|BAD) \S/;
/** Responses whose body is IMAP data (balanced parentheses, closed quoted strings). */
const STRUCTURED = /^\* (\d+ FETCH|LIST|LSUB|STATUS|ESEARCH|ID|NAMESPACE|ENABLED)( |$)/;

/** Balanced parentheses and closed quoted strings, literals already removed; undefined when fine. */
export function imapStructureError(s: string): string | undefined {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
      if (i >= s.length) return 'unterminated quoted string';
    } else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return 'unbalanced ")"';
  }
  return depth ? `${depth} unclosed "("` : undefined;
}

class ImapReader extends LineReader {
  private logical = '';
  private literal = 0;
  constructor(private readonly sentTag: (tag: string) => boolean) {
    super();
  }
  protected drain(): void {
    for (;;) {
      if (this.literal > 0) {
        if (this.buf.length < this.literal) return;
        this.buf = this.buf.subarray(this.literal);
        this.literal = 0;
      }
      const line = this.nextLine();
      if (line === undefined) return;
      const lit = /\{(\d+)\}$/.exec(line);
      this.logical += line;
      if (lit && (this.logical.startsWith('* ') || this.logical.length > line.length)) {
        this.literal = Number(lit[1]);
        continue;
      }
      const whole = this.logical;
      this.logical = '';
      this.judge(whole);
    }
  }
  /** Outside literals an IMAP4rev1 response is 7-bit text without controls (RFC 3501 TEXT-CHAR, QUOTED-CHAR). */
  private judgeText(line: string): void {
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) this.bad(line, 'control character in a response');
    if (/[\x80-\xff]/.test(line)) this.bad(line, '8-bit byte outside a literal');
  }

  private judge(line: string): void {
    const at = Date.now();
    if (/^\+( |$)/.test(line)) {
      this.events.push({ line, final: false, cont: true, at });
      return;
    }
    if (line.startsWith('* ')) {
      if (!UNTAGGED_WORDS.test(line) && !UNTAGGED_NUM.test(line)) this.bad(line, 'unknown untagged response');
      else if (STRUCTURED.test(line)) {
        const e = imapStructureError(line.replace(/\{\d+\}/g, '""'));
        if (e) this.bad(line, e);
      }
      this.judgeText(line);
      this.events.push({ line, final: false, cont: false, at });
      return;
    }
    const m = TAGGED.exec(line);
    if (!m) {
      this.bad(line, 'not a tagged OK/NO/BAD with text, an untagged * or a continuation +');
      return;
    }
    if (!this.sentTag(m[1])) this.bad(line, `tag ${m[1]} was never sent`);
    this.judgeText(line);
    this.events.push({ line, final: true, cont: false, tag: m[1], at });
  }
}

export function replyReader(protocol: Protocol, sentTag: (tag: string) => boolean = () => true): ReplyReader {
  return protocol === 'smtp' ? new SmtpReader() : protocol === 'pop3' ? new Pop3Reader() : new ImapReader(sentTag);
}
