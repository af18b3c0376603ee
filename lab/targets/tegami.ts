// tegami as a lab target: writes a config into a temp dir (loopback port, temp data dir, local domain,
// durable spool and Maildir delivery), adds users with `tegami user add`, runs `tegami serve` as a child
// process and stops it by its pid. It uses only the CLI, the ports and the files tegami writes for its
// operator (run/listeners.json: the ports it bound, as every listener is configured on port 0 by default).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { guardAgainstOrphan, readListeners, type RunningTarget } from './common.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TEGAMI_BIN = path.join(REPO_ROOT, 'bin', 'tegami');

export interface TegamiTargetOptions {
  domain?: string;
  users?: Array<{ address: string; password: string }>;
  /** Extra TOML tables appended to the config. */
  toml?: string;
  /** DNS servers for tegami's resolver (the lab's stand-in); default a closed port so nothing leaves the machine. */
  dnsServers?: string[];
  /** The SMTP port; default 0 (the system chooses; the real one is in the result). */
  port?: number;
  /** The loopback address every listener binds (default 127.0.0.1; bench:scale runs nodes on 127.0.0.2/3/4). */
  host?: string;
  /** More listeners on 127.0.0.1 beside SMTP (e.g. { pop3: 0, imap: 0 }; 0 = the system chooses). */
  listen?: Record<string, number>;
  keep?: boolean;
  /** Node options for the server process (--cpu-prof, --heapsnapshot-signal=SIGUSR2, …). */
  nodeArgs?: string[];
  /** Working directory of the server (where --cpu-prof and heap snapshots land unless told otherwise). */
  cwd?: string;
  /** Environment variables set for the server process on top of this one's (e.g. glibc's MALLOC_* for bench:sessions). */
  env?: Record<string, string>;
}

export async function startTegami(opts: TegamiTargetOptions = {}): Promise<RunningTarget & { dataDir: string; configPath: string; output(): string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-lab-'));
  const dataDir = path.join(dir, 'data');
  const smtpPort = opts.port ?? 0;
  const host = opts.host ?? '127.0.0.1';
  const domain = opts.domain ?? 'example.test';
  const configPath = path.join(dir, 'tegami.toml');
  const toml = [
    `hostname = "mx.${domain}"`,
    `data_dir = ${JSON.stringify(dataDir)}`,
    '[listen]',
    `smtp = "${host}:${smtpPort}"`,
    ...Object.entries(opts.listen ?? {}).map(([name, p]) => `${name} = "${host}:${p}"`),
    '[domains]',
    `local = [${JSON.stringify(domain)}]`,
    '[log]',
    'stdout = false',
    // the stand-in DNS always answers (a closed port refuses at once): a short timeout would only lose answers
    // when the machine is busy, and change what the scenario measures
    /^\[dns\]/m.test(opts.toml ?? '') ? '' : `[dns]\nservers = ${JSON.stringify(opts.dnsServers ?? ['127.0.0.1:9'])}\ntimeout = "15s"`,
    opts.toml ?? '',
  ].join('\n');
  fs.writeFileSync(configPath, toml + '\n');
  for (const u of opts.users ?? []) {
    const r = spawnSync(process.execPath, [TEGAMI_BIN, 'user', 'add', u.address, '--password-stdin', '--config', configPath], { input: u.password + '\n', encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`tegami user add ${u.address}: ${r.stderr.trim()}`);
  }
  let out = '';
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), TEGAMI_BIN, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env ? { ...process.env, ...opts.env } : undefined });
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  const bound = await readListeners(dataDir, { timeoutMs: 60_000, alive: () => proc.exitCode === null && !proc.signalCode });
  if (!bound?.smtp) {
    proc.kill('SIGKILL');
    throw new Error(`tegami serve did not start: ${out.trim().slice(-2000)}`);
  }
  guardAgainstOrphan(proc.pid, { dir: opts.keep ? undefined : dir });
  const port = bound.smtp.port;
  return {
    name: 'tegami',
    host,
    port,
    listeners: Object.fromEntries(Object.entries(bound).map(([name, a]) => [name, a.port])),
    pid: proc.pid,
    dataDir,
    configPath,
    output: () => out,
    describe: `tegami serve on ${host}:${port}, local domain ${domain}, durable spool, Maildir delivery`,
    maildir: (address) => {
      const [local, dom] = address.toLowerCase().split('@');
      return path.join(dataDir, 'mail', dom, local, 'Maildir');
    },
    stop: async () => {
      if (proc.exitCode === null && !proc.signalCode) {
        await new Promise<void>((resolve) => {
          // a profiled server writes its profiles on the way out: give it longer
          const t = setTimeout(() => proc.kill('SIGKILL'), opts.nodeArgs?.length ? 60_000 : 10_000);
          proc.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          proc.kill('SIGTERM');
        });
      }
      if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
