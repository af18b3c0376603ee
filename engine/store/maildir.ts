// Maildir on disk: where an owner's folders live, and the durable write of one message
// (tmp/ → fsync → rename into new/ → fsync new/). Used by delivery workers and by the MaildirStore.
// It never reads or changes flags or indexes; that is the store's job.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { recordChange, recordChangeSync, rootOfFolder } from './maildirsize.js';

/**
 * How a message file is opened for reading: never blocking in open(). A FIFO put in place of a listed message
 * (by anything that writes the tree) would otherwise hang a synchronous open (the whole event loop) or a libuv
 * thread until some writer opened it; non-blocking, it opens at once and reads as empty (or EAGAIN). For a
 * regular file the flag changes nothing. Never through a symbolic link (O_NOFOLLOW: ELOOP; maildir-links.ts): tegami
 * writes none, and one put there leads to bytes that are not this mailbox's.
 */
export const OPEN_MESSAGE = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

/** <data_dir>/mail/<domain>/<local>/Maildir (asked two or three times per delivery: kept per data dir and owner) */
export function maildirRoot(dataDir: string, owner: string): string {
  const key = `${dataDir}\0${owner}`;
  let root = roots.get(key);
  if (root === undefined) {
    root = rootOf(dataDir, owner);
    if (roots.size >= 10_000) roots.clear();
    roots.set(key, root);
  }
  return root;
}
const roots = new Map<string, string>();

function rootOf(dataDir: string, owner: string): string {
  const at = owner.lastIndexOf('@');
  const local = owner.slice(0, at).toLowerCase();
  const domain = owner.slice(at + 1).toLowerCase();
  if (!local || !domain || /[/\\\0]/.test(local + domain) || local.startsWith('.') || domain.startsWith('.')) {
    throw new Error(`unsafe mailbox owner: ${owner}`);
  }
  return path.join(dataDir, 'mail', domain, local, 'Maildir');
}

/** Maildir++ folder directory: INBOX is the root; "Spam" → .Spam; "a/b" → .a.b */
export function folderDir(root: string, folder: string): string {
  if (folder.toUpperCase() === 'INBOX') return root;
  const name = folder.split('/').join('.');
  if (!name || name.includes('..') || /[\0\\]/.test(name) || name.startsWith('.')) throw new Error(`bad folder name: ${folder}`);
  return path.join(root, '.' + name);
}

const made = new Set<string>();

export async function ensureMaildir(dir: string): Promise<void> {
  if (made.has(dir)) return;
  // private whatever the umask: 0700 folders, 0600 files (messages are written 0600 below)
  await Promise.all(['tmp', 'new', 'cur'].map((d) => fsp.mkdir(path.join(dir, d), { recursive: true, mode: 0o700 })));
  if (path.basename(dir).startsWith('.')) await fsp.writeFile(path.join(dir, 'maildirfolder'), '', { flag: 'a', mode: 0o600 });
  made.add(dir);
}

let counter = 0;
const host = os.hostname().replace(/[/:]/g, '_');

/** A unique Maildir base name; the dedup key (spool id + recipient index) is embedded so recovery can find it. */
export function uniqueName(size: number, dedupKey?: string): string {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  const usec = (now % 1000) * 1000 + (counter % 1000);
  counter++;
  return `${sec}.M${usec}P${process.pid}Q${counter}${dedupKey ? `_${dedupKey}` : ''}.${host},S=${size}`;
}

/**
 * In a worker thread (the delivery pool) the steps that take microseconds — the write into the page cache,
 * close, rename, the directory's open — are made synchronously: as libuv requests each cost a round trip through
 * the pool (a wake-up of a pool thread and of this thread's loop). What waits for the disk or the journal stays
 * in the pool so the worker analyses other messages meanwhile: the fdatasync, the directory fsync, and the create
 * in tmp/ (made inline, it held the worker for 0.5 ms on average and up to 8 ms while other deliveries committed).
 * The main thread keeps every step asynchronous: a large IMAP APPEND must not hold its event loop.
 */
const quickStepsInline = !isMainThread;
const fdatasync = promisify(fs.fdatasync);
const fsyncFd = promisify(fs.fsync);
const openFile = promisify(fs.open);
const openNew = (file: string) => openFile(file, 'wx', 0o600);

/**
 * Write one message durably into dir/new. The file is complete and fsynced before it appears in new/;
 * the new/ directory entry is fsynced before this resolves, so a crash afterwards cannot lose it.
 */
export async function writeMaildirMessage(dir: string, parts: Buffer[], opts: { dedupKey?: string; info?: string } = {}): Promise<string> {
  if (!made.has(dir)) await ensureMaildir(dir);
  const size = parts.reduce((n, b) => n + b.length, 0);
  // info: Maildir flag letters the message arrives with (Sieve's :flags), e.g. "FS"; the store keeps them from new/
  const name = uniqueName(size, opts.dedupKey) + (opts.info && /^[A-Z]+$/.test(opts.info) ? `:2,${opts.info}` : '');
  // a generated name (no separator, never "." or ".."): joined to the folder's directories as they are
  const p = pathsOf(dir);
  const tmp = p.tmp + path.sep + name;
  if (quickStepsInline) await writeFileInline(dir, tmp, parts);
  else await writeFileAsync(dir, tmp, parts);
  if (quickStepsInline) fs.renameSync(tmp, p.new + path.sep + name);
  else await fsp.rename(tmp, p.new + path.sep + name);
  await syncDir(p.new);
  // the mailbox's usage (maildirsize), when it keeps one
  if (quickStepsInline) recordChangeSync(p.root, size, 1);
  else await recordChange(p.root, size, 1);
  return name;
}

