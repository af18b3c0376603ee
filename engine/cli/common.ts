// Helpers shared by CLI commands: open the context from --config, read a password from stdin.
import fs from 'node:fs';
import { flag, Refusal, type Args } from './args.js';
import { cannotRead } from '../util/file-problem.js';
import { openStorage, type Storage } from '../db/storage.js';

/**
 * The storage a command works on ([storage]: SQLite, or PostgreSQL where the whole command is one transaction
 * committed by `await ctx.close()`: a command must await it, and fails if the commit does).
 */
export async function contextFrom(args: Args): Promise<Storage> {
  const ctx = await openStorage(flag(args, 'config'), { mode: 'command' });
  for (const f of ctx.modeFixes) process.stderr.write(`tegami: note: ${f.path} was mode ${f.was}, made ${f.now} (the data dir is private)\n`);
  return ctx;
}

/** Read all of stdin; strip one trailing newline (CRLF or LF). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * A text argument's content: the file named, or all of stdin for none or "-" (kept exactly, newlines and all).
 * A file that cannot be read is a Refusal naming it and saying why (not Node's "ENOENT: … open '…'").
 */
export async function readTextArg(file: string | undefined): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Refusal(cannotRead(file, e));
    }
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An error for `tegami COMMAND`, on stderr; exit status 1. */
export function failWith(command: string): (text: string) => number {
  return (text) => {
    process.stderr.write(`tegami ${command}: ${text}\n`);
    return 1;
  };
}

export function out(line: string): void {
  process.stdout.write(line + '\n');
}
