// IMAP test harness: an in-process IMAP server (plain + implicit TLS) on loopback port 0 over a store (the
// memory store by default), a temp data dir with real accounts, and a raw line client that reads literals.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parseConfigText, type LoadedConfig } from '../../engine/config/load.js';
import { openTestDirectory } from '../helpers/directory.js';
import { openTestStore } from '../helpers/store.js';
import { openDatabase } from '../../engine/db/database.js';
import { startImap, type ImapServer } from '../../engine/imap/server.js';
import { Logger } from '../../engine/log/logger.js';
import { LoginFlow } from '../../engine/net/login.js';
import { closeBayesStores } from '../../engine/spam/learn.js';
import type { MailboxStore } from '../../engine/store/mailbox-store.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { MemoryStore } from '../../engine/store/memory-store.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';

export interface Harness {
  dir: string;
  config: LoadedConfig;
  store: MailboxStore;
  plain: ImapServer;
  secure: ImapServer;
  logger: Logger;
  /** The login flow both listeners share (one throttle). */
  login: LoginFlow;
  close(): Promise<void>;
}

export const USER = 'taro@example.test';
export const PASS = 'secret-pw1';

export async function startHarness(
  opts: { toml?: string; store?: (dataDir: string) => MailboxStore; host?: string; byIp?: Record<string, string> } = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-imap-'));
  const dataDir = path.join(dir, 'data');
  const config = parseConfigText(
    [`hostname = "mx.example.test"`, `data_dir = ${JSON.stringify(dataDir)}`, '[domains]', 'local = ["example.test", "other.test"]', `by_ip = { ${Object.entries(opts.byIp ?? {}).map(([ip, d]) => `"${ip}" = "${d}"`).join(', ')} }`, '[log]', 'stdout = false', opts.toml ?? ''].join('\n'),
    path.join(dir, 'tegami.toml'),
  );
  const db = openDatabase(dataDir);
  // TEGAMI_TEST_DIRECTORY=postgres runs the IMAP tests over the PostgreSQL directory (test/helpers/directory.ts)
  const opened = await openTestDirectory(config, db);
  const directory = opened.directory;
  await directory.addUser({ address: USER, password: PASS });
  await directory.addUser({ address: 'hanako@other.test', password: 'other-pw2' });
  await directory.addUser({ address: 'gone@example.test', password: 'disabled-pw', disabled: true });
  // IMAP_TEST_STORE=maildir runs the protocol tests over the durable store too
  // TEGAMI_TEST_STORE=postgres runs them over the PostgreSQL store (test/helpers/store.ts)
  const store = opts.store
    ? opts.store(dataDir)
    : await openTestStore(() => (process.env.IMAP_TEST_STORE === 'maildir' ? new MaildirStore(dataDir) : new MemoryStore()));
  const logger = new Logger({ dir: path.join(dataDir, 'logs'), stdout: false, files: true, level: 'debug' });
  const pair = await loadOrCreateCertificate({ dataDir, hostname: 'localhost' });
  const host = opts.host ?? '127.0.0.1';
  const login = LoginFlow.fromConfig(config, directory, logger);
  const common = { tls: { key: pair.key, cert: pair.cert }, store, directory, config, logger, login };
  const plain = await startImap({ ...common, listen: `${host}:0`, implicitTls: false });
  const secure = await startImap({ ...common, listen: `${host}:0`, implicitTls: true });
  return {
    dir,
    config,
    store,
    plain,
    secure,
    logger,
    login,
    async close() {
      await plain.close();
      await secure.close();
      await logger.close();
      await opened.close();
      db.close();
      closeBayesStores();
      await (store as { close?: () => Promise<void> }).close?.();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A message with CRLF line ends. */
export function mail(lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

export interface Reply {
  /** Untagged and continuation lines, with literals inlined. */
  lines: string[];
  /** The tagged status line. */
  status: string;
  raw: Buffer;
}

/** A raw IMAP client: sends exact bytes and collects responses (literals included) up to the tagged line. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private n = 0;
  closed = false;
  greeting = '';

  private constructor(public socket: net.Socket) {
    this.attach(socket);
  }

  private attach(s: net.Socket) {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiters.splice(0).forEach((w) => w());
    });
    s.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    s.on('error', () => {});
  }

  static async connect(port: number, opts: { tls?: boolean; host?: string } = {}): Promise<RawClient> {
    const host = opts.host ?? '127.0.0.1';
    const socket = opts.tls
      ? tls.connect({ port, host, rejectUnauthorized: false })
      : net.connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const c = new RawClient(socket);
    c.greeting = await c.line();
    return c;
  }

  async upgrade(): Promise<void> {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const s = tls.connect({ socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve());
      s.once('error', reject);
    });
    this.socket = s;
    this.buf = Buffer.alloc(0);
    this.attach(s);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  private async wait(timeoutMs: number): Promise<void> {
    if (this.closed) throw new Error('connection closed');
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout; buffer: ${this.buf.toString('latin1').slice(-300)}`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** One response line, with any literals it announces inlined. */
  async line(timeoutMs = 30_000): Promise<string> {
    let out = '';
    for (;;) {
      const nl = this.buf.indexOf('\r\n');
      if (nl < 0) {
        if (this.closed) throw new Error(`connection closed; partial: ${out}${this.buf.toString('latin1')}`);
        await this.wait(timeoutMs);
        continue;
      }
      const l = this.buf.subarray(0, nl).toString('utf8');
      const m = /\{(\d+)\}$/.exec(l);
      if (!m) {
        this.buf = this.buf.subarray(nl + 2);
        return out + l;
      }
      const size = Number(m[1]);
      while (this.buf.length < nl + 2 + size) await this.wait(timeoutMs);
      out += l + '\r\n' + this.buf.subarray(nl + 2, nl + 2 + size).toString('utf8');
      this.buf = this.buf.subarray(nl + 2 + size);
    }
  }

  /** Send a command with a fresh tag and read up to its tagged reply. */
  async cmd(command: string, timeoutMs = 30_000): Promise<Reply> {
    const tag = `t${++this.n}`;
    this.write(`${tag} ${command}\r\n`);
    return this.until(tag, timeoutMs);
  }

  async until(tag: string, timeoutMs = 30_000): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line(timeoutMs);
      if (l.startsWith(tag + ' ')) return { lines, status: l.slice(tag.length + 1), raw: Buffer.from(lines.join('\r\n')) };
      lines.push(l);
    }
  }

  async login(user = USER, pass = PASS): Promise<void> {
    const r = await this.cmd(`LOGIN ${user} ${pass}`);
    if (!r.status.startsWith('OK')) throw new Error(`login failed: ${r.status}`);
  }

  close(): void {
    this.socket.destroy();
  }
}
