// A private rspamd (Debian package rspamd) with its own redis-server (Debian package redis-server) for the lab:
// both on free loopback ports, with their config, database, run and log dirs in a temp dir, each run as its own
// system user (_rspamd, redis), never the system services. rspamd's proxy worker speaks milter (for a Postfix
// target) and hands messages to its normal workers; every network check resolves through the DNS given (the
// lab's stand-in), so nothing leaves the machine; local_addrs is empty, so loopback clients are judged too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, guardAgainstOrphan, hasCommand, waitForPort } from './common.js';

export const RSPAMD = '/usr/bin/rspamd';
export const REDIS = '/usr/bin/redis-server';

export function rspamdAvailable(): { ok: true } | { ok: false; reason: string } {
  if (!hasCommand(RSPAMD)) return { ok: false, reason: 'rspamd is not installed (apt-get install rspamd redis-server)' };
  if (!hasCommand(REDIS)) return { ok: false, reason: 'redis-server is not installed (apt-get install redis-server)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a private rspamd running as _rspamd needs root to start' };
  for (const u of ['_rspamd', 'redis']) if (spawnSync('id', [u]).status !== 0) return { ok: false, reason: `no ${u} user` };
  return { ok: true };
}

export interface RspamdOptions {
  /** "127.0.0.1:PORT" of the DNS server every check resolves through (the lab's stand-in). */
  dns: string;
  /** Normal (scanning) workers; rspamd's default is one per core. */
  workers?: number;
  keep?: boolean;
}

export interface RunningRspamd {
  /** The milter (proxy worker) address, "inet:127.0.0.1:PORT" for Postfix's smtpd_milters. */
  milter: string;
  /** The normal worker's HTTP port (rspamc -h 127.0.0.1:PORT). */
  normalPort: number;
  /** rspamd's main process and redis-server (their process trees are sampled). */
  pids: number[];
  describe: string;
  log(): string;
  stop(): Promise<void>;
}

const alive = (p: ChildProcess) => p.exitCode === null && !p.signalCode;

async function stopProc(p: ChildProcess | undefined, group: boolean): Promise<void> {
  if (!p || !alive(p)) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const late = await Promise.race([gone.then(() => false), new Promise((r) => setTimeout(() => r(true), 8000))]);
  if (late) {
    try {
      if (group && p.pid) process.kill(-p.pid, 'SIGKILL');
      else p.kill('SIGKILL');
    } catch {
      /* gone */
    }
    await gone;
  }
}

/** hyperscan databases are compiled once per machine (minutes on a busy one) and reused between runs. */
const HS_CACHE = path.join(os.tmpdir(), 'tegami-lab-rspamd-hs-cache');

