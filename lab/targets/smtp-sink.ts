// Postfix's smtp-sink (Debian package postfix) as a lab target: the "speed of light" SMTP server that
// accepts and discards everything. Started on a loopback port as an unprivileged user; killed by its pid.
import { spawn } from 'node:child_process';
import { freePort, guardAgainstOrphan, hasCommand, waitForPort, type RunningTarget } from './common.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

export function smtpSinkAvailable(): boolean {
  return hasCommand(SMTP_SINK);
}

export async function startSmtpSink(opts: { port?: number; backlog?: number } = {}): Promise<RunningTarget> {
  const port = opts.port ?? (await freePort());
  const args = ['-c', '-4', `127.0.0.1:${port}`, String(opts.backlog ?? 1024)];
  // smtp-sink refuses to run as root without -u
  if (process.getuid?.() === 0) args.unshift('-u', 'nobody');
  const proc = spawn(SMTP_SINK, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const up = await waitForPort(port, 10_000, () => proc.exitCode === null);
  if (!up) {
    proc.kill('SIGKILL');
    throw new Error(`smtp-sink did not start: ${err.trim()}`);
  }
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
