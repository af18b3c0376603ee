// run/last-backup.json: the record of the last backup made (by `tegami backup` or the admin page's download),
// shown by `tegami status`, the status document and the admin backup page. Read back checked, since it is a
// file on disk; a failure to write it never fails the backup it describes.
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

export function lastBackupFile(dataDir: string): string {
  return path.join(dataDir, 'run', 'last-backup.json');
}

export function readLastBackup(dataDir: string): LastBackup | null {
  try {
    const x = JSON.parse(fs.readFileSync(lastBackupFile(dataDir), 'utf8')) as Partial<LastBackup>;
    if (typeof x.file !== 'string' || typeof x.created !== 'string' || typeof x.bytes !== 'number') return null;
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
export function recordLastBackup(dataDir: string, b: LastBackup): void {
  const file = lastBackupFile(dataDir);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(b) + '\n', { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    // read-only data dir (a backup taken as another user): status just will not show it
  }
}
