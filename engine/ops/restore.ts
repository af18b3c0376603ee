// Restoring a backup file into a data dir: refuse while a server runs on it or when it already has
// accounts (unless forced); read the whole archive once to check the manifest and every SHA-256 before
// writing anything; then stage every file next to its target (fsynced, checked again) and rename them all.
// It never writes outside data_dir, never follows an archive path with "..", and never installs the
// backed-up config over the one in use (that copy goes to <data_dir>/restored-config/ for the operator).
// Orphaned folders of deleted accounts (data/orphans/, in backups made with --with-mail) come back as they
// were. Every directory it makes is private (0700).
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { readTar, TarError, type TarHeader } from './tar.js';
import { claimPidFile, releasePidFile } from './pid-file.js';
import { checkManifest, MANIFEST_PATH, safeArchivePath, type Manifest } from './manifest.js';
import { isSqlite } from './backup.js';
import { CountingHash } from '../util/counting-hash.js';
import { cannotRead } from '../util/file-problem.js';
import { fsyncDir } from '../util/durable-file.js';
import { databaseFile } from '../db/database.js';

export interface RestoreOptions {
  file: string;
  force: boolean;
}

export type RestoreResult =
  | { ok: true; manifest: Manifest; files: number; dirs: number; bytes: number; configSavedAs: string | null }
  | { ok: false; reason: string };

const MAX_MANIFEST = 64 * 1024 * 1024;

/** The pid in <data_dir>/run/tegami.pid when that process is alive, else null. */
export function runningServer(dataDir: string): number | null {
  const file = path.join(dataDir, 'run', 'tegami.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  // a pid file left by a crash may name a process that took the number since (a container's pid 7). It counts
  // when its command line names tegami, or when it started before the pid file was written (the server writes
  // it after it starts; a process that took the number started after: this holds for a server run by any name)
  try {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tegami')) return pid;
  } catch {
    return pid; // no /proc, or not ours to read: the live pid is all there is to go on
  }
  const started = startedAt(pid);
  if (started === null) return null;
  try {
    // slack for the start time's 10 ms ticks and a file system's coarse mtime
    return started <= fs.statSync(file).mtimeMs + 2000 ? pid : null;
  } catch {
    return null;
  }
}

/** When a process started (ms since the epoch) by /proc/<pid>/stat and the boot time; null where /proc does not say. */
function startedAt(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after "(comm)": state is the 3rd field of the line, starttime the 22nd (clock ticks after boot)
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime) || btime <= 0) return null;
    return btime * 1000 + ticks * 10; // USER_HZ is 100 wherever Linux exports /proc
  } catch {
    return null;
  }
}

/** What a restore would replace, each named: rows of the accounts database (its tables) and DKIM key files. */
const REPLACED: { what: string; table?: string; one: string; many: string }[] = [
  { what: 'domains', table: 'domains', one: 'domain', many: 'domains' },
  { what: 'users', table: 'users', one: 'user', many: 'users' },
  { what: 'aliases', table: 'aliases', one: 'alias', many: 'aliases' },
  { what: 'lists', table: 'lists', one: 'mailing list', many: 'mailing lists' },
  { what: 'list_members', table: 'list_members', one: 'list member', many: 'list members' },
  { what: 'sieve_scripts', table: 'sieve_scripts', one: 'Sieve script', many: 'Sieve scripts' },
  { what: 'api_tokens', table: 'api_tokens', one: 'API token', many: 'API tokens' },
  { what: 'settings', table: 'settings', one: 'setting changed from the admin web', many: 'settings changed from the admin web' },
  { what: 'dkim_keys', one: 'DKIM key', many: 'DKIM keys' },
];

