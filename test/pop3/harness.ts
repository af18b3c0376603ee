// Test harness for POP3: a temporary data dir with a domain and users, a MaildirStore, a self-signed
// certificate, and POP3 listeners (plain with STLS, implicit TLS) on loopback ports chosen by the OS.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { parseConfigText, type LoadedConfig } from '../../engine/config/load.js';
import { openDatabase } from '../../engine/db/database.js';
import { Logger } from '../../engine/log/logger.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { maildirRoot, writeMaildirMessage } from '../../engine/store/maildir.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { startPop3, type Pop3Options } from '../../engine/pop3/server.js';
import { openTestDirectory, type TestDirectory } from '../helpers/directory.js';
import { openTestStore, TEST_STORE, type ClosableStore, type StoreBackend } from '../helpers/store.js';

export const USER = 'mura@example.jp';
export const PASSWORD = 'kagi-123 x';

export interface Harness {
  data: string;
  config: LoadedConfig;
  store: ClosableStore;
  /** Which store the suite runs over (TEGAMI_TEST_STORE): Maildir files exist only with 'default'. */
  storeBackend: StoreBackend;
  directory: TestDirectory;
  logger: Logger;
  port: number;
  tlsPort: number;
  certFile: string;
  deliver(owner: string, text: string): Promise<string>;
  start(extra: Partial<Pop3Options>): Promise<{ port: number; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startHarness(extraToml = '', pop3: Partial<Pop3Options> = {}): Promise<Harness> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pop3-'));
  const config = parseConfigText(
    `hostname = "mail.example.jp"\ndata_dir = ${JSON.stringify(data)}\n[log]\nstdout = false\n${extraToml}`,
    path.join(data, 'tegami.toml'),
  );
  const db = openDatabase(data);
  // TEGAMI_TEST_DIRECTORY=postgres runs the POP3 tests over the PostgreSQL directory (test/helpers/directory.ts)
  const opened = await openTestDirectory(config, db);
  const directory = opened.directory;
  await directory.addDomain('example.jp');
  await directory.addDomain('other.jp');
  await directory.addUser({ address: USER, password: PASSWORD });
  await directory.addUser({ address: 'taro@other.jp', password: 'taro-pass' });
  await directory.addUser({ address: 'gone@example.jp', password: 'gone-pass', disabled: true });
  const logger = new Logger({ dir: path.join(data, 'logs'), stdout: false, files: true, level: 'debug' });
  // TEGAMI_TEST_STORE=postgres runs the POP3 tests over the PostgreSQL store (test/helpers/store.ts)
  const store = await openTestStore(() => new MaildirStore(data));
  const pair = await loadOrCreateCertificate({ dataDir: data, hostname: 'localhost' });
  const base = { implicitTls: false, tls: pair, store, directory, config, logger };
  const servers: { close(): Promise<void> }[] = [];
  const start = async (extra: Partial<Pop3Options>) => {
    const s = await startPop3({ listen: '127.0.0.1:0', ...base, ...pop3, ...extra });
    servers.push(s);
    return s;
  };
  const plain = await start({});
  const secure = await start({ implicitTls: true });
  return {
    data,
    config,
    store,
    directory,
    logger,
    port: plain.port,
    tlsPort: secure.port,
    certFile: path.join(data, 'tls', 'selfsigned.crt'),
    storeBackend: TEST_STORE,
    deliver: async (owner, text) => {
      const message = Buffer.from(text.replace(/\r?\n/g, '\r\n'));
      // the default store sees mail written into the Maildir by another process; the PostgreSQL one gets an append
      if (TEST_STORE === 'default') return writeMaildirMessage(maildirRoot(data, owner), [message]);
      return String((await store.append(owner, 'INBOX', message)).uid);
    },
    start,
    async close() {
      for (const s of servers) await s.close();
      await store.close();
      await logger.close();
      await opened.close();
      db.close();
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

export function sampleMessage(n: number, extra = ''): string {
  return `From: sender${n}@example.org\nTo: ${USER}\nSubject: message ${n}\nMessage-ID: <m${n}@example.org>\n\nline one of ${n}\n.starts with a dot\nline three\n${extra}`;
}

/** Run a program we did not write; resolves with its exit code and output (never rejects). */
export function run(
  cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd, args,
      { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Is a program installed? In CI (env CI set) a missing one is a failure, elsewhere the test skips. */
export async function have(program: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${program}`]);
  if (r.code === 0) return true;
  if (process.env.CI) throw new Error(`${program} is not installed (add it to .ci/apt-packages)`);
  return false;
}

/** A scripted raw client: send bytes, read replies line by line. */
export class RawClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf += d.toString('latin1');
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', () => undefined);
  }
  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  send(data: string | Buffer): void {
    this.socket.write(data);
  }
  /** Next line (without CRLF); null when the server closed. */
  async line(timeoutMs = 30_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return l;
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for a line; have ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  /** Send a command and read one reply line. */
  async cmd(text: string): Promise<string | null> {
    this.send(text + '\r\n');
    return this.line();
  }
  /** Read a multi-line body up to the lone ".". */
  async multi(): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const l = await this.line();
      if (l === null || l === '.') return out;
      out.push(l);
    }
    return out;
  }
  close(): void {
    this.socket.destroy();
  }
}
