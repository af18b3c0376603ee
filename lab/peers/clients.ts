// Misbehaving SMTP clients (FEATURES L1): slowloris, garbage bytes, pipelining without waiting, NUL bytes,
// 1 MB lines and early talkers. Each runs once against host:port and returns what the server did
// (replies, whether and when it closed) as a value; none of them sends a message to a real recipient.
//
// API:
//   const r = await misbehave('slowloris', { host, port, maxMs: 3000 });
//   r.replies, r.closedByServer, r.closedAfterMs, r.transcript, r.summary
//   MISBEHAVIOURS lists the kinds.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SmtpClient, type Reply } from '../smtp/client.js';

export const MISBEHAVIOURS = ['slowloris', 'garbage', 'pipelining', 'nul-bytes', 'long-line', 'early-talker'] as const;
export type Misbehaviour = (typeof MISBEHAVIOURS)[number];

export interface MisbehaveOptions {
  host: string;
  port: number;
  /** Upper bound on the whole run (slowloris keeps dribbling until then). Default 5000. */
  maxMs?: number;
  /** slowloris: ms between bytes. Default 200. */
  intervalMs?: number;
  /** long-line: bytes in the line. Default 1 MiB. */
  lineBytes?: number;
  /** garbage: bytes of random data. Default 64 KiB. */
  garbageBytes?: number;
  /** Domain for envelope addresses (a local domain of the target, so nothing is relayed). */
  domain?: string;
}

export interface MisbehaveResult {
  kind: Misbehaviour;
  replies: Reply[];
  closedByServer: boolean;
  /** ms from connect to the server closing, when it did. */
  closedAfterMs?: number;
  durationMs: number;
  transcript: string[];
  /** One line: what the server did. */
  summary: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collect replies until the server closes or `ms` pass without a new one. */
async function drain(c: SmtpClient, ms: number, into: Reply[]): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const r = await c.reply(ms);
    if (r.code === -1) return;
    if (r.code === 0 && c.isClosed) return;
    into.push(r);
  }
}

export async function misbehave(kind: Misbehaviour, o: MisbehaveOptions): Promise<MisbehaveResult> {
  const maxMs = o.maxMs ?? 5000;
  const domain = o.domain ?? 'example.test';
  const t0 = performance.now();
  const c = await SmtpClient.connect(o.host, o.port, { timeoutMs: Math.min(maxMs, 10_000) });
  let closedAt: number | undefined;
  let weClosed = false;
  let closedByServer = false;
  c.socket.once('close', () => {
    closedAt ??= performance.now();
    closedByServer = !weClosed;
  });
  const replies: Reply[] = [];
  const end = () => t0 + maxMs;
  try {
    switch (kind) {
      case 'early-talker': {
        // talk before the greeting: a careful server answers 5xx or drops us
        c.write('EHLO early.lab.example.test\r\n');
        await drain(c, Math.min(1500, maxMs), replies);
        break;
      }
      case 'slowloris': {
        replies.push(await c.reply());
        const script = `EHLO slow.lab.example.test\r\nMAIL FROM:<slow@${domain}>\r\nRCPT TO:<postmaster@${domain}>\r\nDATA\r\n` + 'X-Slow: y\r\n'.repeat(10_000);
        const interval = o.intervalMs ?? 200;
        for (let i = 0; i < script.length && performance.now() < end() && !c.isClosed; i++) {
          c.write(script[i]);
          await sleep(interval);
          while (c.queued) replies.push(await c.reply(1));
        }
        break;
      }
      case 'garbage': {
        replies.push(await c.reply());
        const n = o.garbageBytes ?? 65_536;
        for (let sent = 0; sent < n && !c.isClosed; sent += 4096) c.write(randomBytes(Math.min(4096, n - sent)));
        c.write('\r\n');
        await drain(c, 1000, replies);
        break;
      }
      case 'pipelining': {
        // everything at once, without waiting, whether or not PIPELINING was offered
        replies.push(await c.reply());
        const burst =
          `EHLO pipe.lab.example.test\r\nMAIL FROM:<pipe@${domain}>\r\n` +
          Array.from({ length: 50 }, (_, i) => `RCPT TO:<nobody${i}@${domain}>\r\n`).join('') +
          `DATA\r\nSubject: pipelined\r\n\r\nbody\r\n.\r\n` +
          Array.from({ length: 50 }, () => 'NOOP\r\n').join('') +
          'QUIT\r\n';
        c.write(burst);
        await drain(c, 1500, replies);
        break;
      }
      case 'nul-bytes': {
        replies.push(await c.reply());
        replies.push(await c.cmd('EHLO nul\0.lab.example.test'));
        replies.push(await c.cmd(`MAIL FROM:<n\0ul@${domain}>`));
        replies.push(await c.cmd(`RCPT TO:<postmaster\0@${domain}>`));
        replies.push(await c.cmd('\0\0\0\0'));
        replies.push(await c.cmd('NOOP'));
        break;
      }
      case 'long-line': {
        replies.push(await c.reply());
        const n = o.lineBytes ?? 1024 * 1024;
        const line = 'EHLO ' + 'a'.repeat(n);
        for (let i = 0; i < line.length && !c.isClosed; i += 65_536) c.write(line.slice(i, i + 65_536));
        c.write('\r\n');
        await drain(c, 1500, replies);
        if (!c.isClosed) replies.push(await c.cmd('NOOP', 1500));
        break;
      }
    }
  } finally {
    await sleep(20);
    weClosed = true;
    if (!c.isClosed) c.close();
  }
  const durationMs = performance.now() - t0;
  const closedAfterMs = closedByServer && closedAt !== undefined ? Math.round(closedAt - t0) : undefined;
  const codes = replies.filter((r) => r.code > 0).map((r) => r.code);
  const summary = `${kind}: replies ${codes.length ? codes.join(',') : 'none'}; ${closedByServer ? `server closed after ${closedAfterMs} ms` : 'connection left open'}`;
  return { kind, replies, closedByServer, closedAfterMs, durationMs: Math.round(durationMs), transcript: c.transcript, summary };
}

/** Hold `count` idle connections open (a connection-exhaustion slowloris); reports how many got a 220. */
export async function holdConnections(o: { host: string; port: number; count: number; holdMs: number }): Promise<{ greeted: number; refused: number; failed: number }> {
  const clients: SmtpClient[] = [];
  let greeted = 0;
  let refused = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: o.count }, async () => {
      try {
        const c = await SmtpClient.connect(o.host, o.port, { timeoutMs: 5000, transcript: false });
        clients.push(c);
        const r = await c.reply(5000);
        if (r.code === 220) greeted++;
        else refused++;
      } catch {
        failed++;
      }
    }),
  );
  await sleep(o.holdMs);
  for (const c of clients) c.close();
  return { greeted, refused, failed };
}
