// Making a backup file: a gzipped POSIX tar holding the config in use, online snapshots of the SQLite
// databases (better-sqlite3's backup API, safe while the server runs), the keys, DKIM and TLS files, and
// optionally the Maildir tree (and the orphaned folders of deleted accounts, data/orphans/), streamed file
// by file; manifest.json (with SHA-256 of every entry) comes last.
// The file is written 0600 to a temporary name, fsynced, then renamed: a reader never sees half a backup.
// It never copies the spool, and writes into data_dir only run/last-backup.json (what `tegami status` shows).
import { recordLastBackup } from './last-backup.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import type { LoadedConfig } from '../config/load.js';
import { endBlocks, headerBlocks, padding } from './tar.js';
import { FORMAT, FORMAT_VERSION, MANIFEST_PATH, modeString, type Manifest, type ManifestEntry } from './manifest.js';
import { listOrphans, orphansDir } from '../store/orphans.js';
import { databaseFile } from '../db/database.js';
import { fsyncDir } from '../util/durable-file.js';

export interface BackupOptions {
  file: string;
  withMail: boolean;
  withBayes: boolean;
  /** The daily log files (<data_dir>/logs, gzipped ones too). */
  withLogs?: boolean;
  force: boolean;
  /**
   * Record it as the last backup in run/last-backup.json (default). The web administration's download says
   * false: it records its own run/last-download.json, since the server keeps no copy of the file.
   */
  record?: boolean;
}

export type BackupResult =
  | { ok: true; file: string; manifest: Manifest; archiveBytes: number; vanished: number; notes: string[] }
  | { ok: false; reason: string };

/** SQLite companions never copied: the snapshot already holds their content. */
const SQLITE_SIDE = /-(wal|shm|journal)$/;
const MAX_DEPTH = 16;

