// /readyz: is this server able to take mail now? Every configured listener bound, the accounts database
// (and on PostgreSQL the shared database answering) and the spool writable (a real write, fsync and removal), the worker pool answering a task, and free
// space on the data dir above [health] min_free. Each check has a deadline; the answer names what failed.
// It never changes any state a message depends on (its probe files have names the spool ignores).
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diskSpace } from './collectors.js';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckResult>;
}

export interface ReadinessDeps {
  /** Listeners named in the config, each with whether it is bound now. */
  listeners: () => { name: string; bound: boolean }[];
  /** A write transaction on the accounts database; throws when it cannot write. */
  dbWrite: () => void;
  spoolDirs: string[];
  /** PostgreSQL: a trivial statement on the shared database, where the mailboxes and the queue are: without it
   * every RCPT gets 451 and no mailbox opens, so the node is not ready (the `postgres` check, only on PostgreSQL). */
  pingShared?: () => Promise<unknown>;
  /** Runs a trivial task on the worker pool. */
  pingPool?: () => Promise<unknown>;
  dataDir: string;
  /** Ready only with at least this much free space: bytes, or a percentage of the file system. */
  minFree: { bytes: number } | { percent: number };
  timeoutMs?: number;
}

/** The worker-pool task /readyz runs (its file is given to piscina as the task's filename). */
export const POOL_PING = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pool-ping.js');

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
}

async function probeDir(dir: string): Promise<void> {
  const file = path.join(dir, `.readyz-${process.pid}.tmp`);
  const fh = await fsp.open(file, 'w', 0o600);
  try {
    await fh.write('ok');
    await fh.sync();
  } finally {
    await fh.close();
    await fsp.unlink(file).catch(() => {});
  }
}

export async function checkReadiness(d: ReadinessDeps): Promise<Readiness> {
  const ms = d.timeoutMs ?? 5000;
  const run = async (fn: () => Promise<string | void> | string | void, what: string): Promise<CheckResult> => {
    try {
      const detail = await within(Promise.resolve().then(fn), ms, what);
      return detail ? { ok: true, detail } : { ok: true };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  };
  const [listeners, database, spool, pool, disk] = await Promise.all([
    run(() => {
      const down = d.listeners().filter((l) => !l.bound);
      if (down.length) throw new Error(`not bound: ${down.map((l) => l.name).join(', ')}`);
    }, 'listeners'),
    run(() => d.dbWrite(), 'database'),
    run(async () => {
      for (const dir of d.spoolDirs) await probeDir(dir);
    }, 'spool'),
    run(async () => {
      if (d.pingPool) await d.pingPool();
    }, 'worker pool'),
    run(async () => {
      const s = await diskSpace(d.dataDir);
      const low = 'bytes' in d.minFree ? s.free_bytes < d.minFree.bytes : s.free_percent < d.minFree.percent;
      const text = `${s.free_bytes} bytes free (${s.free_percent}%)`;
      if (low) throw new Error(`${text}, below ${'bytes' in d.minFree ? `${d.minFree.bytes} bytes` : `${d.minFree.percent}%`}`);
      return text;
    }, 'disk'),
  ]);
  const shared = d.pingShared;
  const postgres = shared ? await run(async () => void (await shared()), 'postgres') : undefined;
  const checks = { listeners, database, ...(postgres ? { postgres } : {}), spool, pool, disk };
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}