/** What is in the data dir that a restore replaces, by kind (zero counts left out; empty for a fresh data dir). */
export function existingData(dataDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const file = databaseFile(dataDir);
  if (fs.existsSync(file)) {
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      for (const r of REPLACED) {
        if (!r.table) continue;
        const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(r.table);
        const n = exists ? (db.prepare(`SELECT count(*) AS n FROM ${r.table}`).get() as { n: number }).n : 0;
        if (n) out[r.what] = n;
      }
    } finally {
      db.close();
    }
  }
  // dkim/<domain>/<selector>.key
  let keys = 0;
  const dkim = path.join(dataDir, 'dkim');
  for (const d of fs.existsSync(dkim) ? fs.readdirSync(dkim, { withFileTypes: true }) : []) {
    if (!d.isDirectory()) continue;
    try {
      keys += fs.readdirSync(path.join(dkim, d.name), { withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.key')).length;
    } catch {
      // unreadable: not counted
    }
  }
  if (keys) out.dkim_keys = keys;
  return out;
}

/** "2 domains, 1 user and 3 API tokens": each kind named with its count, in a fixed order. */
export function describeExisting(d: Record<string, number>): string {
  const parts = REPLACED.filter((r) => d[r.what]).map((r) => `${d[r.what]} ${d[r.what] === 1 ? r.one : r.many}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : (parts[0] ?? 'nothing');
}

/** The archive's entries, decompressed, as one stream whose errors (read or gunzip) reach the reader. */
function open(file: string): NodeJS.ReadableStream & AsyncIterable<Buffer> & { destroy(): void } {
  const gunzip = zlib.createGunzip();
  return pipeline(fs.createReadStream(file), gunzip, () => {}) as never;
}

interface Seen {
  type: 'file' | 'dir';
  size: number;
  sha256: string;
}

/** Pass 1: read everything, check the manifest against what is really in the archive. Writes nothing. */
export async function verifyBackup(file: string): Promise<{ ok: true; manifest: Manifest } | { ok: false; reason: string }> {
  const seen = new Map<string, Seen>();
  let manifestText: Buffer | null = null;
  const src = open(file);
  try {
    await readTar(src, (h: TarHeader) => {
      if (!safeArchivePath(h.path)) throw new TarError(`unsafe path in archive: ${JSON.stringify(h.path)}`);
      if (seen.has(h.path) || (h.path === MANIFEST_PATH && manifestText)) throw new TarError(`${h.path} appears twice`);
      if (h.path === MANIFEST_PATH) {
        if (h.size > MAX_MANIFEST) throw new TarError('manifest too large');
        const parts: Buffer[] = [];
        return { write: (c) => void parts.push(c), end: () => void (manifestText = Buffer.concat(parts)) };
      }
      const counted = new CountingHash();
      return {
        write: (c) => counted.update(c),
        end: () => void seen.set(h.path, { type: h.type, size: counted.size, sha256: counted.digest().toString('hex') }),
      };
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') return { ok: false, reason: cannotRead(file, e) };
    return { ok: false, reason: `damaged backup file: ${(e as Error).message}` };
  } finally {
    src.destroy();
  }
  if (!manifestText) return { ok: false, reason: 'damaged backup file: no manifest.json (truncated, or not a tegami backup)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse((manifestText as Buffer).toString('utf8'));
  } catch {
    return { ok: false, reason: 'damaged backup file: manifest.json is not JSON' };
  }
  const c = checkManifest(parsed);
  if (!c.ok) return { ok: false, reason: `damaged backup file: ${c.reason}` };
  for (const e of c.manifest.entries) {
    const s = seen.get(e.path);
    if (!s) return { ok: false, reason: `damaged backup file: ${e.path} is missing` };
    if (s.type !== e.type) return { ok: false, reason: `damaged backup file: ${e.path} has the wrong type` };
    if (e.type === 'file' && (s.size !== e.size || s.sha256 !== e.sha256)) return { ok: false, reason: `damaged backup file: checksum mismatch for ${e.path}` };
  }
  if (seen.size !== c.manifest.entries.length) {
    const listed = new Set(c.manifest.entries.map((e) => e.path));
    const extra = [...seen.keys()].find((p) => !listed.has(p));
    return { ok: false, reason: `damaged backup file: ${extra} is not in the manifest` };
  }
  return { ok: true, manifest: c.manifest };
}

interface Staged {
  tmp: string;
  target: string;
}

export async function restoreBackup(dataDir: string, opts: RestoreOptions): Promise<RestoreResult> {
  const file = path.resolve(opts.file);
  if (!fs.existsSync(file)) return { ok: false, reason: cannotRead(file, { code: 'ENOENT' }) };
  const pid = runningServer(dataDir);
  if (pid !== null) return { ok: false, reason: `a server (pid ${pid}) is running on ${dataDir}; stop it first` };
  let existing: Record<string, number> = {};
  try {
    existing = existingData(dataDir);
  } catch (e) {
    if (!opts.force) return { ok: false, reason: `cannot read the accounts database in ${dataDir} (${(e as Error).message}); use --force to replace it` };
  }
  if ((existing.domains || existing.users || existing.aliases) && !opts.force) {
    // each thing that would be lost, counted, so the operator knows what --force throws away
    return {
      ok: false,
      reason: `${dataDir} already has ${describeExisting(existing)}; a restore replaces all of these with the backup's (the accounts database and the keys; mail on disk stays, files the backup also holds are overwritten); nothing was written; use --force to replace them`,
    };
  }

  const v = await verifyBackup(file);
  if (!v.ok) return { ok: false, reason: `${v.reason}; nothing was written` };
  // a small file may unpack to far more (a gzip bomb): what the verified manifest adds up to must fit, with room to
  // spare, before the first byte is staged
  const needed = v.manifest.entries.reduce((n, e) => n + (e.type === 'file' ? e.size : 0), 0);
  const free = freeBytes(dataDir);
  if (free !== null && needed + RESTORE_HEADROOM > free) {
    return { ok: false, reason: `the backup holds ${needed} bytes and ${dataDir}'s file system has ${free} free (${RESTORE_HEADROOM} kept spare); nothing was written` };
  }
  // from here files are written: the pid file is held as `serve` holds it (engine/ops/pid-file.ts), so a serve
  // started while the files are replaced refuses to start, and one started since the check above is seen
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const claim = claimPidFile(dataDir);
  if (!claim.ok) return { ok: false, reason: `a server (pid ${claim.pid}) is running on ${dataDir}; stop it first` };
  try {
    return await placeFiles(dataDir, file, v.manifest);
  } finally {
    releasePidFile(claim.file);
  }
}

