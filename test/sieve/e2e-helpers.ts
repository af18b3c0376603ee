// Shared pieces of the rules tests over real sockets: a `tegami serve` with the lab's stand-in DNS (MX of the
// remote test domains pointing at a lab sink), raw SMTP transactions with exact bytes (8-bit Japanese mail too),
// the delivery log read back for what the rules did, and polling with generous deadlines (never a timing assert).
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { RawSmtp } from '../helpers/smtp-client.js';
import { startDnsServer, type DnsServer, type ZoneRecords } from '../../lab/dns/server.js';
import { startSink, type Sink, type SinkOptions } from '../../lab/peers/sink.js';
import { encodeFolder } from '../../engine/store/maildir-names.js';

export interface RulesLab {
  srv: TestServer;
  dns: DnsServer;
  sink: Sink;
  close(): Promise<void>;
}

export const REMOTE_DOMAINS = ['remote.test', 'orig.test', 'friend.test'];

/** A server for example.test whose remote mail (remote.test, orig.test, friend.test) all goes to one lab sink. */
export async function startRulesLab(
  o: {
    users?: string[];
    toml?: string;
    records?: ZoneRecords;
    listeners?: string[];
    sink?: SinkOptions;
    /** more [queue] keys */
    queue?: string;
    /** How the server is started (default startTestServer; a PostgreSQL node: test/db/pg/pg-node.ts). */
    start?: (opts: TestServerOptions) => Promise<TestServer>;
  } = {},
): Promise<RulesLab> {
  const sink = await startSink(o.sink ?? {});
  const records: ZoneRecords = [{ name: 'mx.lab.test', type: 'A', data: '127.0.0.1' }, ...REMOTE_DOMAINS.map((d) => ({ name: d, type: 'MX' as const, data: '10 mx.lab.test' })), ...(o.records ?? [])];
  const dns = await startDnsServer({ zones: records });
  const toml = ['[dns]', `servers = ["${dns.address}"]`, 'timeout = "2s"', '[outbound]', `port = ${sink.port}`, 'connect_timeout = "5s"', '[queue]', 'retry_schedule = ["1s", "2s"]', o.queue ?? '', /^\[spam\]/m.test(o.toml ?? '') ? '' : '[spam]\nenabled = false', o.toml ?? ''].join('\n');
  const srv = await (o.start ?? startTestServer)({
    toml,
    listeners: o.listeners ?? ['smtp', 'submission'],
    users: (o.users ?? ['alice@example.test']).map((address) => ({ address, password: 'secret-pass-1' })),
  });
  return {
    srv,
    dns,
    sink,
    close: async () => {
      await srv.stop();
      await dns.close();
      await sink.close();
    },
  };
}

export const PASSWORD = 'secret-pass-1';

/** One SMTP transaction with exact message bytes; the final reply (or the first refusal). */
export async function smtpSend(port: number, from: string, rcpts: string[], raw: Buffer | string, opts: { auth?: { user: string; pass: string } } = {}): Promise<{ code: number; text: string; stage: string }> {
  const c = await RawSmtp.connect(port);
  try {
    await c.reply();
    await c.cmd('EHLO client.orig.test');
    if (opts.auth) {
      await c.cmd('STARTTLS');
      await c.startTls();
      await c.cmd('EHLO client.orig.test');
      const r = await c.cmd(`AUTH PLAIN ${Buffer.from(`\0${opts.auth.user}\0${opts.auth.pass}`).toString('base64')}`);
      if (r.code !== 235) return { code: r.code, text: r.text, stage: 'auth' };
    }
    let r = await c.cmd(`MAIL FROM:<${from}>`);
    if (r.code !== 250) return { code: r.code, text: r.text, stage: 'mail' };
    for (const to of rcpts) {
      r = await c.cmd(`RCPT TO:<${to}>`);
      if (r.code !== 250) return { code: r.code, text: r.text, stage: 'rcpt' };
    }
    r = await c.cmd('DATA');
    if (r.code !== 354) return { code: r.code, text: r.text, stage: 'data' };
    const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
    const text = bytes.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    c.write(Buffer.from(text + (text.endsWith('\r\n') ? '' : '\r\n') + '.\r\n', 'latin1'));
    r = await c.reply(60_000);
    await c.cmd('QUIT').catch(() => undefined);
    return { code: r.code, text: r.text, stage: 'end' };
  } finally {
    c.close();
  }
}

export function mail(o: { from?: string; to?: string; subject?: string; headers?: string[]; body?: string; id?: string }): string {
  return [
    `From: ${o.from ?? 'Sender <sender@orig.test>'}`,
    `To: ${o.to ?? 'alice@example.test'}`,
    `Subject: ${o.subject ?? 'hello'}`,
    `Message-ID: <${o.id ?? Math.random().toString(36).slice(2)}@orig.test>`,
    `Date: ${new Date().toUTCString()}`,
    ...(o.headers ?? []),
    '',
    o.body ?? 'Hello there.',
    '',
  ].join('\r\n');
}

/** The delivery log (rules events are logged there by the queue). */
export function deliveryLog(srv: TestServer): string {
  const dir = path.join(srv.dataDir, 'logs');
  let s = '';
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) if (f.startsWith('delivery-')) s += fs.readFileSync(path.join(dir, f), 'utf8');
  return s;
}

export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 120_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Lines of the delivery log with this event name whose fields match `re`. */
export function logLines(srv: TestServer, event: string, re: RegExp = /./): string[] {
  return deliveryLog(srv)
    .split('\n')
    .filter((l) => l.split(' ')[2] === event)
    .filter((l) => re.test(l));
}

/** Files in a folder of a user's Maildir, named as the IMAP store names it on disk (modified UTF-7). */
export function folderFiles(srv: TestServer, owner: string, folder: string): string[] {
  const [local, domain] = owner.split('@');
  const root = path.join(srv.dataDir, 'mail', domain, local, 'Maildir');
  const dir = folder === 'INBOX' ? root : path.join(root, '.' + encodeFolder(folder)!);
  const out: string[] = [];
  for (const sub of ['new', 'cur']) {
    try {
      for (const f of fs.readdirSync(path.join(dir, sub))) out.push(path.join(dir, sub, f));
    } catch {
      /* not there yet */
    }
  }
  return out;
}

export async function waitFolder(srv: TestServer, owner: string, folder: string, n: number, timeoutMs = 30_000): Promise<string[]> {
  return until(`${n} message(s) in ${owner}/${folder}`, () => {
    const f = folderFiles(srv, owner, folder);
    return f.length >= n ? f : null;
  }, timeoutMs);
}

export function cliOk(srv: TestServer, args: string[], input?: string): string {
  const r = srv.cli(args, input);
  if (r.status !== 0) throw new Error(`tegami ${args.join(' ')} → ${r.status}: ${r.stderr}`);
  return r.stdout;
}
