// Helpers shared by CLI commands: open the context from --config, read a password from stdin.
import { flag, type Args } from './args.js';
import { openContext, type Context } from '../context.js';

export function contextFrom(args: Args): Context {
  const ctx = openContext(flag(args, 'config'));
  for (const f of ctx.modeFixes) process.stderr.write(`tegami: note: ${f.path} was mode ${f.was}, made ${f.now} (the data dir is private)\n`);
  return ctx;
}

/** Read all of stdin; strip one trailing newline (CRLF or LF). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function out(line: string): void {
  process.stdout.write(line + '\n');
}
