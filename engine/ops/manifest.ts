// The backup file's manifest (manifest.json, the archive's last entry): format version, who made it and
// when, what is included, and the size, mode and SHA-256 of every other entry. Also the rule for which
// archive paths are acceptable at all. It never reads or writes files.

export const FORMAT = 'tegami-backup';
export const FORMAT_VERSION = 1;
export const MANIFEST_PATH = 'manifest.json';

export interface ManifestEntry {
  path: string;
  type: 'file' | 'dir';
  size: number;
  /** Octal string, e.g. "0600". */
  mode: string;
  sha256?: string;
}

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  tegami: string;
  created: string;
  /** The machine the backup was made on (os.hostname()). */
  machine: string;
  /** The server's configured hostname. */
  hostname: string;
  data_dir: string;
  config_file: string | null;
  /** orphans: deleted accounts' mail folders (data/orphans/, with --with-mail); absent in older backups.
   *  logs: the number of log files, only in backups made with --with-logs. */
  includes: { accounts: boolean; keys: boolean; dkim: number; tls: string[]; mail: boolean; bayes: boolean; queue: false; orphans?: number; logs?: number };
  counts: { files: number; dirs: number; messages: number; bytes: number };
  entries: ManifestEntry[];
}

/**
 * An archive path is "manifest.json", "config/NAME" or "data/REL" with REL a relative path of plain
 * segments (no "..", ".", empty, absolute or backslash parts): restore never writes outside data_dir.
 */
export function safeArchivePath(p: string): boolean {
  if (p === MANIFEST_PATH) return true;
  if (p.length > 4096 || /[\0\\]/.test(p)) return false;
  const parts = p.split('/');
  if (parts[0] === 'config') return parts.length === 2 && plain(parts[1]);
  if (parts[0] !== 'data' || parts.length < 2) return false;
  return parts.slice(1).every(plain);
}

function plain(seg: string): boolean {
  return seg !== '' && seg !== '.' && seg !== '..';
}

/** Top-level names in the data dir a TLS file of the config (includes.tls) can never be: the server's own. */
const SERVER_OWNED = new Set(['run', 'spool', 'lists', 'jmap', 'mta-sts', 'restored-config', 'mail', 'orphans', 'logs', 'keys', 'dkim', 'tegami.db', 'bayes.db']);

/**
 * Whether `tegami backup` writes an entry like this one (engine/ops/backup.ts): the accounts and Bayes databases,
 * files under keys/, dkim/ and tls/, log files (with --with-logs), the mail and orphans trees (with --with-mail),
 * the config, and the config's TLS certificate and key where they are inside the data dir (named in includes.tls).
 * Anything else (run/tegami.pid, spool/…, a database's -wal) is not from a tegami backup: a reason, else null.
 */
export function unexpectedEntry(e: ManifestEntry, includes: Manifest['includes'] | undefined): string | null {
  const parts = e.path.split('/');
  const file = e.type === 'file';
  if (parts[0] === 'config') return file ? null : 'is not a file';
  const top = parts[1];
  if (parts.length === 2 && (top === 'tegami.db' || top === 'bayes.db')) return file ? null : 'is not a file';
  if (top === 'keys' || top === 'dkim' || top === 'tls' || top === 'logs') {
    if (parts.length < 3) return 'is not something tegami backup writes';
    return file ? null : 'is not a file';
  }
  if (top === 'mail' || top === 'orphans') return null; // the Maildir trees: folders, messages and their indexes
  const tls = Array.isArray(includes?.tls) ? includes.tls : [];
  if (file && tls.includes(e.path) && !SERVER_OWNED.has(top) && !/-(wal|shm|journal)$/.test(e.path)) return null;
  return 'is not something tegami backup writes';
}

/** Check a parsed manifest's shape; returns a reason when it is not one we can restore. */
export function checkManifest(m: unknown): { ok: true; manifest: Manifest } | { ok: false; reason: string } {
  const x = m as Partial<Manifest> | null;
  if (!x || typeof x !== 'object' || x.format !== FORMAT) return { ok: false, reason: 'not a tegami backup (manifest format)' };
  if (x.version !== FORMAT_VERSION) return { ok: false, reason: `backup format version ${String(x.version)} is not supported (this tegami reads version ${FORMAT_VERSION})` };
  if (!Array.isArray(x.entries)) return { ok: false, reason: 'manifest has no entry list' };
  const seen = new Set<string>();
  for (const e of x.entries) {
    if (!e || typeof e.path !== 'string' || !safeArchivePath(e.path) || e.path === MANIFEST_PATH) return { ok: false, reason: `manifest names an unsafe path ${JSON.stringify(e?.path)}` };
    if (seen.has(e.path)) return { ok: false, reason: `manifest names ${e.path} twice` };
    seen.add(e.path);
    if (e.type !== 'file' && e.type !== 'dir') return { ok: false, reason: `manifest entry ${e.path} has a bad type` };
    if (!/^0[0-7]{3}$/.test(String(e.mode))) return { ok: false, reason: `manifest entry ${e.path} has a bad mode` };
    if (e.type === 'file' && (!Number.isSafeInteger(e.size) || e.size < 0 || !/^[0-9a-f]{64}$/.test(String(e.sha256)))) {
      return { ok: false, reason: `manifest entry ${e.path} has a bad size or checksum` };
    }
    const odd = unexpectedEntry(e, x.includes);
    if (odd) return { ok: false, reason: `${e.path} ${odd} (a foreign or altered backup)` };
  }
  if (x.entries.filter((e) => e.path.startsWith('config/')).length > 1) return { ok: false, reason: 'more than one config/ file (a foreign or altered backup)' };
  return { ok: true, manifest: x as Manifest };
}

export function modeString(mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0');
}
