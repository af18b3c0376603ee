// Script text → validated script: size limit, parse (lexer.ts, parser.ts), then validation (validate.ts) with
// the enabled capabilities. Errors name line and column, for ManageSieve PUTSCRIPT/CHECKSCRIPT and the CLI.
import { DEFAULT_CAPABILITIES, limitsWith } from './extensions.js';
import { parse } from './parser.js';
import { sieveError } from './errors.js';
import { validate } from './validate.js';
import type { ParseOutcome, SieveOptions } from './types.js';

export function parseScript(text: string, opts: SieveOptions = {}): ParseOutcome {
  const limits = limitsWith(opts.limits);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxScriptBytes) return { ok: false, errors: [sieveError({ line: 1, column: 1 }, 'script-too-big', { bytes, max: limits.maxScriptBytes })] };
  const p = parse(text, limits.maxNesting);
  if (!p.ok) return { ok: false, errors: [p.error] };
  return validate(p.commands, new Set(opts.extensions ?? DEFAULT_CAPABILITIES));
}