/** A folder directory's tmp/ and new/ and its Maildir root, worked out once per directory. */
function pathsOf(dir: string): { tmp: string; new: string; root: string } {
  let p = folderPaths.get(dir);
  if (!p) {
    p = { tmp: path.join(dir, 'tmp'), new: path.join(dir, 'new'), root: rootOfFolder(dir) };
    if (folderPaths.size >= 10_000) folderPaths.clear();
    folderPaths.set(dir, p);
  }
  return p;
}
const folderPaths = new Map<string, { tmp: string; new: string; root: string }>();

/** The file in tmp/, written and fdatasynced (every step a libuv request). */
async function writeFileAsync(dir: string, tmp: string, parts: Buffer[]): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(tmp, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    // the folder was made earlier by this thread but is gone now (the account was deleted, its folder moved
    // aside as an orphan, and made again): make it afresh
    made.delete(dir);
    await ensureMaildir(dir);
    fh = await fsp.open(tmp, 'wx', 0o600);
  }
  try {
    await fh.writev(parts);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/**
 * The same in a worker thread: the create in tmp/ (which can wait for the directory and the journal while other
 * deliveries commit) and the fdatasync in the pool, the write into the page cache and the close inline.
 */
async function writeFileInline(dir: string, tmp: string, parts: Buffer[]): Promise<void> {
  let fd: number;
  try {
    fd = await openNew(tmp);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    made.delete(dir); // gone since this thread made it (see writeFileAsync)
    await ensureMaildir(dir);
    fd = await openNew(tmp);
  }
  try {
    writeAllSync(fd, parts);
    await fdatasync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** writev until every byte is written (a regular file may take fewer bytes than asked). */
function writeAllSync(fd: number, parts: Buffer[]): void {
  let rest = parts.filter((b) => b.length > 0);
  while (rest.length) {
    let n = fs.writevSync(fd, rest);
    const next: Buffer[] = [];
    for (const b of rest) {
      if (n >= b.length) n -= b.length;
      else {
        next.push(n > 0 ? b.subarray(n) : b);
        n = 0;
      }
    }
    rest = next;
  }
}

/** fsync a directory now, so a rename or a create in it survives a crash. */
export async function syncDirNow(dir: string): Promise<void> {
  if (quickStepsInline) {
    // open and close inline, the fsync in the pool (see quickStepsInline)
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      await fsyncFd(fd);
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  const fh = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Group commit for directory fsyncs: callers that arrive while an fsync of the same directory runs share the
 * next one (which starts after their rename, so it covers it). Concurrent fsyncs of one directory serialise in
 * the kernel anyway; coalescing them turns N waits into two. Every call is answered by an fsync that started
 * after it: a caller never gets a finished one's promise.
 */
export class DirSync {
  private running: Promise<void> | null = null;
  private pending: Promise<void> | null = null;
  constructor(
    private readonly dir: string,
    private readonly syncNow: (dir: string) => Promise<void> = syncDirNow,
  ) {}

  sync(): Promise<void> {
    if (this.pending) return this.pending;
    // the next fsync starts once the one running (if any) is done; until it starts, callers join it. The start is
    // always a later microtask, so `pending` is set below before the start clears it (it once cleared it first,
    // synchronously, and the finished promise stayed as `pending`: no directory fsync after the first)
    const p = (this.running ?? Promise.resolve())
      .catch(() => {})
      .then(() => {
        this.pending = null;
        const run = this.syncNow(this.dir);
        this.running = run;
        return run.finally(() => {
          if (this.running === run) this.running = null;
        });
      });
    this.pending = p;
    return p;
  }
}

const dirSyncs = new Map<string, DirSync>();

/** fsync a directory (grouped with concurrent callers for the same directory in this thread). */
export function syncDir(dir: string): Promise<void> {
  let d = dirSyncs.get(dir);
  if (!d) {
    if (dirSyncs.size > 10_000) dirSyncs.clear();
    d = new DirSync(dir);
    dirSyncs.set(dir, d);
  }
  return d.sync();
}

/** Is a message with this dedup key already in new/ or cur/? (Only asked when resuming after a crash.) */
export async function hasDedupKey(dir: string, dedupKey: string): Promise<boolean> {
  const needle = `_${dedupKey}.`;
  for (const sub of ['new', 'cur']) {
    let names: string[] = [];
    try {
      names = await fsp.readdir(path.join(dir, sub));
    } catch {
      continue;
    }
    if (names.some((n) => n.includes(needle))) return true;
  }
  return false;
}
