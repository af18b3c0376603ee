// Sieve lexer (RFC 5228 §8.1): identifiers, tags, numbers with K/M/G, quoted and multi-line strings, comments,
// and punctuation, each token carrying its line and column so every later error can name its place.
// It never evaluates anything and never throws: a lexical error is returned as a value with its position.
import { sieveError, type SieveErrorCode, type SieveErrorValues } from './errors.js';

export interface Pos {
  line: number;
  column: number;
}

export type Token =
  | ({ t: 'id'; v: string } & Pos)
  | ({ t: 'tag'; v: string } & Pos)
  | ({ t: 'num'; v: number } & Pos)
  | ({ t: 'str'; v: string; multiline: boolean } & Pos)
  | ({ t: 'punct'; v: '[' | ']' | '(' | ')' | ',' | ';' | '{' | '}' } & Pos)
  | ({ t: 'eof' } & Pos);

export interface SieveError extends Pos {
  /** English (ManageSieve, the CLI); for a syntax error, the text of `code` with `values` (engine/sieve/errors.ts). */
  message: string;
  /** Set on syntax errors: the key the web pages translate (sieve.CODE in engine/web/i18n). */
  code?: SieveErrorCode;
  values?: SieveErrorValues;
}

export type LexResult = { ok: true; tokens: Token[] } | { ok: false; error: SieveError };

const MAX_NUMBER = 2 ** 53 - 1;

function isAlpha(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function lex(src: string, maxTokens = 1_000_000): LexResult {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = (): Pos => ({ line, column: i - lineStart + 1 });
  const fail = (p: Pos, code: SieveErrorCode, values?: SieveErrorValues): LexResult => ({ ok: false, error: sieveError(p, code, values) });
  const newline = (at: number) => {
    line++;
    lineStart = at + 1;
  };
  while (i < src.length) {
    if (tokens.length > maxTokens) return fail(here(), 'too-many-tokens');
    const c = src[i];
    if (c === '\n') {
      newline(i);
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const start = here();
      i += 2;
      for (;;) {
        if (i >= src.length) return fail(start, 'unterminated-comment');
        if (src[i] === '*' && src[i + 1] === '/') {
          i += 2;
          break;
        }
        if (src[i] === '\n') newline(i);
        i++;
      }
      continue;
    }
    const pos = here();
    if ('[](),;{}'.includes(c)) {
      tokens.push({ t: 'punct', v: c as '[', ...pos });
      i++;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) return fail(pos, 'unterminated-string');
        const d = src[i];
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < src.length) {
          // RFC 5228 §2.4.2: "\\" and "\"" are escapes; any other "\x" is just "x"
          const e = src[i + 1];
          if (e === '\n') newline(i + 1);
          v += e;
          i += 2;
          continue;
        }
        if (d === '\n') {
          newline(i);
          // a line break inside a quoted string is CRLF in the value, whatever the file used
          v = v.endsWith('\r') ? v : v + '\r';
        }
        v += d;
        i++;
      }
      tokens.push({ t: 'str', v, multiline: false, ...pos });
      continue;
    }
    if (c === ':') {
      let j = i + 1;
      if (j >= src.length || !isAlpha(src[j])) return fail(pos, 'tag-name');
      while (j < src.length && (isAlpha(src[j]) || isDigit(src[j]))) j++;
      tokens.push({ t: 'tag', v: src.slice(i + 1, j).toLowerCase(), ...pos });
      i = j;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (j < src.length && isDigit(src[j])) j++;
      let n = Number(src.slice(i, j));
      const q = (src[j] ?? '').toUpperCase();
      if (q === 'K' || q === 'M' || q === 'G') {
        n *= q === 'K' ? 1024 : q === 'M' ? 1024 ** 2 : 1024 ** 3;
        j++;
      }
      if (j < src.length && (isAlpha(src[j]) || isDigit(src[j]))) return fail(pos, 'bad-number');
      if (!Number.isSafeInteger(n) || n > MAX_NUMBER) return fail(pos, 'number-too-large');
      tokens.push({ t: 'num', v: n, ...pos });
      i = j;
      continue;
    }
    if (isAlpha(c)) {
      let j = i;
      while (j < src.length && (isAlpha(src[j]) || isDigit(src[j]))) j++;
      const word = src.slice(i, j);
      if (word.toLowerCase() === 'text' && src[j] === ':') {
        const r = multiline(j + 1);
        if (!r.ok) return fail(pos, r.code);
        tokens.push({ t: 'str', v: r.value, multiline: true, ...pos });
        continue;
      }
      tokens.push({ t: 'id', v: word.toLowerCase(), ...pos });
      i = j;
      continue;
    }
    return fail(pos, 'unexpected-char', { char: JSON.stringify(c) });
  }
  tokens.push({ t: 'eof', ...here() });
  return { ok: true, tokens };

  /** "text:" [spaces] [# comment] CRLF, then lines up to a lone "."; ".." at a line start stands for ".". */
  function multiline(from: number): { ok: true; value: string } | { ok: false; code: SieveErrorCode } {
    let j = from;
    while (src[j] === ' ' || src[j] === '\t') j++;
    if (src[j] === '#') while (j < src.length && src[j] !== '\n') j++;
    if (src[j] === '\r') j++;
    if (src[j] !== '\n') return { ok: false, code: 'text-line-break' };
    newline(j);
    j++;
    const lines: string[] = [];
    for (;;) {
      if (j >= src.length) return { ok: false, code: 'text-unterminated' };
      let end = src.indexOf('\n', j);
      if (end < 0) end = src.length;
      let text = src.slice(j, end);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (end < src.length) newline(end);
      j = end + 1;
      if (text === '.') break;
      lines.push(text.startsWith('..') ? text.slice(1) : text);
    }
    i = Math.min(j, src.length);
    return { ok: true, value: lines.map((l) => l + '\r\n').join('') };
  }
}
