// Test harness: run the real `bin/tegami serve` as a child process with a temporary data dir, exactly as an
// operator would, and drive it through the CLI and sockets. Every listener is configured on 127.0.0.1:0 and
// the ports the server really bound are read from <data_dir>/run/listeners.json (no port is ever guessed).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, hasCommand, readListeners } from '../../lab/targets/common.js';
import { postfixAvailable } from '../../lab/targets/postfix.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.join(ROOT, 'bin', 'tegami');

/**
 * freePort: only for a program that cannot listen on port 0 and report the port (the port is free when chosen,
 * not necessarily when bound: retry on "address in use"). Servers the tests start listen on port 0.
 */
export { freePort, hasCommand };

/** A TCP port nothing listens on, on loopback: the discard port (privileged, so port 0 never hands it out). */
export const CLOSED_PORT = 9;

export interface TestServerOptions {
  /** Extra TOML appended to the generated config (tables). */
  toml?: string;
  /** Extra top-level keys, placed before the first table. */
  topLevel?: string;
  /** Listeners to run; default smtp, submission, submissions. */
  listeners?: string[];
  domains?: string[];
  users?: { address: string; password: string; admin?: boolean }[];
  hostname?: string;
  /** Reuse this data dir (restart tests). */
  dataDir?: string;
  env?: Record<string, string>;
  /** Loopback address every listener binds (default 127.0.0.1): several nodes on 127.0.0.2, .3, .4. */
  bind?: string;
  /** A fixed "host:port" for some listeners instead of port 0 (a test that needs the port in the config itself). */
  listenAt?: Record<string, string>;
}

export interface TestServer {
  dir: string;
  dataDir: string;
  configPath: string;
  /** The address the listeners are bound to (TestServerOptions.bind). */
  host: string;
  /** Listener name → the port it bound; filled in again at every (re)start, so read it after a restart. */
  ports: Record<string, number>;
  proc: ChildProcess;
  output: () => string;
  cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string };
  /**
   * The same command without blocking this process: a test that hosts a peer (a sink, the stand-in DNS) and polls
   * the CLI must use this one, or the peer cannot answer while each `cli` runs (on a busy machine, seconds).
   */
  cliAsync(args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  restart(): Promise<void>;
  /** Files in a user's Maildir folder (new + cur). */
  maildir(owner: string, folder?: string): string[];
  waitForMail(owner: string, count: number, timeoutMs?: number, folder?: string): Promise<string[]>;
  /**
   * Wait for the message whose text matches `match` (a unique subject or token) in a user's folder; returns
   * its file. Tests that share a mailbox wait for their own message, never for a count another test may
   * have moved (a message delivered in the background after its test ended).
   */
  waitForMessage(owner: string, match: RegExp | string, timeoutMs?: number, folder?: string): Promise<string>;
  /**
   * Wait until the service's log files (every day's: a run across midnight) hold a line matching `match`; returns
   * their text. Lines reach the file at the end of the server's turn (engine/log/logger.ts), after the reply a test saw.
   */
  waitForLog(service: string, match: RegExp, timeoutMs?: number): Promise<string>;
}

/** Sets `table.key = value` in a config's TOML unless the TOML sets that key already. */
export function withTomlDefault(toml: string, table: string, key: string, value: string): string {
  if (new RegExp(`^\\s*${key}\\s*=`, 'm').test(toml)) return toml;
  const header = new RegExp(`^\\[${table}\\]\\s*$`, 'm');
  if (header.test(toml)) return toml.replace(header, `[${table}]\n${key} = ${value}`);
  return `${toml}\n[${table}]\n${key} = ${value}`;
}

/**
 * What a test checks must not depend on how busy the machine is. Past `[queue] analysis_deadline` (2 s by default)
 * the server answers 250 and decides later, as documented, so a test of what is decided while the client waits
 * (a 550 at DATA, a Sieve reject) gets a generous deadline; likewise each /readyz check's `[health] check_timeout`
 * (5 s), or a healthy but busy server reads as "not ready". A test's own TOML wins.
 */
