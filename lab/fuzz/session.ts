// Drives one fuzz session over a fresh TCP connection: greeting, each step written as planned, waits where
// the plan says a reply is due (until the first mutation or unplanned turn), then a liveness probe that
// any state must answer. Returns what went wrong as values, with a transcript. One socket; always closed.
import net from 'node:net';
import type { Plan, Protocol, Step, Wait } from './plan.js';
import { replyReader, type ReplyEvent } from './reply-syntax.js';

export type FailureKind = 'malformed' | 'wrong-reply' | 'no-reply' | 'hang' | 'connect' | 'oracle' | 'crash' | 'rss';

export interface Failure {
  kind: FailureKind;
  detail: string;
}

export interface Exchange {
  dir: 'C' | 'S';
  data: string;
}

export interface SessionResult {
  failures: Failure[];
  transcript: Exchange[];
  closedByServer: boolean;
  ms: number;
  /** Slowest planned reply (ms). */
  slowest: number;
  /** Steps written before the session ended. */
  stepsSent: number;
}

export interface SessionOptions {
  host: string;
  port: number;
  /** No reply may take longer than this (ms). */
  replyBoundMs: number;
  /** The whole session, probe included (ms). */
  budgetMs: number;
  /** Send the liveness probe after the last step (default true). */
  probe?: boolean;
}

const GREETING: Record<Protocol, RegExp> = { smtp: /^220[ -]/, pop3: /^\+OK/, imap: /^\* (OK|PREAUTH)/ };

/** What a liveness probe writes: enough to end any literal the generator makes (≤ 700 octets) or a DATA, leave IDLE, and ask for a reply. */
export const PROBE: Record<Protocol, Buffer> = {
  smtp: Buffer.from('\r\n.\r\nNOOP\r\n'),
  pop3: Buffer.from('\r\nNOOP\r\n'),
  imap: Buffer.from('x'.repeat(1024) + '\r\nDONE\r\nZZPROBE NOOP\r\n'),
};

function satisfied(w: Wait, e: ReplyEvent, protocol: Protocol, sawOk: { line?: string }): boolean {
  if (w.kind === 'none') return true;
  if (w.kind === 'cont') return e.cont || e.final;
  if (w.kind === 'tag') return e.cont || e.tag === w.tag;
  // reply
  if (protocol !== 'pop3') return e.final;
  if (!w.multi) return e.final && !e.blockEnd;
  if (e.blockEnd) return true;
  if (e.cont || e.line.startsWith('-ERR')) return true;
  if (e.line.startsWith('+OK')) sawOk.line = e.line;
  return false;
}

