// Symbolic links in a Maildir. tegami never writes one: a link in new/ or cur/ was put there by someone else, and
// following it to another account's file or /dev/zero would serve bytes that are not this mailbox's
// (docs/security-review-7.md, left open 4). Listings leave links out (lstat, never stat), message files are opened
// with O_NOFOLLOW (OPEN_MESSAGE), and a listed file replaced by a link reads as gone: the directory is read again and
// the message is no longer there. Each link left out is told once to the listener serve sets (a log event).
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** An open's error that means "this name is no message of ours": gone (ENOENT) or a link O_NOFOLLOW refused (ELOOP). */
export function notAMessage(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ELOOP';
}

/** Links told already (bounded: past it, nothing more is told until the process restarts). */
const told = new Set<string>();
const MAX_TOLD = 10_000;
let listener: ((dir: string, name: string) => void) | null = null;

/** Who hears of links left out (serve: a `system.maildir-link-skipped` event); the last one set. Returns its removal. */
export function onLinkSkipped(fn: (dir: string, name: string) => void): () => void {
  listener = fn;
  return () => {
    if (listener === fn) listener = null;
  };
}

/** A listing left out the link `name` in `dir` (told once per path). */
export function linkSkipped(dir: string, name: string): void {
  const key = dir + '/' + name;
  if (told.has(key) || told.size >= MAX_TOLD) return;
  told.add(key);
  listener?.(dir, name);
}

/** A listed name's lstat when it is a plain file: null when it is gone meanwhile or no file (a link: told once). */
export async function lstatMessage(dir: string, name: string): Promise<fs.Stats | null> {
  let st: fs.Stats;
  try {
    st = await fsp.lstat(path.join(dir, name));
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) linkSkipped(dir, name);
  return st.isFile() ? st : null;
}