export function withTestDeadlines(toml: string): string {
  return withTomlDefault(withTomlDefault(toml, 'queue', 'analysis_deadline', '"120s"'), 'health', 'check_timeout', '"60s"');
}

/**
 * One worker thread per test server unless the test's TOML sets `[queue] workers` (the tests that put the pool
 * under load, smtp/crash, ops/graceful-stop-load, metrics/metrics-load, lists/crash, keep two). Each thread loads
 * the analysis modules at start (about 0.5 s of CPU here), and the production default, one per core, started one
 * per core for every one of the suite's server starts, most of them for a handful of messages (test/weights.txt).
 */
export function withTestPool(toml: string): string {
  return withTomlDefault(toml, 'queue', 'workers', '1');
}

/** The self-signed pair tegami makes for a hostname, made once per test process (engine/tls/certificate.ts). */
const selfSigned = new Map<string, Promise<{ key: Buffer; cert: Buffer }>>();

/**
 * A fresh data dir gets the self-signed certificate `serve` would make for its hostname, made once per test process
 * by the same code (RSA key generation and its module cost about 0.35 s of CPU at each start otherwise); its first
 * start finds it, as every later start does. Not when the test configures [tls] itself.
 */
async function seedCertificate(dataDir: string, hostname: string): Promise<void> {
  if (!selfSigned.has(hostname)) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-test-cert-'));
    selfSigned.set(hostname, loadOrCreateCertificate({ dataDir: dir, hostname }).finally(() => fs.rmSync(dir, { recursive: true, force: true })));
  }
  const pair = await selfSigned.get(hostname)!;
  const tls = path.join(dataDir, 'tls');
  fs.mkdirSync(tls, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(tls, 'selfsigned.key'), pair.key, { mode: 0o600 });
  fs.writeFileSync(path.join(tls, 'selfsigned.crt'), pair.cert, { mode: 0o600 });
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-test-'));
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  const listeners = opts.listeners ?? ['smtp', 'submission', 'submissions'];
  const ports: Record<string, number> = {};
  const domains = opts.domains ?? ['example.test'];
  const configPath = path.join(dir, 'tegami.toml');
  const toml = [
    `hostname = "${opts.hostname ?? 'mx.example.test'}"`,
    `data_dir = ${JSON.stringify(dataDir)}`,
    opts.topLevel ?? '',
    '[listen]',
    ...listeners.map((l) => `${l} = "${opts.listenAt?.[l] ?? `${opts.bind ?? '127.0.0.1'}:0`}"`),
    '[domains]',
    `local = ${JSON.stringify(domains)}`,
    '[log]',
    'stdout = false',
    // never the machine's resolver in tests: a closed loopback port fails every lookup at once
    /^\[dns\]/m.test(opts.toml ?? '') ? '' : '[dns]\nservers = ["127.0.0.1:9"]\ntimeout = "500ms"',
    opts.toml ?? '',
  ].join('\n');
  fs.writeFileSync(configPath, withTestPool(withTestDeadlines(toml)) + '\n');
  if (!opts.dataDir && !/^\[tls\]/m.test(toml)) await seedCertificate(dataDir, opts.hostname ?? 'mx.example.test');
  /** `tegami ARGS --config` of this server, for the synchronous and the asynchronous CLI alike. */
  const cliArgv = (args: string[]) => [BIN, ...args, '--config', configPath];
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, cliArgv(args), { input, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  for (const u of opts.users ?? []) {
    const r = cli(['user', 'add', u.address, '--password-stdin', ...(u.admin ? ['--admin'] : [])], u.password + '\n');
    if (r.status !== 0) throw new Error(`user add failed: ${r.stderr}`);
  }
  let out = '';
  let proc!: ChildProcess;
  const launch = async () => {
    // never read the ports of an earlier run (a server killed with SIGKILL leaves its file behind)
    fs.rmSync(path.join(dataDir, 'run', 'listeners.json'), { force: true });
    proc = spawn(process.execPath, [BIN, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    // ready when the server has written the ports it bound (after every listener and the control socket are up)
    const started = proc;
    const bound = await readListeners(dataDir, { timeoutMs: 60_000, alive: () => started.exitCode === null && !started.signalCode });
    if (!bound) {
      if (started.exitCode !== null || started.signalCode) throw new Error(`server exited: ${out}`);
      started.kill('SIGKILL');
      throw new Error(`server did not start: ${out}`);
    }
    for (const k of Object.keys(ports)) delete ports[k];
    for (const l of listeners) {
      if (!bound[l]) throw new Error(`listener ${l} is not in run/listeners.json (${JSON.stringify(bound)}): ${out}`);
      ports[l] = bound[l].port;
    }
  };
  await launch();
  const server: TestServer = {
    dir,
    dataDir,
    configPath,
    host: opts.bind ?? '127.0.0.1',
    ports,
    get proc() {
      return proc;
    },
    output: () => out,
    cli,
    cliAsync: async (args, input) => {
      const r = await run(process.execPath, cliArgv(args), { input, timeoutMs: 120_000 });
      return { status: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill(signal);
      }),
    restart: async () => {
      await server.stop();
      await launch();
    },
    maildir: (owner, folder = 'INBOX') => {
      const [local, domain] = owner.split('@');
      const base = path.join(dataDir, 'mail', domain, local, 'Maildir', folder === 'INBOX' ? '' : `.${folder}`);
      const files: string[] = [];
      for (const sub of ['new', 'cur']) {
        try {
          for (const f of fs.readdirSync(path.join(base, sub))) files.push(path.join(base, sub, f));
        } catch {
          /* not there yet */
        }
      }
      return files;
    },
    waitForMail: async (owner, count, timeoutMs = 120_000, folder = 'INBOX') => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const files = server.maildir(owner, folder);
        if (files.length >= count) return files;
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s) for ${owner}/${folder}, found ${files.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    waitForLog: async (service, match, timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      const logs = path.join(server.dataDir, 'logs');
      for (;;) {
        const names = fs.existsSync(logs) ? fs.readdirSync(logs).filter((f) => f.startsWith(`${service}-`) && f.endsWith('.log')) : [];
        const text = names.map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
        if (match.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`no ${service} log line matching ${String(match)}: ${text.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    waitForMessage: async (owner, match, timeoutMs = 120_000, folder = 'INBOX') => {
      const deadline = Date.now() + timeoutMs;
      const hit = (f: string) => {
        try {
          const text = fs.readFileSync(f, 'latin1');
          return typeof match === 'string' ? text.includes(match) : match.test(text);
        } catch {
          return false; // moved from new/ to cur/ meanwhile: seen on the next round
        }
      };
      for (;;) {
        const found = server.maildir(owner, folder).find(hit);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no message matching ${String(match)} for ${owner}/${folder}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
  return server;
}

export function requireCommand(t: { skip(msg: string): void }, cmd: string): boolean {
  if (hasCommand(cmd)) return true;
  if (process.env.CI) throw new Error(`${cmd} is not installed (add it to .ci/apt-packages)`);
  t.skip(`${cmd} not installed`);
  return false;
}

/** Postfix from Debian's package can run a private instance here; in CI its absence is a failure, else a skip. */
export function requirePostfix(t: { skip(msg: string): void }): boolean {
  const avail = postfixAvailable();
  if (avail.ok) return true;
  if (process.env.CI) throw new Error(avail.reason);
  t.skip(avail.reason);
  return false;
}

/** Run a command, resolve with its output (never rejects). */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    // decoded as a stream: a character split between two reads stays whole (Japanese in a CLI's output)
    p.stdout.setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdout.on('data', (d: string) => (stdout += d));
    p.stderr.on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    p.stdin.on('error', () => {}); // a command that exits before reading its input (EPIPE) is not a test error
    if (opts.input !== undefined) p.stdin.end(opts.input);
    else p.stdin.end();
  });
}
