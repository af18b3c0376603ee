// What a ManageSieve command file declares: its name, the states it runs in and the shape of its arguments as
// data, checked before the handler runs (a handler never sees a malformed argument); and the response vocabulary
// (OK/NO/BYE with an optional response code and a quoted string or literal, RFC 5804 §1.3) as values. It never
// touches the socket or the store.
import type { Token } from './reader.js';
import type { Session } from './session.js';

export type SessionState = 'nonauth' | 'auth';

export type ArgType =
  /** A quoted string or literal, as UTF-8 text (invalid UTF-8 is refused). */
  | 'string'
  /** A non-negative number (atom of digits). */
  | 'number';

export interface ArgSpec {
  name: string;
  type: ArgType;
  optional?: boolean;
}

export type ArgValue = string | number;
export type Args = Record<string, ArgValue | undefined>;

export interface Response {
  status: 'OK' | 'NO' | 'BYE';
  /** A response code as written inside the parentheses: "QUOTA/MAXSIZE", 'TAG "x"', 'SASL "…"'. */
  code?: string;
  text?: string;
}

export interface CommandDef {
  name: string;
  states: SessionState[];
  args: ArgSpec[];
  handle(s: Session, a: Args): Promise<Response>;
}

export const ok = (text?: string, code?: string): Response => ({ status: 'OK', text, code });
export const no = (text: string, code?: string): Response => ({ status: 'NO', text, code });

const utf8 = new TextDecoder('utf-8', { fatal: true });

function convert(spec: ArgSpec, t: Token): ArgValue | undefined {
  if (spec.type === 'number') return t.t === 'atom' && /^\d{1,12}$/.test(t.v) ? Number(t.v) : undefined;
  if (t.t !== 'string') return undefined;
  try {
    return utf8.decode(t.v);
  } catch {
    return undefined;
  }
}

/** Check argument tokens against the declared shape: the values, or the text of the NO. */
export function validateArgs(specs: ArgSpec[], tokens: Token[]): { ok: true; args: Args } | { ok: false; text: string } {
  const args: Args = {};
  let i = 0;
  for (const spec of specs) {
    const t = tokens[i];
    if (!t) {
      if (spec.optional) continue;
      return { ok: false, text: `Missing argument: ${spec.name}` };
    }
    const v = convert(spec, t);
    if (v === undefined) return { ok: false, text: `Invalid argument ${spec.name}: expected ${spec.type === 'number' ? 'a number' : 'a UTF-8 string (quoted or literal)'}` };
    args[spec.name] = v;
    i++;
  }
  if (i < tokens.length) return { ok: false, text: 'Too many arguments' };
  return { ok: true, args };
}

/** A string as the server sends it: quoted when it can be, else a literal {N}. */
export function sieveString(s: string | Buffer): string {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  const text = b.toString('utf8');
  if (b.length <= 1024 && !/[\0\r\n]/.test(text)) return `"${text.replace(/[\\"]/g, (c) => '\\' + c)}"`;
  return `{${b.length}}\r\n${text}`;
}

/** The response line(s) for a result. */
export function formatResponse(r: Response): string {
  return `${r.status}${r.code ? ` (${r.code})` : ''}${r.text !== undefined ? ` ${sieveString(r.text)}` : ''}\r\n`;
}
