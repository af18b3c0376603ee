// Test harness: a private PostgreSQL cluster for one test file. initdb in a temp dir owned by the `postgres`
// user (initdb and the server refuse to run as root), the server on a loopback port with its socket in that dir,
// a random password, torn down by its own PID. It never touches a system-wide instance or the default port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../lab/targets/common.js';

/** Debian's PostgreSQL 15 (the `postgresql` package in .ci/apt-packages); TEGAMI_PG_BIN overrides. */
export const PG_BIN = process.env.TEGAMI_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  /** postgres://postgres:…@127.0.0.1:port/<database> of the database made at start. */
  url: string;
  port: number;
  /** Another empty database on the same cluster; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** The server's log so far (for a failing test's message). */
  log(): string;
  /** Shut the server down (fast: sessions are cut) and wait for it to exit; the data stays for resume(). */
  halt(): Promise<void>;
  /** Start the halted server again on the same port and data (clients reconnect to the same URL). */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** Why the cluster cannot run here, or null: tests skip with this reason instead of failing on a bare machine. */
export function postgresUnavailable(): string | null {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) return `PostgreSQL not installed (${PG_BIN}; apt-get install postgresql)`;
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'no postgres user to run the server as';
  return null;
}

interface Owner {
  uid?: number;
  gid?: number;
}

/** Root runs the cluster as `postgres`; any other user runs it as itself. */
function owner(): Owner {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

export interface StartOptions {
  /** PEM certificate and key: the server then also accepts TLS (ssl = on); plain connections stay allowed. */
  tls?: { cert: string; key: string };
  /** More server settings (-c name=value), given after the defaults so they win (bench:scale: fsync = on,
   * shared_preload_libraries = pg_stat_statements). */
  settings?: Record<string, string>;
}

export async function startPostgres(database = 'tegami', opts: StartOptions = {}): Promise<PgCluster> {
  const who = owner();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pg-'));
  const data = path.join(dir, 'data');
  const password = crypto.randomBytes(18).toString('base64url');
  fs.writeFileSync(path.join(dir, 'pwfile'), password + '\n', { mode: 0o600 });
  if (who.uid !== undefined) {
    fs.chownSync(dir, who.uid, who.gid!);
    fs.chownSync(path.join(dir, 'pwfile'), who.uid, who.gid!);
  }
  const init = spawnSync(
    path.join(PG_BIN, 'initdb'),
    ['-D', data, '-U', 'postgres', '--pwfile', path.join(dir, 'pwfile'), '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...who, cwd: dir, encoding: 'utf8' },
  );
  fs.rmSync(path.join(dir, 'pwfile'), { force: true });
  if (init.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error}`);
  }

  const tlsArgs: string[] = [];
  if (opts.tls) {
    // the server refuses a key file others can read; it must belong to the user it runs as
    for (const [name, pem] of [['server.crt', opts.tls.cert], ['server.key', opts.tls.key]] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, pem, { mode: 0o600 });
      if (who.uid !== undefined) fs.chownSync(file, who.uid, who.gid!);
    }
    tlsArgs.push('-c', 'ssl=on', '-c', `ssl_cert_file=${path.join(dir, 'server.crt')}`, '-c', `ssl_key_file=${path.join(dir, 'server.key')}`);
  }

  let child: ChildProcess | undefined;
  let port = 0;
  let logText = '';
  const spawnServer = async (): Promise<ChildProcess | undefined> => {
    const c = spawn(
      path.join(PG_BIN, 'postgres'),
      // fsync off: a test cluster is thrown away, never recovered after a crash of the machine
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200', ...tlsArgs,
        ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      { ...who, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    c.stderr!.on('data', (b: Buffer) => {
      logText = (logText + b.toString()).slice(-32_768);
    });
    // the server alone never keeps the test process alive (sharedPostgres stops it on beforeExit)
    c.unref();
    (c.stderr as unknown as { unref?: () => void }).unref?.();
    return (await waitReady(c, port, password)) ? c : undefined;
  };
  // postgres cannot listen on port 0 and report the port: pick a free one, and pick again if another
  // process took it between the choice and the bind (the server then exits at once)
  for (let attempt = 0; attempt < 8 && !child; attempt++) {
    port = await freePort();
    logText = '';
    child = await spawnServer();
    if (!child && !/already in use|could not bind/i.test(logText)) break;
  }
  if (!child) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`postgres did not start:\n${logText}`);
  }
  let pid = child.pid!;
  const killOnExit = () => {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killOnExit);
  /** Fast shutdown of the running server (sessions cut), waiting for it to exit. */
  const halt = async () => {
    const c = child!;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    const alive = setInterval(() => undefined, 1000); // the child is unref'd: keep the test process waiting for it
    process.kill(c.pid!, 'SIGINT');
    await exited;
    clearInterval(alive);
  };

  const urlOf = (db: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  const createDatabase = async (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name: ${name}`);
    const c = new pg.Client({ connectionString: urlOf('postgres') });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return urlOf(name);
  };
  const url = await createDatabase(database);
  let stopped: Promise<void> | undefined;
  const current = () => child!;
  return {
    url,
    port,
    createDatabase,
    log: () => logText,
    halt,
    async resume() {
      const c = await spawnServer();
      if (!c) throw new Error(`postgres did not start again on port ${port}:\n${logText}`);
      child = c;
      pid = c.pid!;
    },
    stop() {
      stopped ??= (async () => {
        process.removeListener('exit', killOnExit);
        const child = current();
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          // smart shutdown first: sessions a test just closed (pg's pool.end() does not wait for them) end
          // cleanly instead of seeing "terminating connection"; a session left open gets fast shutdown after 10 s
          process.kill(pid, 'SIGTERM');
          const fast = setTimeout(() => process.kill(pid, 'SIGINT'), 10_000);
          await exited;
          clearTimeout(fast);
        }
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** True once a login succeeds; false when the server exits first (a port collision, or a broken start). */
async function waitReady(c: ChildProcess, port: number, password: string): Promise<boolean> {
  let exited = false;
  c.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  while (!exited && Date.now() < deadline) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!exited) c.kill('SIGQUIT');
  return false;
}

let shared: Promise<PgCluster> | undefined;
let databases = 0;

/**
 * One cluster for the whole test process, started on first use and stopped when the process has nothing
 * else to do (beforeExit); each caller gets a fresh database on it with `freshDatabase()`.
 */
export function sharedPostgres(): Promise<PgCluster> {
  if (!shared) {
    shared = startPostgres('tegami_shared');
    const started = shared;
    const stop = () => {
      process.removeListener('beforeExit', stop);
      started.then((c) => c.stop()).catch(() => undefined);
    };
    process.on('beforeExit', stop);
  }
  return shared;
}

export async function freshDatabase(): Promise<string> {
  const c = await sharedPostgres();
  return c.createDatabase(`t${process.pid}_${++databases}`);
}