/** Stage every entry of a verified backup beside its target, then put them in place. */
async function placeFiles(dataDir: string, file: string, manifest: Manifest): Promise<RestoreResult> {
  const byPath = new Map(manifest.entries.map((e) => [e.path, e]));
  const realData = fs.realpathSync(dataDir);
  const owner = ownerFor(realData);
  const staged: Staged[] = [];
  const dirs: { dir: string; mode: number }[] = [];
  const touched = new Set<string>();
  const configDir = path.join(dataDir, 'restored-config');
  let configSavedAs: string | null = null;
  let files = 0;
  let bytes = 0;

  const targetOf = (p: string): string => {
    if (p.startsWith('config/')) return path.join(configDir, p.slice('config/'.length));
    return path.join(dataDir, ...p.slice('data/'.length).split('/'));
  };
  /** Make target's parent directories one by one under the data dir, never through a symbolic link. */
  const makeParent = (target: string, rel: string) => {
    const parent = path.dirname(target);
    // every directory in the data dir is private (0700), whatever the archive or the umask says
    const mode = 0o700;
    const segments = path.relative(dataDir, parent).split(path.sep).filter(Boolean);
    if (segments.includes('..')) throw new Error(`${parent} is outside the data dir`);
    let dir = realData;
    for (const seg of segments) {
      dir = path.join(dir, seg);
      let st: fs.Stats | null = null;
      try {
        st = fs.lstatSync(dir);
      } catch {
        fs.mkdirSync(dir, { mode });
        if (owner) fs.chownSync(dir, owner.uid, owner.gid);
        continue;
      }
      if (st.isSymbolicLink()) throw new Error(`${dir} is a symbolic link: it leads outside the data dir`);
      if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
    }
    touched.add(dir);
  };

  const src = open(file);
  let openFd: number | null = null;
  let placed = 0;
  try {
    await readTar(src, (h) => {
      if (h.path === MANIFEST_PATH) return null;
      const e = byPath.get(h.path);
      if (!e) throw new Error(`${h.path} is not in the manifest (the file changed since it was checked)`);
      const target = targetOf(h.path);
      const mode = parseInt(e.mode, 8);
      if (e.type === 'dir') {
        makeParent(path.join(target, 'x'), h.path + '/x');
        dirs.push({ dir: target, mode });
        return null;
      }
      makeParent(target, h.path);
      const tmp = `${target}.restore-${process.pid}`;
      const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
      openFd = fd;
      staged.push({ tmp, target });
      const counted = new CountingHash();
      return {
        write: (c) => {
          counted.update(c);
          for (let off = 0; off < c.length; ) off += fs.writeSync(fd, c, off);
        },
        end: () => {
          try {
            if (counted.size !== e.size || counted.digest().toString('hex') !== e.sha256) throw new Error(`checksum mismatch for ${h.path} (the file changed since it was checked)`);
            fs.fchmodSync(fd, mode);
            if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
            fs.fsyncSync(fd);
          } finally {
            fs.closeSync(fd);
            openFd = null;
          }
          files++;
          bytes += counted.size;
          if (h.path.startsWith('config/')) configSavedAs = target;
        },
      };
    });
    // every file is staged and checked: put them in place
    for (const s of staged) {
      if (isSqlite(s.tmp)) for (const side of ['-wal', '-shm', '-journal']) fs.rmSync(s.target + side, { force: true });
      fs.renameSync(s.tmp, s.target);
      placed++;
    }
  } catch (e) {
    if (openFd !== null) fs.closeSync(openFd);
    for (const s of staged.slice(placed)) fs.rmSync(s.tmp, { force: true });
    const what = placed ? `restore stopped after putting ${placed} of ${staged.length} file(s) in place (run it again with --force)` : 'restore failed, nothing was replaced';
    return { ok: false, reason: `${what}: ${(e as Error).message}` };
  } finally {
    src.destroy();
  }
  for (const d of dirs) {
    fs.chmodSync(d.dir, d.mode & 0o700); // (a backup made by an older version may record 0755)
    if (owner) fs.chownSync(d.dir, owner.uid, owner.gid);
  }
  for (const d of touched) fsyncDir(d);
  fsyncDir(dataDir);
  return { ok: true, manifest, files, dirs: dirs.length, bytes, configSavedAs };
}

const RESTORE_HEADROOM = 1024 * 1024;

/** Bytes free for this user on the file system of dir (or of its nearest existing parent); null where unknown. */
function freeBytes(dir: string): number | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const st = fs.statfsSync(d);
      return st.bavail * st.bsize;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || d === path.dirname(d)) return null;
    }
  }
}

/** Run as root on a data dir owned by someone else (the service user): restored files go to that owner. */
function ownerFor(dataDir: string): { uid: number; gid: number } | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const st = fs.statSync(dataDir);
  return st.uid === 0 ? null : { uid: st.uid, gid: st.gid };
}

