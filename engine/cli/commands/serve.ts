// tegami serve [--config FILE] [--quiet]: run the server until SIGTERM/SIGINT/SIGHUP (exit 0; SIGHUP does not
// reload: it stops the same graceful way and says so, where Node's default killed the process). An error that escapes
// every handler (an unhandled rejection, an uncaught exception) is logged and stops the server the same
// graceful way, listeners closed first and writes in flight finished, then exits 1 so a supervisor restarts
// it; it never dies in the middle of a write. Start-up notes (file modes fixed) are logged here too.
import { flag, type Args } from '../args.js';
import { startServer, type RunningServer } from '../../server.js';

/** A stop after a fatal error that takes longer than this (a session that never ends) is cut short. */
const FATAL_STOP_BOUND_MS = 45_000;
/** A start that failed has printed its reason and exits 1 within this, whatever is still open. */
const FAILED_START_EXIT_MS = 5_000;

export async function serve(args: Args): Promise<number> {
  let stopping: Promise<number> | null = null;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let server: RunningServer | null = null;
  // a signal while start-up waits for the database (PostgreSQL away) ends the wait: exit 0, nothing was started
  const abort = new AbortController();
  const started = startServer({ configPath: flag(args, 'config'), quiet: args.flags.has('quiet'), signal: abort.signal }).then((s) => (server = s));

  /** Stop once: after start-up has finished (a fatal error during start-up stops what was started). */
  const stop = (code: number): Promise<number> =>
    (stopping ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
      const s = await started.catch(() => null);
      if (s) await s.stop();
      return code;
    })());

  const onSignal = () => {
    abort.abort(new Error('stopped while waiting for the database'));
    stop(0).then(finish, (e: unknown) => fatal('stop-failed', e));
  };
  // the habit of other mail servers (and certbot hooks) is "kill -HUP to reload"; tegami reads its config and
  // certificates at start only, so a hangup (also a closed terminal) stops it cleanly rather than mid-write
  const onHangup = () => {
    if (!stopping) process.stderr.write('tegami serve: SIGHUP: stopping (tegami does not reload: start it again to read a changed config or certificate)\n');
    onSignal();
  };

  const fatal = (kind: 'unhandled-rejection' | 'uncaught-exception' | 'stop-failed', e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`tegami serve: ${kind}: ${err.stack ?? err.message}\n`);
    server?.logger.error('system', 'fatal', { kind, error: err.message, stack: err.stack });
    if (kind === 'stop-failed') return finish(1);
    if (stopping) return; // already stopping: that stop ends the process
    // a stop that cannot finish is cut short: better a restart than a server that neither works nor exits
    setTimeout(() => process.exit(1), FATAL_STOP_BOUND_MS).unref();
    stop(1).then(
      () => finish(1),
      (x: unknown) => fatal('stop-failed', x),
    );
  };
  const onRejection = (reason: unknown) => fatal('unhandled-rejection', reason);
  const onException = (error: Error) => fatal('uncaught-exception', error);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  // a signal during start-up stops the server once it is up (rather than killing it halfway)
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);

  let s: RunningServer;
  try {
    s = await started;
  } catch (e) {
    if (abort.signal.aborted && e === abort.signal.reason) return done;
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
    // a start that failed exits 1 even if something it opened still holds the event loop (startServer undoes what
    // it opened; this bound is for what it could not): a supervisor then sees the failure and restarts it
    setTimeout(() => process.exit(1), FAILED_START_EXIT_MS).unref();
    throw explainListenError(e);
  }
  const lines = s.listeners.map((l) => `  ${l.name.padEnd(12)} ${l.host}:${l.port}`);
  process.stderr.write(`tegami ${s.config.hostname}: data in ${s.config.data_dir}\n${lines.join('\n')}\n`);
  for (const fix of s.ctx.modeFixes) s.logger.warn('system', 'file-mode-fixed', { ...fix });
  const code = await done;
  // after a fatal error something may still hold the event loop open: end here, the stop is complete
  if (code !== 0) process.exit(code);
  return code;
}

/** A listener that could not bind, said so a newcomer knows what to do; any other error is returned as it was. */
export function explainListenError(e: unknown): unknown {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (!(e instanceof Error) || err.syscall !== 'listen') return e;
  const where = err.port !== undefined ? `${err.address ?? ''}:${err.port}` : (err.address ?? '');
  if (err.code === 'EADDRINUSE')
    return new Error(
      `cannot listen on ${where}: the address is in use, by another server or a tegami already running ` +
        `(tegami status; ss -ltnp shows which); free it, or choose other addresses in [listen] of a config file`,
    );
  if (err.code === 'EACCES')
    return new Error(
      `cannot listen on ${where}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE); ` +
        `without a config file a non-root user gets 2525, 2587, 2465, 2110, 2995, 2143, 2993`,
    );
  return e;
}