export async function startRspamd(opts: RspamdOptions): Promise<RunningRspamd> {
  const a = rspamdAvailable();
  if (!a.ok) throw new Error(a.reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-rspamd-'));
  fs.chmodSync(dir, 0o755);
  const local = path.join(dir, 'local');
  const db = path.join(dir, 'db');
  const run = path.join(dir, 'run');
  const logs = path.join(dir, 'log');
  const redisDir = path.join(dir, 'redis');
  for (const d of [local, path.join(local, 'local.d'), path.join(local, 'override.d'), db, run, logs, redisDir, HS_CACHE]) fs.mkdirSync(d, { recursive: true });
  for (const d of [db, run, logs, HS_CACHE]) spawnSync('chown', ['-R', '_rspamd:_rspamd', d]);
  spawnSync('chown', ['redis:redis', redisDir]);

  // redis: loopback only, no persistence, its own dir; run as the redis user, in the foreground
  const redisPort = await freePort();
  fs.writeFileSync(
    path.join(redisDir, 'redis.conf'),
    [`bind 127.0.0.1`, `port ${redisPort}`, 'protected-mode yes', 'daemonize no', `dir ${redisDir}`, 'save ""', 'appendonly no', 'logfile ""', 'databases 1', ''].join('\n'),
  );
  const redis = spawn('setpriv', ['--reuid=redis', '--regid=redis', '--init-groups', REDIS, path.join(redisDir, 'redis.conf')], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let redisErr = '';
  redis.stderr!.on('data', (d) => (redisErr = (redisErr + d).slice(-4000)));
  if (!(await waitForPort(redisPort, 30_000, () => alive(redis)))) {
    await stopProc(redis, true);
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start: ${redisErr.trim()}`);
  }
  guardAgainstOrphan(redis.pid, { group: true });

  const [normalPort, proxyPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
  const w = (name: string, text: string) => fs.writeFileSync(path.join(local, name), text);
  // private copies of what rspamd.conf says, with our ports; everything else (modules, scores) as shipped
  const main = path.join(local, 'rspamd.conf');
  fs.writeFileSync(
    main,
    `.include "$CONFDIR/common.conf"
options {
  pidfile = "${run}/rspamd.pid";
  .include "$CONFDIR/options.inc"
  .include(try=true; priority=10) "$LOCAL_CONFDIR/override.d/options.inc"
}
logging {
  type = "file";
  filename = "${logs}/rspamd.log";
  level = "warning";
}
worker "normal" {
  bind_socket = "127.0.0.1:${normalPort}";
  .include "$CONFDIR/worker-normal.inc"
  ${opts.workers ? `count = ${opts.workers};` : ''}
}
worker "controller" {
  bind_socket = "127.0.0.1:${controllerPort}";
  .include "$CONFDIR/worker-controller.inc"
}
worker "rspamd_proxy" {
  bind_socket = "127.0.0.1:${proxyPort}";
  milter = yes;
  timeout = 120s;
  upstream "local" {
    default = yes;
    hosts = "127.0.0.1:${normalPort}";
  }
  count = 1;
  max_retries = 5;
  discard_on_reject = false;
  quarantine_on_reject = false;
  spam_header = "X-Spam";
  reject_message = "Spam message rejected";
}
`,
  );
  // judged like any client (no local_addrs), every DNS question to the stand-in, hyperscan cache kept
  w(
    'override.d/options.inc',
    `local_addrs = [];\ncheck_local = true;\ncheck_authed = false;\nhs_cache_dir = "${HS_CACHE}/";\ndns {\n  nameserver = ["${opts.dns}"];\n  timeout = 2s;\n  retransmits = 2;\n}\n`,
  );
  w('local.d/redis.conf', `servers = "127.0.0.1:${redisPort}";\n`);
  // DNSBLs ask about loopback clients too (rspamd skips private and local addresses by default)
  w('local.d/rbl.conf', 'default_exclude_private_ips = false;\ndefault_exclude_local = false;\n');
  // the fuzzy storage is rspamd.com's, resolved with the system resolver at start: nothing here may reach it
  w('override.d/fuzzy_check.conf', 'enabled = false;\n');
  // inbound mail is not signed (tegami does not sign it either), and there is no key
  w('override.d/dkim_signing.conf', 'enabled = false;\n');
  const vars = { LOCAL_CONFDIR: local, DBDIR: db, RUNDIR: run, LOGDIR: logs };
  const args = ['-f', '-c', main, '-u', '_rspamd', '-g', '_rspamd', ...Object.entries(vars).map(([k, v]) => `--var=${k}=${v}`)];
  const rspamd = spawn(RSPAMD, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  rspamd.stdout!.on('data', (d) => (out = (out + d).slice(-8000)));
  rspamd.stderr!.on('data', (d) => (out = (out + d).slice(-8000)));
  const log = () => {
    try {
      return fs.readFileSync(path.join(logs, 'rspamd.log'), 'utf8').slice(-8000);
    } catch {
      return '';
    }
  };
  const stop = async () => {
    await stopProc(rspamd, true);
    await stopProc(redis, true);
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  };
  // the first start compiles hyperscan databases: allow minutes on a shared machine
  const up = (await waitForPort(proxyPort, 300_000, () => alive(rspamd))) && (await waitForPort(normalPort, 300_000, () => alive(rspamd)));
  if (!up) {
    const why = `${out.trim()} ${log()}`.slice(-3000);
    await stop();
    throw new Error(`rspamd did not start: ${why}`);
  }
  guardAgainstOrphan(rspamd.pid, { dir: opts.keep ? undefined : dir, group: true });
  const version = spawnSync(RSPAMD, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^Rspamd daemon version /i, '');
  const redisVersion = /v=(\S+)/.exec(spawnSync(REDIS, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '';
  return {
    milter: `inet:127.0.0.1:${proxyPort}`,
    normalPort,
    pids: [rspamd.pid!, redis.pid!],
    describe: `rspamd ${version} (milter proxy → normal workers, modules as shipped, local_addrs empty, DNS ${opts.dns}) with redis ${redisVersion}`,
    log,
    stop,
  };
}
