// Postfix's smtp-sink (Debian package postfix) as a lab target: the "speed of light" SMTP server that
// accepts and discards everything. Started on a loopback port as an unprivileged user; killed by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, guardAgainstOrphan, hasCommand, waitForPort, type RunningTarget } from './common.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

export function smtpSinkAvailable(): boolean {
  return hasCommand(SMTP_SINK);
}

/** How often a port that another process took between choosing and binding it is replaced by a new one. */
const BIND_ATTEMPTS = 5;

export async function startSmtpSink(opts: { port?: number; backlog?: number } = {}): Promise<RunningTarget> {
  // smtp-sink cannot report a port chosen by the system: choose a free one, and should another process take
  // it before smtp-sink binds it (smtp-sink then exits at once), choose again
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const args = ['-c', '-4', `127.0.0.1:${port}`, String(opts.backlog ?? 1024)];
    // smtp-sink refuses to run as root without -u
    if (process.getuid?.() === 0) args.unshift('-u', 'nobody');
    const proc = spawn(SMTP_SINK, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d) => (err += d));
    const closed = new Promise((r) => proc.once('close', r));
    const alive = () => proc.exitCode === null && !proc.signalCode;
    let up = await waitForPort(port, 30_000, alive);
    if (up) {
      // what answers may be the other process: the port is smtp-sink's only if it is still alive after binding
      await new Promise((r) => setTimeout(r, 200));
      up = alive();
    }
    if (up) return running(proc, port);
    proc.kill('SIGKILL');
    await closed;
    const clash = /Address already in use/i.test(err);
    if (!clash || opts.port !== undefined || attempt >= BIND_ATTEMPTS) throw new Error(`smtp-sink did not start: ${err.trim()}`);
  }
}

function running(proc: ChildProcess, port: number): RunningTarget {
  guardAgainstOrphan(proc.pid);
  return {
    name: 'smtp-sink',
    host: '127.0.0.1',
    port,
    pid: proc.pid,
    describe: `Postfix smtp-sink on 127.0.0.1:${port} (accepts and discards)`,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