export async function runSession(plan: Plan, opts: SessionOptions): Promise<SessionResult> {
  const t0 = Date.now();
  const failures: Failure[] = [];
  const transcript: Exchange[] = [];
  const sent: Buffer[] = [];
  let sentText = '';
  const reader = replyReader(plan.protocol, (tag) => sentText.includes(tag) || PROBE.imap.includes(tag));
  let closed = false;
  let received = 0;
  let wake: (() => void) | undefined;
  const sock = net.connect({ host: opts.host, port: opts.port });
  sock.setNoDelay(true);
  const connected = await new Promise<boolean>((resolve) => {
    sock.once('connect', () => resolve(true));
    sock.once('error', () => resolve(false));
  });
  if (!connected) return { failures: [{ kind: 'connect', detail: `cannot connect to ${opts.host}:${opts.port}` }], transcript, closedByServer: true, ms: 0, slowest: 0, stepsSent: 0 };
  sock.on('error', () => undefined);
  sock.on('data', (d: Buffer) => {
    received += d.length;
    transcript.push({ dir: 'S', data: d.toString('latin1') });
    reader.feed(d);
    wake?.();
  });
  sock.on('close', () => {
    closed = true;
    wake?.();
  });
  let cursor = 0;
  /** Wait for an event that satisfies `pred` (consuming events up to it); 'timeout' or 'closed' otherwise. */
  const waitEvent = async (pred: (e: ReplyEvent) => boolean, ms: number): Promise<ReplyEvent | 'timeout' | 'closed'> => {
    const deadline = Date.now() + ms;
    for (;;) {
      while (cursor < reader.events.length) {
        const e = reader.events[cursor++];
        if (pred(e)) return e;
      }
      if (closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  };
  const settle = async (ms: number) => {
    await new Promise((r) => setTimeout(r, ms));
    cursor = reader.events.length;
  };
  const write = (b: Buffer) =>
    new Promise<void>((resolve) => {
      sent.push(b);
      sentText += b.length > 4096 ? b.subarray(0, 4096).toString('latin1') : b.toString('latin1');
      transcript.push({ dir: 'C', data: b.toString('latin1') });
      if (closed || sock.destroyed) return resolve();
      sock.write(b, () => resolve());
    });

  let slowest = 0;
  const budgetLeft = () => opts.budgetMs - (Date.now() - t0);
  const greet = await waitEvent((e) => e.final || e.line.startsWith('* '), Math.min(opts.replyBoundMs, budgetLeft()));
  if (greet === 'timeout') failures.push({ kind: 'no-reply', detail: `no greeting within ${opts.replyBoundMs} ms` });
  else if (greet !== 'closed' && !GREETING[plan.protocol].test(greet.line)) failures.push({ kind: 'wrong-reply', detail: `greeting: ${greet.line}` });
  let desynced = greet === 'timeout';
  let abrupt = false;
  let stepsSent = 0;
  for (const [i, s] of plan.steps.entries()) {
    if (closed || budgetLeft() <= 0) break;
    const before = Date.now();
    stepsSent++;
    await write(s.bytes);
    if (s.close) {
      sock.destroy();
      abrupt = true;
      break;
    }
    if (desynced || s.mutated || s.wait.kind === 'none') {
      if (s.mutated || s.desync) desynced = true;
      await settle(s.mutated ? 15 : 2);
      continue;
    }
    const sawOk: { line?: string } = {};
    const e = await waitEvent((ev) => satisfied(s.wait, ev, plan.protocol, sawOk), Math.min(opts.replyBoundMs, Math.max(1, budgetLeft())));
    if (e === 'closed') break;
    if (e === 'timeout') {
      if (budgetLeft() > 0) failures.push({ kind: 'no-reply', detail: `step ${i} ${show(s)}: no ${describeWait(s.wait)} within ${opts.replyBoundMs} ms` });
      desynced = true;
      continue;
    }
    slowest = Math.max(slowest, e.at - before);
    const judged = e.blockEnd && sawOk.line ? sawOk.line : e.line;
    // a server that says it is closing (too many errors, timeouts) may answer the next command with that line
    if (s.accept && !CLOSING.test(judged) && !s.accept.test(judged)) failures.push({ kind: 'wrong-reply', detail: `step ${i} ${show(s)}: got "${judged}", expected ${s.accept}` });
    if (s.desync || (s.wait.kind === 'cont' && !e.cont) || (s.wait.kind === 'tag' && e.cont) || (s.unless && !s.unless.test(e.line)) || (s.desyncIf && s.desyncIf.test(e.line))) desynced = true;
  }
  if (opts.probe !== false && !closed && !abrupt && budgetLeft() > 0) {
    const n = received;
    await write(PROBE[plan.protocol]);
    const deadline = Date.now() + opts.replyBoundMs;
    while (!closed && received === n && Date.now() < deadline)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    wake = undefined;
    if (!closed && received === n) failures.push({ kind: 'hang', detail: `no byte and no close within ${opts.replyBoundMs} ms of the liveness probe ${JSON.stringify(PROBE[plan.protocol].toString('latin1').slice(-24))}` });
  }
  // let the last replies arrive before judging their syntax
  if (!closed && !abrupt) await settle(20);
  const closedByServer = closed && !abrupt;
  sock.destroy();
  for (const v of reader.violations) failures.push({ kind: 'malformed', detail: `${v.why}: ${JSON.stringify(v.line)}` });
  return { failures, transcript, closedByServer, ms: Date.now() - t0, slowest, stepsSent };
}

const CLOSING = /^(421[ -]|-ERR .*closing|\* BYE)/i;

function describeWait(w: Wait): string {
  return w.kind === 'tag' ? `tagged ${w.tag} completion` : w.kind === 'cont' ? 'continuation' : w.kind === 'reply' && w.multi ? 'reply (multi-line)' : 'reply';
}

/** A step's bytes for humans: control bytes escaped, long runs folded. */
export function show(s: Step | Buffer | string, max = 160): string {
  const text = typeof s === 'string' ? s : Buffer.isBuffer(s) ? s.toString('latin1') : s.bytes.toString('latin1');
  const folded = text.replace(/(.)\1{15,}/gs, (run, c: string) => `${c}{×${run.length}}`);
  const esc = JSON.stringify(folded);
  return esc.length > max ? esc.slice(0, max) + `…(${text.length} bytes)` : esc;
}
