// Claiming <data_dir>/run/tegami.pid for the server about to start: the file is created whole and only when
// absent (link(2) of a written temp file), so of two serves started at once exactly one goes on. Never takes
// the file of a live server; a stale one (its pid gone, or not a tegami: runningServer) is replaced, and what it
// said is returned so the start can log it (the last run did not stop cleanly).
import fs from 'node:fs';
import path from 'node:path';
import { runningServer } from './restore.js';

/** What the replaced file said: its pid (as written), and why it was stale. */
export interface StalePid {
  pid: string;
  /** gone: no such process (a kill -9, a crash, a reboot); not-tegami: the number belongs to another process
   *  now; unreadable: the file held no pid at all. */
  reason: 'gone' | 'not-tegami' | 'unreadable';
}

export type PidClaim = { ok: true; file: string; stale?: StalePid } | { ok: false; pid: number };

function staleReason(text: string): StalePid {
  const pid = text.trim().slice(0, 32);
  const n = Number(pid);
  if (!/^\d+$/.test(pid) || !Number.isSafeInteger(n) || n <= 0) return { pid, reason: 'unreadable' };
  try {
    process.kill(n, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return { pid, reason: 'gone' };
  }
  return { pid, reason: 'not-tegami' };
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Create run/tegami.pid holding this process's pid; the live server's pid when there is one. */
export function claimPidFile(dataDir: string): PidClaim {
  const run = path.join(dataDir, 'run');
  fs.mkdirSync(run, { recursive: true });
  const file = path.join(run, 'tegami.pid');
  const tmp = path.join(run, `tegami.pid.${process.pid}.tmp`);
  fs.writeFileSync(tmp, String(process.pid));
  let stale: StalePid | undefined;
  const claimed = (): PidClaim => (stale ? { ok: true, file, stale } : { ok: true, file });
  try {
    for (let round = 0; round < 5; round++) {
      try {
        fs.linkSync(tmp, file);
        return claimed();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          // a file system without hard links: an exclusive create (the pid follows at once)
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
          try {
            fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
            return claimed();
          } catch (e2) {
            if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2;
          }
        }
      }
      const seen = read(file);
      const pid = runningServer(dataDir);
      if (pid !== null) return { ok: false, pid };
      // stale: removed only if it still says what was judged (another serve may have just replaced it)
      if (seen !== null && read(file) === seen) {
        stale = staleReason(seen);
        fs.rmSync(file, { force: true });
      }
    }
    throw new Error(`could not create ${file}: it keeps changing (another tegami starting?)`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Remove the pid file if it still holds this process's pid (a clean stop, or the end of a command that claimed it). */
export function releasePidFile(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
  } catch {
    // already gone
  }
}
