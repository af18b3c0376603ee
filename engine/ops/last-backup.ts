// run/last-backup.json: the record of the last backup made by `tegami backup` (by hand or on a timer), the
// file kept on disk; run/last-download.json: the last one downloaded from the web administration (the server
// keeps no copy of it, so it is no backup to count on). Shown apart by `tegami status`, the status document, the
// admin backup page and /metrics. Read back checked, since they are files on disk; a failure to write one never
// fails the backup it describes.
import fs from 'node:fs';
import path from 'node:path';

export interface LastBackup {
  file: string;
  created: string;
  bytes: number;
  files: number;
  messages: number;
  includes: Record<string, unknown>;
  /** The admin who downloaded it from the web administration (absent for the CLI). */
  by?: string;
}

/** Which record: a backup made by `tegami backup`, or one downloaded from the web administration. */
export type BackupKind = 'backup' | 'download';

export function lastBackupFile(dataDir: string, kind: BackupKind = 'backup'): string {
  return path.join(dataDir, 'run', kind === 'backup' ? 'last-backup.json' : 'last-download.json');
}

export function readLastBackup(dataDir: string, kind: BackupKind = 'backup'): LastBackup | null {
  try {
    const x = JSON.parse(fs.readFileSync(lastBackupFile(dataDir, kind), 'utf8')) as Partial<LastBackup>;
    if (typeof x.file !== 'string' || typeof x.created !== 'string' || typeof x.bytes !== 'number' || !(x.bytes >= 0) || !Number.isFinite(Date.parse(x.created))) return null;
    // a record left by an older version, where a download overwrote the backup's record, is not a backup
    if (kind === 'backup' && typeof x.by === 'string') return null;
    return {
      file: x.file,
      created: x.created,
      bytes: x.bytes,
      files: Number(x.files) || 0,
      messages: Number(x.messages) || 0,
      includes: typeof x.includes === 'object' && x.includes ? x.includes : {},
      ...(typeof x.by === 'string' ? { by: x.by } : {}),
    };
  } catch {
    return null;
  }
}

/** Written whole (temporary file, then rename), private. */
export function recordLastBackup(dataDir: string, b: LastBackup, kind: BackupKind = 'backup'): void {
  const file = lastBackupFile(dataDir, kind);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(b) + '\n', { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    // read-only data dir (a backup taken as another user): status just will not show it
  }
}
