// Shared pieces of the list tests: a real tegami server with example.test local, the lab DNS (DKIM keys,
// DMARC records) and a lab sink standing in for every remote domain (routes), swaks as the mail client,
// mailauth to verify what arrives, and readers for Maildirs and logs. Polls are generous; nothing is timed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { promises as dnsp } from 'node:dns';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { startSink, type ReceivedMessage, type Sink, type SinkOptions } from '../../lab/peers/sink.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';
import { run, startTestServer, type TestServer } from '../helpers/server.js';
import { logText, until } from '../outbound/helpers.js';

export { until, logText };

export interface ListLab {
  srv: TestServer;
  dns: DnsServer;
  sink: Sink;
  close(): Promise<void>;
}

/** Remote domains routed to the sink. */
export const REMOTE = ['remote.test', 'strict.test', 'other.test', 'lax.test'];

export async function listLab(o: { users?: { address: string; password: string }[]; toml?: string; sink?: SinkOptions; remote?: string[]; queue?: string[]; listeners?: string[] } = {}): Promise<ListLab> {
  const sink = await startSink(o.sink ?? {});
  const dns = await startDnsServer({ zones: [] });
  const remote = o.remote ?? REMOTE;
  const srv = await startTestServer({
    domains: ['example.test'],
    ...(o.listeners ? { listeners: o.listeners } : {}),
    users: o.users ?? [],
    toml: [
      '[dns]',
      `servers = ["${dns.address}"]`,
      'timeout = "2s"',
      '[spam]',
      'enabled = false',
      '[queue]',
      'retry_schedule = ["1s"]',
      ...(o.queue ?? []),
      ...remote.flatMap((d) => ['[[route]]', `domain = "${d}"`, `to = "${sink.address}"`]),
      o.toml ?? '',
    ].join('\n'),
  });
  const key = srv.cli(['dkim', 'keygen', 'example.test', '--selector', 's1', '--json']);
  assert.equal(key.status, 0, key.stderr);
  const rec = JSON.parse(key.stdout) as { name: string; value: string };
  dns.add([{ name: rec.name, type: 'TXT', data: rec.value }]);
  return {
    srv,
    dns,
    sink,
    close: async () => {
      await srv.stop();
      await sink.close();
      await dns.close();
      fs.rmSync(srv.dir, { recursive: true, force: true });
    },
  };
}

/** Run the CLI and insist it worked. */
export function cli(srv: TestServer, args: string[]): string {
  const r = srv.cli(args);
  assert.equal(r.status, 0, `tegami ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** swaks to the server's port 25, unauthenticated, as a stranger's MTA would; returns its transcript. */
export async function swaks(srv: TestServer, args: string[]): Promise<string> {
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--helo', 'client.remote.test', '--timeout', '30', ...args]);
  return r.stdout + r.stderr;
}

/** Post a message to the list with swaks; asserts the 250. */
export async function post(srv: TestServer, from: string, to: string, subject: string, extra: string[] = []): Promise<void> {
  const out = await swaks(srv, ['--from', from, '--to', to, '--header', `Subject: ${subject}`, '--header', `From: ${from}`, ...extra]);
  assert.match(out, /<- {2}250 2\.0\.0 Ok: queued/, out);
}

export async function dkimResults(dns: DnsServer, raw: Buffer): Promise<{ result: string; domain?: string }[]> {
  const resolver = new dnsp.Resolver();
  resolver.setServers([dns.address]);
  const v = await dkimVerify(raw, { resolver: (name: string, rr: string) => resolver.resolve(name, rr) as Promise<string[][]> });
  return v.results.map((r) => ({ result: r.status.result, domain: r.signingDomain }));
}

/** Sink messages whose raw text matches. */
export function atSink(sink: Sink, pattern: RegExp): ReceivedMessage[] {
  return sink.messages.filter((m) => pattern.test(m.raw.toString('latin1')));
}

/** The messages in a local user's INBOX, as text. */
export function mailOf(srv: TestServer, owner: string): string[] {
  return srv.maildir(owner).map((f) => fs.readFileSync(f, 'latin1'));
}

/** The value of the first header field `name` in a raw message (unfolded). */
export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0];
  const m = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return m?.[1].replace(/\r?\n[ \t]+/g, ' ').trim();
}
