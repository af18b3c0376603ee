// Mailbox usage as Maildir++ counts it (the `maildirsize` file of Courier, maildrop and Dovecot): its first line
// is the quota definition ("<bytes>S,<count>C"), every further line "<bytes> <count>", a change. A delivery, a
// copy or an expunge appends one line (O_APPEND without O_CREAT: a short write is atomic, so worker threads and
// the main thread need no lock); reading adds the lines up. The file is rebuilt from the folders when it is
// missing, unreadable, over 5120 bytes, written for other limits, or over quota and unchanged for 15 minutes.
// It never reads a message's content: sizes come from the ",S=" in file names, else from stat.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { roomFor, type Quota, type Room, type Usage } from '../accounts/quota.js';

export const MAILDIRSIZE = 'maildirsize';
/** Past this the file is rebuilt (Maildir++). */
const MAX_FILE = 5120;
/** An over-quota answer older than this is checked against the folders again (Maildir++). */
const RECALC_AGE_MS = 15 * 60_000;
/** A file bigger than this is not even read (rebuilt instead). */
const READ_LIMIT = 64 * 1024;

/** The Maildir root of a folder directory (INBOX is the root; ".Name" folders are inside it). */
export function rootOfFolder(dir: string): string {
  return path.basename(dir).startsWith('.') ? path.dirname(dir) : dir;
}

/** "10485760S,1000C"; limits of 0 are left out, and no limit at all gives an empty definition. */
export function quotaDefinition(q: Quota): string {
  const parts: string[] = [];
  if (q.bytes > 0) parts.push(`${q.bytes}S`);
  if (q.messages > 0) parts.push(`${q.messages}C`);
  return parts.join(',');
}

export interface SizeFile {
  definition: string;
  usage: Usage;
  /** Size of the file in bytes and its last change. */
  size: number;
  mtimeMs: number;
}

/** Parse a maildirsize file's text; null when it is not one (then it is rebuilt). */
export function parseSizeFile(text: string): Pick<SizeFile, 'definition' | 'usage'> | null {
  const lines = text.split('\n');
  if (lines.length < 1 || lines[lines.length - 1] !== '') return null; // every line ends in \n (a torn write does not)
  const definition = lines[0];
  if (definition.length > 200 || !/^(\d{1,18}[SC])?(,\d{1,18}[SC])*$/.test(definition)) return null;
  let bytes = 0;
  let messages = 0;
  for (const line of lines.slice(1, -1)) {
    const m = /^\s*(-?\d{1,18})\s+(-?\d{1,12})\s*$/.exec(line);
    if (!m) return null;
    bytes += Number(m[1]);
    messages += Number(m[2]);
  }
  if (bytes < 0 || messages < 0 || !Number.isSafeInteger(bytes)) return null;
  return { definition, usage: { bytes, messages } };
}

/** The file as it is now; null when missing or not a maildirsize file. */
export async function readSizeFile(root: string): Promise<SizeFile | null> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path.join(root, MAILDIRSIZE), 'r');
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > READ_LIMIT) return null;
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    const parsed = parseSizeFile(buf.subarray(0, bytesRead).toString('latin1'));
    return parsed ? { ...parsed, size: bytesRead, mtimeMs: st.mtimeMs } : null;
  } finally {
    await fh.close();
  }
}

/**
 * Record a change (a message in: +bytes +1; out: -bytes -1) when the mailbox has a maildirsize file; without
 * one nothing is written (the next reader counts the folders). Never throws: the message is already stored or
 * gone, and a miscount is mended by the next rebuild.
 */
export async function recordChange(root: string, bytes: number, messages: number): Promise<void> {
  if (bytes === 0 && messages === 0) return;
  try {
    const fh = await fsp.open(path.join(root, MAILDIRSIZE), APPEND_ONLY);
    try {
      await fh.write(changeLine(bytes, messages));
    } finally {
      await fh.close();
    }
  } catch {
    /* no file (it is made when usage is first asked for), or it cannot be written: counted again later */
  }
}

