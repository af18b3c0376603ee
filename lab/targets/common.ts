// What every local target the lab starts looks like (tegami, Postfix's smtp-sink, a private Postfix), and
// small helpers to find free loopback ports and wait for a listener. Targets are only driven through
// their ports and CLIs, like any outside tool would.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

export interface RunningTarget {
  name: string;
  host: string;
  port: number;
  /** Every listener the target runs (name → port), when it has more than the SMTP one. */
  listeners?: Record<string, number>;
  /** Root pid of the server (its process tree is sampled for CPU/RSS). */
  pid?: number;
  /** The Maildir a local address is delivered to, when the target delivers into Maildirs. */
  maildir?(address: string): string;
  /** A line about the target's version/config for the report. */
  describe: string;
  stop(): Promise<void>;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The addresses a `tegami serve` really bound, from its `<data_dir>/run/listeners.json` (written whole once
 * every listener is up): listener name → host and port. Polls until the file is there; undefined after
 * `timeoutMs` or as soon as `alive()` says the server died. Remove the file before starting the server.
 */
export async function readListeners(dataDir: string, o: { timeoutMs: number; alive?: () => boolean }): Promise<Record<string, { host: string; port: number }> | undefined> {
  const file = path.join(dataDir, 'run', 'listeners.json');
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // not written yet
    }
    if (text !== undefined) {
      const out: Record<string, { host: string; port: number }> = {};
      for (const [name, addr] of Object.entries(JSON.parse(text) as Record<string, string>)) {
        const hp = parseHostPort(addr);
        if (!hp) throw new Error(`${file}: bad address ${addr} for ${name}`);
        out[name] = hp;
      }
      return out;
    }
    if ((o.alive && !o.alive()) || Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Poll until host:port accepts connections; false after timeoutMs or when `alive()` says the process died. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean = () => true, host = '127.0.0.1'): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) return false;
    if (await canConnect(port, host)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** "host:port" → parts; "[::1]:25" works too. */
export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1], port };
}

/**
 * Parent-death watchdog: a detached `sh` loop that, should this Node process die without stopping the
 * target (a test killed on timeout), stops the target's pid (TERM, then KILL; `group` = its process group)
 * and removes its temp dir. It exits by itself as soon as the target is gone.
 */
export function guardAgainstOrphan(pid: number | undefined, opts: { dir?: string; group?: boolean } = {}): void {
  if (!pid) return;
  const kill9 = opts.group ? `-${pid}` : String(pid);
  const rm = opts.dir ? `rm -rf '${opts.dir.replace(/'/g, '')}'` : ':';
  const script = `while kill -0 ${process.pid} 2>/dev/null; do kill -0 ${pid} 2>/dev/null || exit 0; sleep 1; done; kill -0 ${pid} 2>/dev/null || exit 0; kill -TERM ${pid} 2>/dev/null; sleep 5; kill -KILL -- ${kill9} 2>/dev/null; ${rm}`;
  const w = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  w.unref();
}
