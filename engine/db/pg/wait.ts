// `serve` on PostgreSQL started while the database cannot be reached: instead of exiting, the first
// statement is tried again with back-off (1 s doubling to 30 s), each wait reported, until it answers or the
// start is aborted (SIGTERM). Only "cannot reach it" is waited for: a wrong password, a missing database or a
// certificate that does not verify are configuration errors and end the start at once, as before.

/** SQLSTATE classes of a database that is away or not ready: connection exceptions, operator intervention (shutting down, starting up), insufficient resources. */
const AWAY_SQLSTATE = /^(08|57P|53)/;
/** Socket-level failures of reaching the server (refused, reset, unreachable, a name not resolved yet at boot). */
const AWAY_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Is this error "the database cannot be reached (now)" rather than a configuration or data error? */
export function databaseAway(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  if (AWAY_ERRNO.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code)) return AWAY_SQLSTATE.test(code);
  const msg = typeof err?.message === 'string' ? err.message : '';
  // node-postgres' own words for a connection that ended or never completed (no code attached)
  return /Connection terminated|timeout expired|connect ETIMEDOUT|Connection ended/i.test(msg);
}

export interface WaitOptions {
  /** Said before each wait: the error, which attempt failed (1, 2, …) and how long until the next. */
  onWait(error: Error, attempt: number, retryMs: number): void;
  /** Aborting ends the wait with the abort's reason (the server was told to stop). */
  signal?: AbortSignal;
  /** First and longest wait (default 1 s and 30 s). */
  firstMs?: number;
  maxMs?: number;
}

/** Run `op` until it succeeds; waits (with back-off) only while the database is away, any other error is thrown. */
export async function untilReachable<T>(op: () => Promise<T>, o: WaitOptions): Promise<T> {
  let wait = o.firstMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    o.signal?.throwIfAborted();
    try {
      return await op();
    } catch (e) {
      if (!databaseAway(e)) throw e;
      o.signal?.throwIfAborted();
      o.onWait(e as Error, attempt, wait);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(done, wait);
        function done() {
          o.signal?.removeEventListener('abort', aborted);
          resolve();
        }
        function aborted() {
          clearTimeout(t);
          reject(o.signal!.reason);
        }
        if (o.signal?.aborted) return aborted();
        o.signal?.addEventListener('abort', aborted, { once: true });
      });
      wait = Math.min(wait * 2, o.maxMs ?? 30_000);
    }
  }
}
