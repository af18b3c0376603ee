// Sieve grammar (RFC 5228 §8.2) → a syntax tree of commands, tests and arguments with positions. It knows no
// command names (validate.ts does) and bounds its own recursion (block and test nesting) so hostile input
// cannot overflow the stack; errors are values naming line and column.
import { lex, type Pos, type SieveError, type Token } from './lexer.js';
import { sieveError, type SieveErrorCode, type SieveErrorValues } from './errors.js';

export type Arg =
  | ({ kind: 'tag'; name: string } & Pos)
  | ({ kind: 'number'; value: number } & Pos)
  | ({ kind: 'strings'; values: string[]; list: boolean } & Pos);

export interface TestNode extends Pos {
  name: string;
  args: Arg[];
  tests: TestNode[];
  /** The tests were written as a parenthesised list. */
  testList: boolean;
}

export interface CommandNode extends Pos {
  name: string;
  args: Arg[];
  tests: TestNode[];
  testList: boolean;
  block: CommandNode[] | null;
}

export type ParseResult = { ok: true; commands: CommandNode[] } | { ok: false; error: SieveError };

class ParseError extends Error {
  readonly error: SieveError;
  constructor(pos: Pos, code: SieveErrorCode, values?: SieveErrorValues) {
    const error = sieveError(pos, code, values);
    super(error.message);
    this.error = error;
  }
}

export function parse(src: string, maxNesting = 32): ParseResult {
  const l = lex(src);
  if (!l.ok) return { ok: false, error: l.error };
  const toks = l.tokens;
  let k = 0;
  const peek = (): Token => toks[k];
  const isPunct = (t: Token, v: string) => t.t === 'punct' && t.v === v;
  const describe = (t: Token) => (t.t === 'eof' ? 'end of script' : t.t === 'str' ? 'a string' : t.t === 'num' ? 'a number' : t.t === 'tag' ? `":${t.v}"` : `"${t.v}"`);
  const expect = (v: string, what: string) => {
    const t = toks[k];
    if (!isPunct(t, v)) throw new ParseError(t, 'expected', { expected: what, found: describe(t) });
    k++;
  };

  function commands(depth: number, inBlock: boolean): CommandNode[] {
    const out: CommandNode[] = [];
    for (;;) {
      const t = peek();
      if (t.t === 'eof') {
        if (inBlock) throw new ParseError(t, 'missing-brace');
        return out;
      }
      if (isPunct(t, '}')) {
        if (!inBlock) throw new ParseError(t, 'unexpected-brace');
        return out;
      }
      if (t.t !== 'id') throw new ParseError(t, 'expected-command', { found: describe(t) });
      k++;
      const cmd: CommandNode = { name: t.v, line: t.line, column: t.column, args: [], tests: [], testList: false, block: null };
      args(cmd, depth);
      const end = peek();
      if (isPunct(end, ';')) k++;
      else if (isPunct(end, '{')) {
        if (depth + 1 > maxNesting) throw new ParseError(end, 'blocks-too-deep', { max: maxNesting });
        k++;
        cmd.block = commands(depth + 1, true);
        expect('}', '"}"');
      } else throw new ParseError(end, 'expected-end', { name: cmd.name, found: describe(end) });
      out.push(cmd);
    }
  }

  function args(node: { args: Arg[]; tests: TestNode[]; testList: boolean }, depth: number) {
    for (;;) {
      const t = peek();
      if (t.t === 'tag') {
        node.args.push({ kind: 'tag', name: t.v, line: t.line, column: t.column });
        k++;
      } else if (t.t === 'num') {
        node.args.push({ kind: 'number', value: t.v, line: t.line, column: t.column });
        k++;
      } else if (t.t === 'str') {
        node.args.push({ kind: 'strings', values: [t.v], list: false, line: t.line, column: t.column });
        k++;
      } else if (isPunct(t, '[')) {
        k++;
        const values: string[] = [];
        for (;;) {
          const s = peek();
          if (s.t !== 'str') throw new ParseError(s, 'expected-list-string', { found: describe(s) });
          values.push(s.v);
          k++;
          if (isPunct(peek(), ',')) {
            k++;
            continue;
          }
          expect(']', '"]" or ","');
          break;
        }
        node.args.push({ kind: 'strings', values, list: true, line: t.line, column: t.column });
      } else break;
    }
    const t = peek();
    if (t.t === 'id') {
      node.tests.push(test(depth + 1));
    } else if (isPunct(t, '(')) {
      k++;
      node.testList = true;
      for (;;) {
        node.tests.push(test(depth + 1));
        if (isPunct(peek(), ',')) {
          k++;
          continue;
        }
        expect(')', '")" or ","');
        break;
      }
    }
  }

  function test(depth: number): TestNode {
    const t = peek();
    if (depth > maxNesting) throw new ParseError(t, 'tests-too-deep', { max: maxNesting });
    if (t.t !== 'id') throw new ParseError(t, 'expected-test', { found: describe(t) });
    k++;
    const node: TestNode = { name: t.v, line: t.line, column: t.column, args: [], tests: [], testList: false };
    args(node, depth);
    return node;
  }

  try {
    return { ok: true, commands: commands(0, false) };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e.error };
    throw e;
  }
}