export function tegamiVersion(): string {
  try {
    const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json');
    return String((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** Whether a file starts with the SQLite header (false when it cannot be read). */
export function isSqlite(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(16);
      fs.readSync(fd, b, 0, 16, 0);
      return b.toString('latin1') === 'SQLite format 3\0';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * A consistent copy of a live SQLite database into `dest` (online backup; WAL content included). Read-only
 * first; a database that needs recovery first (a hot journal, a WAL left by a crash) is opened read-write.
 */
async function snapshot(src: string, dest: string): Promise<void> {
  try {
    await snapshotWith(src, dest, true);
  } catch (e) {
    if (!/readonly|read-only|CANTOPEN|unable to open/i.test(`${(e as { code?: string }).code ?? ''} ${(e as Error).message}`)) throw e;
    fs.rmSync(dest, { force: true });
    await snapshotWith(src, dest, false);
  }
}

async function snapshotWith(src: string, dest: string, readonly: boolean): Promise<void> {
  const db = new Database(src, { readonly, fileMustExist: true, timeout: 5000 });
  try {
    await db.backup(dest);
  } finally {
    db.close();
  }
}

function within(dir: string, p: string): string | null {
  const rel = path.relative(dir, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : null;
}

interface Planned {
  /** Archive path. */
  path: string;
  /** Where to read it from (a snapshot in the staging dir for databases). */
  source: string;
  mode: number;
}

export async function createBackup(config: LoadedConfig, opts: BackupOptions): Promise<BackupResult> {
  const dataDir = config.data_dir;
  const dest = path.resolve(opts.file);
  const accountsDb = databaseFile(dataDir);
  if (!fs.existsSync(accountsDb)) return { ok: false, reason: `no accounts database at ${accountsDb} (is --config right?)` };
  if (fs.existsSync(dest) && !opts.force) return { ok: false, reason: `${dest} exists (use --force to replace it)` };
  if (!fs.existsSync(path.dirname(dest))) return { ok: false, reason: `directory ${path.dirname(dest)} does not exist` };
  for (const sub of ['mail', 'orphans', 'keys', 'dkim', 'tls', ...(opts.withLogs ? ['logs'] : [])]) {
    if (within(path.join(dataDir, sub), dest) !== null) return { ok: false, reason: `the backup file must not be inside ${path.join(dataDir, sub)}, which it copies` };
  }

  const staging = fs.mkdtempSync(path.join(path.dirname(dest), '.tegami-backup-'));
  fs.chmodSync(staging, 0o700);
  const tmp = `${dest}.tmp-${process.pid}`;
  const entries: ManifestEntry[] = [];
  const counts = { files: 0, dirs: 0, messages: 0, bytes: 0 };
  let vanished = 0;
  let orphans = 0;
  try {
    // 1. what is small and known in advance: config, database snapshots, keys
    const planned: Planned[] = [];
    if (config.source && fs.existsSync(config.source)) planned.push({ path: `config/${path.basename(config.source)}`, source: config.source, mode: 0o600 });
    const snapAccounts = databaseFile(staging);
    await snapshot(accountsDb, snapAccounts);
    planned.push({ path: 'data/tegami.db', source: snapAccounts, mode: 0o600 });
    const bayesDb = path.join(dataDir, 'bayes.db');
    let bayes = false;
    if (opts.withBayes && fs.existsSync(bayesDb)) {
      const snapBayes = path.join(staging, 'bayes.db');
      await snapshot(bayesDb, snapBayes);
      planned.push({ path: 'data/bayes.db', source: snapBayes, mode: 0o600 });
      bayes = true;
    }
    const keyFiles = (sub: string) => walkFiles(path.join(dataDir, sub)).map((f) => ({ path: `data/${sub}/${f.rel}`, source: f.abs, mode: 0o600 }));
    const keys = keyFiles('keys');
    const dkim = keyFiles('dkim');
    const tlsOwn = keyFiles('tls').map((p) => ({ ...p, mode: p.path.endsWith('.crt') ? 0o644 : 0o600 }));
    planned.push(...keys, ...dkim, ...tlsOwn);
    const tls = tlsOwn.map((p) => p.path);
    const notes: string[] = [];
    const logs = opts.withLogs ? walkFiles(path.join(dataDir, 'logs')) : [];
    for (const [file, mode] of [[config.tls.cert, 0o644], [config.tls.key, 0o600]] as const) {
      const rel = file ? within(dataDir, file) : null;
      if (file && rel && !planned.some((p) => p.path === `data/${rel}`) && fs.existsSync(file)) {
        planned.push({ path: `data/${rel}`, source: file, mode });
        tls.push(`data/${rel}`);
      } else if (file && !rel) notes.push(`${file} is outside data_dir: not included`);
    }

    // 2. the archive: planned files, then the Maildir tree walked as it is written, then the manifest
    async function* archive(): AsyncGenerator<Buffer> {
      for (const p of planned) yield* fileEntry(p.path, p.source, p.mode);
      for (const f of logs) {
        // the daily pass may have gzipped or removed a past day's file since it was listed: skip it, say so
        const fh = await fsp.open(f.abs, 'r').catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return null;
          throw e;
        });
        if (fh) yield* fileEntry(`data/logs/${f.rel}`, f.abs, 0o600, fh);
        else notes.push(`logs/${f.rel} went away while the backup ran (compressed or removed by the daily pass)`);
      }
      if (opts.withMail) {
        yield* mailTree(path.join(dataDir, 'mail'), 'data/mail', staging, 0);
        // deleted accounts' folders are mail too: kept until the operator removes them, so kept here
        orphans = listOrphans(dataDir).length;
        if (orphans) yield* mailTree(orphansDir(dataDir), 'data/orphans', staging, 0);
      }
      const manifest = manifestOf();
      const body = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
      yield headerBlocks({ path: MANIFEST_PATH, type: 'file', size: body.length, mode: 0o600, mtime: Date.now() / 1000 });
      yield body;
      yield padding(body.length);
      yield endBlocks();
    }

    async function* fileEntry(archivePath: string, source: string, mode: number, fh?: fsp.FileHandle): AsyncGenerator<Buffer> {
      const handle = fh ?? (await fsp.open(source, 'r'));
      try {
        const st = await handle.stat();
        yield headerBlocks({ path: archivePath, type: 'file', size: st.size, mode, mtime: st.mtimeMs / 1000 });
        const hash = crypto.createHash('sha256');
        let left = st.size;
        const buf = Buffer.alloc(1 << 16);
        while (left > 0) {
          const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, left), st.size - left);
          if (bytesRead === 0) throw new Error(`${source} shrank while it was being read`);
          const chunk = Buffer.from(buf.subarray(0, bytesRead));
          hash.update(chunk);
          left -= bytesRead;
          yield chunk;
        }
        yield padding(st.size);
        entries.push({ path: archivePath, type: 'file', size: st.size, mode: modeString(mode), sha256: hash.digest('hex') });
        counts.files++;
        counts.bytes += st.size;
      } finally {
        await handle.close();
      }
    }

    /** Per Maildir folder: message base names (the part before ":") seen in a listing, and archived. */
    interface FolderState {
      listed: Set<string>;
      archived: Set<string>;
    }

    async function* mailTree(dir: string, archiveDir: string, stagingDir: string, depth: number, folder?: FolderState): AsyncGenerator<Buffer> {
      let st: fs.Stats;
      try {
        st = await fsp.stat(dir);
      } catch {
        return;
      }
      if (!st.isDirectory()) return;
      yield headerBlocks({ path: archiveDir, type: 'dir', size: 0, mode: st.mode, mtime: st.mtimeMs / 1000 });
      entries.push({ path: archiveDir, type: 'dir', size: 0, mode: modeString(st.mode) });
      counts.dirs++;
      // tmp/ holds deliveries in progress: the directory is kept, its content never
      if (path.basename(dir) === 'tmp' || depth > MAX_DEPTH) return;
      const sub = path.basename(dir);
      const names = walkOrder(await fsp.readdir(dir));
      if (folder && (sub === 'new' || sub === 'cur')) {
        for (const name of names) yield* message(dir, `${archiveDir}`, name, folder);
        return;
      }
      // a Maildir folder: <local>/Maildir itself, or one of its ".Name" subfolders (Maildir++)
      const isFolder = sub === 'Maildir' || (sub.startsWith('.') && path.basename(path.dirname(dir)) === 'Maildir');
      const own: FolderState = { listed: new Set(), archived: new Set() };
      for (const name of names) {
        if (SQLITE_SIDE.test(name)) continue;
        const abs = path.join(dir, name);
        const ap = `${archiveDir}/${name}`;
        let lst: fs.Stats;
        try {
          lst = await fsp.lstat(abs);
        } catch {
          continue; // removed since readdir
        }
        if (lst.isDirectory()) {
          yield* mailTree(abs, ap, stagingDir, depth + 1, isFolder ? own : undefined);
          continue;
        }
        if (!lst.isFile()) continue;
        if (isSqlite(abs)) {
          // a mailbox index: snapshot it so UIDs and UIDVALIDITY survive the restore
          const snap = path.join(stagingDir, `index-${entries.length}.sqlite`);
          await snapshot(abs, snap);
          try {
            yield* fileEntry(ap, snap, lst.mode);
          } finally {
            await fsp.rm(snap, { force: true });
          }
          continue;
        }
        yield* fileEntry(ap, abs, lst.mode);
      }
      if (!isFolder) return;
      // readdir is not a snapshot: a message renamed while new/ or cur/ was being listed may have been in
      // neither listing. List both again until a pass finds nothing unarchived (a few passes at most).
      for (let pass = 0; pass < 3; pass++) {
        let more = false;
        for (const s of ['new', 'cur']) {
          let again: string[];
          try {
            again = await fsp.readdir(path.join(dir, s));
          } catch {
            continue;
          }
          for (const name of again) {
            if (own.archived.has(name.split(':')[0])) continue;
            more = true;
            yield* message(path.join(dir, s), `${archiveDir}/${s}`, name, own);
          }
        }
        if (!more) break;
      }
      for (const b of own.listed) if (!own.archived.has(b)) vanished++;
    }

    /** One message file of new/ or cur/, archived once per base name whatever renames happen meanwhile. */
    async function* message(dir: string, archiveDir: string, name: string, folder: FolderState): AsyncGenerator<Buffer> {
      const base = name.split(':')[0];
      folder.listed.add(base);
      if (folder.archived.has(base)) return;
      const opened = await openMessage(dir, name);
      if (!opened) return;
      const st = await opened.fh.stat();
      if (!st.isFile()) {
        await opened.fh.close();
        return;
      }
      folder.archived.add(base);
      yield* fileEntry(`${archiveDir}/${opened.name}`, path.join(dir, opened.name), st.mode, opened.fh);
      counts.messages++;
    }

    function manifestOf(): Manifest {
      return {
        format: FORMAT,
        version: FORMAT_VERSION,
        tegami: tegamiVersion(),
        created: new Date().toISOString(),
        machine: os.hostname(),
        hostname: config.hostname,
        data_dir: dataDir,
        config_file: config.source ?? null,
        includes: { accounts: true, keys: keys.length > 0, dkim: dkim.length, tls, mail: opts.withMail, bayes, queue: false, ...(opts.withMail ? { orphans } : {}), ...(opts.withLogs ? { logs: entries.filter((e) => e.path.startsWith('data/logs/')).length } : {}) },
        counts,
        entries,
      };
    }

    const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    let archiveBytes = 0;
    try {
      fs.fchmodSync(fd, 0o600);
      const out = fs.createWriteStream('', { fd, autoClose: false });
      const gzip = zlib.createGzip({ level: 6 });
      gzip.on('data', (c: Buffer) => (archiveBytes += c.length));
      await pipeline(Readable.from(archive(), { objectMode: false }), gzip, out);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, dest);
    fsyncDir(path.dirname(dest));
    const manifest = manifestOf();
    if (opts.record !== false) recordLastBackup(dataDir, { file: dest, created: manifest.created, bytes: archiveBytes, files: manifest.counts.files, messages: manifest.counts.messages, includes: manifest.includes as unknown as Record<string, unknown> });
    return { ok: true, file: dest, manifest, archiveBytes, vanished, notes };
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    return { ok: false, reason: (e as Error).message };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Open a Maildir message file. new/ is walked before cur/, so a message moved from new/ to cur/ after the
 * listing of new/ is skipped there (null) and found in cur/; one renamed inside cur/ by a flag change is
 * looked up again by its unique base name (the part before ":").
 */
async function openMessage(dir: string, name: string): Promise<{ name: string; fh: fsp.FileHandle } | null> {
  try {
    return { name, fh: await fsp.open(path.join(dir, name), 'r') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (path.basename(dir) !== 'cur') return null;
  const base = name.split(':')[0];
  // renamed again between our listing and open: look again, a few times (flag changes are rare; a loop
  // that always loses means the message keeps moving, and the next backup has it)
  for (let attempt = 0; attempt < 10; attempt++) {
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch {
      return null;
    }
    const found = names.find((n) => n.split(':')[0] === base);
    if (!found) return null; // expunged
    try {
      return { name: found, fh: await fsp.open(path.join(dir, found), 'r') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return null;
}

/** Directory listing order for the walk: new/ before cur/ (see openMessage), the rest sorted. */
function walkOrder(names: string[]): string[] {
  const rank = (n: string) => (n === 'new' ? 0 : n === 'cur' ? 1 : 2);
  return names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function walkFiles(root: string): { rel: string; abs: string }[] {
  const out: { rel: string; abs: string }[] = [];
  const walk = (dir: string, rel: string, depth: number) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const abs = path.join(dir, n);
      const st = fs.lstatSync(abs);
      if (st.isDirectory() && depth < MAX_DEPTH) walk(abs, rel ? `${rel}/${n}` : n, depth + 1);
      else if (st.isFile() && !n.includes('.tmp')) out.push({ rel: rel ? `${rel}/${n}` : n, abs });
    }
  };
  walk(root, '', 0);
  return out;
}

