// Writing a small file so that a crash leaves either the old content or the new, never a torn or empty file:
// the data goes to a temporary name beside it (private, 0600), is fsynced, renamed over the file, and the
// directory is fsynced so the rename itself is on disk. Used for the server key (keys rotate), DKIM keys, the
// operator's holds and the MTA-STS policy cache. The queue's state files have an async twin (queue/state.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** fsync a directory so renames and creations in it are on disk. */
export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // some file systems refuse to fsync a directory; the rename is still atomic
  }
}

/**
 * The temporary name writeFileDurable uses for `file`: `<file>.<pid>.<random>.tmp` (unique across the worker
 * threads of one process); a crash may leave one behind, which the owner of the directory may sweep.
 */
export function durableTempName(file: string): string {
  return `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
}

/** Replace `file` with `data` atomically and durably (mode 0600); on an error the old file is left and the temporary one removed. */
export function writeFileDurable(file: string, data: string | Buffer): void {
  const tmp = durableTempName(file);
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(file));
}