/**
 * recordChange made synchronously (a delivery worker thread: one short append). A mailbox without the file (no
 * quota: the usual case) is told by `existsSync`, which answers false without an exception: a failed `openSync`
 * built an Error with its stack trace for every delivery (0.014 ms per message of the workers' 0.24 under perf,
 * filters off). A file made between the two calls is made by counting the folders, where this message already is.
 */
export function recordChangeSync(root: string, bytes: number, messages: number): void {
  if (bytes === 0 && messages === 0) return;
  const file = path.join(root, MAILDIRSIZE);
  if (!fs.existsSync(file)) return;
  try {
    const fd = fs.openSync(file, APPEND_ONLY);
    try {
      fs.writeSync(fd, changeLine(bytes, messages));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* as recordChange */
  }
}

const APPEND_ONLY = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW;

function changeLine(bytes: number, messages: number): string {
  return `${Math.trunc(bytes)} ${Math.trunc(messages)}\n`;
}

/** The size of a stored message file from its name (",S=1234"), else from the file. */
async function messageSize(dir: string, name: string): Promise<number> {
  const m = /,S=(\d{1,15})(?:[,:]|$)/.exec(name);
  if (m) return Number(m[1]);
  try {
    return (await fsp.lstat(path.join(dir, name))).size;
  } catch {
    return 0; // gone meanwhile
  }
}

/** Count every message of every folder (new/ and cur/ of the root and of each ".Folder"). */
export async function countFolders(root: string): Promise<Usage> {
  const folders = [root];
  try {
    for (const d of await fsp.readdir(root, { withFileTypes: true })) {
      if (d.isDirectory() && d.name.startsWith('.') && d.name !== '.' && d.name !== '..' && !d.name.startsWith('..')) folders.push(path.join(root, d.name));
    }
  } catch {
    return { bytes: 0, messages: 0 };
  }
  let bytes = 0;
  let messages = 0;
  for (const f of folders) {
    for (const sub of ['new', 'cur']) {
      const dir = path.join(f, sub);
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        if (n.startsWith('.')) continue;
        bytes += await messageSize(dir, n);
        messages++;
      }
    }
  }
  return { bytes, messages };
}

/** Rebuild the file from the folders (written in tmp/, renamed over the old one); the usage counted. */
export async function rebuildSizeFile(root: string, quota: Quota): Promise<Usage> {
  const usage = await countFolders(root);
  if (!fs.existsSync(path.join(root, 'tmp'))) return usage; // no mailbox yet: nothing to write into
  const tmp = path.join(root, 'tmp', `${MAILDIRSIZE}.${process.pid}.${crypto.randomBytes(6).toString('hex')}`);
  try {
    await fsp.writeFile(tmp, `${quotaDefinition(quota)}\n${usage.bytes} ${usage.messages}\n`, { mode: 0o600, flag: 'wx' });
    await fsp.rename(tmp, path.join(root, MAILDIRSIZE));
  } catch {
    await fsp.unlink(tmp).catch(() => undefined);
  }
  return usage;
}

/** What the mailbox under `root` holds, from its maildirsize file (rebuilt when the Maildir++ rules say so). */
export async function mailboxUsage(root: string, quota: Quota, now = Date.now()): Promise<Usage> {
  const f = await readSizeFile(root);
  if (!f || f.size > MAX_FILE || f.definition !== quotaDefinition(quota)) return rebuildSizeFile(root, quota);
  if (roomFor(quota, f.usage, 0).kind !== 'ok' && now - f.mtimeMs > RECALC_AGE_MS) return rebuildSizeFile(root, quota);
  return f.usage;
}

/** The usage as last recorded, without counting anything (cheap enough for every RCPT); null when not known. */
export async function recordedUsage(root: string): Promise<Usage | null> {
  return (await readSizeFile(root))?.usage ?? null;
}

/** Would `bytes` more fit in the mailbox under `root`? (No limits: yes, without reading anything.) */
export async function mailboxRoom(root: string, quota: Quota, bytes: number): Promise<Room> {
  if (quota.bytes === 0 && quota.messages === 0) return { kind: 'ok' };
  return roomFor(quota, await mailboxUsage(root, quota), bytes);
}
