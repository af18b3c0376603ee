// Shared pieces of the outbound tests: a tegami server wired to the lab's stand-in DNS with its MX port
// pointed at a lab sink, a raw SMTP submitter (exact MAIL/RCPT parameters), and log/queue readers.
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawSmtp } from '../helpers/smtp-client.js';
import { startDnsServer, type DnsServer, type ZoneRecords } from '../../lab/dns/server.js';

export interface Setup {
  srv: TestServer;
  dns: DnsServer;
  close(): Promise<void>;
}

export async function setup(o: { records?: ZoneRecords; mxPort: number; toml?: string; users?: { address: string; password: string }[]; dataDir?: string; listeners?: string[]; listenAt?: Record<string, string> }): Promise<Setup> {
  const dns = await startDnsServer({ zones: o.records ?? [] });
  const toml = [
    '[dns]',
    `servers = ["${dns.address}"]`,
    // the stand-in DNS always answers: a short timeout would only lose answers on a busy machine
    'timeout = "15s"',
    '[relay]',
    'mode = "addresses"',
    'allow_ips = ["127.0.0.1/32"]',
    '[spam]',
    'enabled = false',
    o.toml ?? '',
  ].join('\n');
  // the [outbound] port goes in the caller's toml if it has an [outbound] table
  const full = /\[outbound\]/.test(toml) ? toml.replace('[outbound]', `[outbound]\nport = ${o.mxPort}`) : `${toml}\n[outbound]\nport = ${o.mxPort}\nconnect_timeout = "15s"\n`;
  const srv = await startTestServer({ toml: full, users: o.users ?? [{ address: 'alice@example.test', password: 'alice-secret-1' }], dataDir: o.dataDir, listeners: o.listeners, listenAt: o.listenAt }).catch(async (e: unknown) => {
    await dns.close();
    throw e;
  });
  return {
    srv,
    dns,
    close: async () => {
      await srv.stop();
      await dns.close();
    },
  };
}

export function message(from: string, to: string, subject: string, body = 'Hello from tegami.\r\n', extra = ''): string {
  return [`From: <${from}>`, `To: <${to}>`, `Subject: ${subject}`, `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`, `Date: ${new Date().toUTCString()}`, extra, '', body]
    .filter((l, i) => l !== '' || i > 4)
    .join('\r\n');
}

/** One SMTP transaction on the server's smtp port; returns the final reply code and text. */
export async function submit(port: number, from: string, rcpts: (string | { address: string; params: string })[], data: string, mailParams = ''): Promise<{ code: number; text: string }> {
  const c = await RawSmtp.connect(port);
  try {
    await c.reply();
    let r = await c.cmd('EHLO client.example.net');
    r = await c.cmd(`MAIL FROM:<${from}>${mailParams ? ' ' + mailParams : ''}`);
    if (r.code !== 250) throw new Error(`MAIL: ${r.text}`);
    for (const x of rcpts) {
      const [a, p] = typeof x === 'string' ? [x, ''] : [x.address, x.params];
      r = await c.cmd(`RCPT TO:<${a}>${p ? ' ' + p : ''}`);
      if (r.code !== 250) throw new Error(`RCPT ${a}: ${r.text}`);
    }
    r = await c.cmd('DATA');
    if (r.code !== 354) throw new Error(`DATA: ${r.text}`);
    const body = data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    c.write(body + (body.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
    r = await c.reply(120_000);
    await c.cmd('QUIT').catch(() => undefined);
    return { code: r.code, text: r.text };
  } finally {
    c.close();
  }
}

/**
 * Poll `fn` until it gives a value. Between polls it rests `stepMs`; after a synchronous poll that took longer (one
 * that runs the CLI with spawnSync blocks this process, where the sinks and the stand-in DNS live), as long as the
 * poll took, so they get half the time to answer the server. An asynchronous poll leaves them free while it runs.
 */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 120_000, stepMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = Date.now();
    const got = fn();
    const blocked = got instanceof Promise ? 0 : Date.now() - started;
    const v = await got;
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, Math.max(stepMs, blocked)));
  }
}

/** The server's log lines of a service (its daily text files), as text. */
export function logText(srv: TestServer, service = 'delivery'): string {
  const dir = path.join(srv.dataDir, 'logs');
  let s = '';
  // daily files, oldest first: the lines stay in the order they were written
  for (const f of (fs.existsSync(dir) ? fs.readdirSync(dir) : []).sort()) if (f.startsWith(`${service}-`)) s += fs.readFileSync(path.join(dir, f), 'utf8');
  return s;
}

export interface ListedMessage {
  id: string;
  /** When it was received (ISO 8601). */
  arrival: string;
  state: string;
  sender: string;
  next_attempt: string | null;
  last_error: string | null;
  recipients: { address: string; status: string; attempts: number; last_error: string | null; held: boolean }[];
}

/** When each server's last `queue list` ended (see queueList). */
const lastList = new WeakMap<TestServer, number>();
const LIST_EVERY_MS = 500;

/** `queue list --json`, run without blocking this process: the sinks and the stand-in DNS the tests poll beside
 *  live in it, and a synchronous CLI stalled them for its whole run (a delivery attempt then outlived the queue).
 *  A poll of the same server starts at least half a second after the last one ended: each is a CLI process (0.3–1 s of
 *  CPU), and `until`'s 100 ms step made a waiting test a busy core. */
export async function queueList(srv: TestServer, extra: string[] = []): Promise<ListedMessage[]> {
  const wait = (lastList.get(srv) ?? 0) + LIST_EVERY_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const r = await srv.cliAsync(['queue', 'list', '--json', ...extra]).finally(() => lastList.set(srv, Date.now()));
  if (r.status !== 0) throw new Error(`queue list failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { queue: ListedMessage[] }).queue;
}

export function readMail(files: string[]): string[] {
  return files.map((f) => fs.readFileSync(f, 'utf8'));
}

/** A receiving server's side of one session that answers at once, except RCPT: its reply starts with `drip` (which
 *  then sends a byte every so often for ever, so the session is never silent long enough for command_timeout). */
export function answerWithDrippingRcpt(c: net.Socket, drip: (first: string) => void): void {
  let buf = '';
  c.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (let nl = buf.indexOf('\r\n'); nl >= 0 && !c.destroyed; nl = buf.indexOf('\r\n')) {
      const verb = buf.slice(0, 4).toUpperCase();
      buf = buf.slice(nl + 2);
      if (verb === 'EHLO') c.write('250-drip.lab.example.test\r\n250 8BITMIME\r\n');
      else if (verb === 'RCPT') drip('250-2.1.5 thinking ');
      else if (verb === 'QUIT') c.end('221 2.0.0 Bye\r\n');
      else c.write('250 2.0.0 Ok\r\n');
    }
  });
  c.write('220 drip.lab.example.test ESMTP\r\n');
}
