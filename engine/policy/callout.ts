// Sender address verification by callout (F2, the seed's "address verification"): ask the best MX of the
// MAIL FROM domain whether it takes mail for that address (EHLO, MAIL FROM:<>, RCPT TO:<sender>, QUIT).
// It never sends DATA, never calls out for the null sender or our own domains, never faster than the
// per-domain rate or beyond the concurrency cap; only a 5xx address refusal at RCPT is a "fail".
import net from 'node:net';
import type { Resolver } from '../dns/resolver.js';
import type { Logger } from '../log/logger.js';
import { resolveDestination, type Resolution } from '../outbound/mx.js';
import type { ExchangerScreen } from '../outbound/exchanger-screen.js';

export type CalloutResult =
  | { status: 'exists'; mx: string; reply: string; cached: boolean }
  | { status: 'fail'; mx: string; reply: string; cached: boolean }
  | { status: 'unknown'; reason: string; mx?: string }
  | { status: 'skipped'; reason: string };

export interface CalloutOptions {
  resolver: Resolver;
  /** Our EHLO name. */
  helo: string;
  port: number;
  /** MX addresses never asked: this server's own SMTP listeners, link-local, multicast (exchanger-screen.ts). */
  screen?: ExchangerScreen;
  /** The whole callout: MX lookup, connection and dialogue. */
  timeoutMs: number;
  positiveTtlMs: number;
  negativeTtlMs: number;
  perDomainPerMinute: number;
  maxConcurrent: number;
  /** Our own domains (local domains, aliases, hostname): never called out. */
  isLocalDomain: (domain: string) => boolean;
  logger?: Logger;
  now?: () => number;
}

interface Reply {
  code: number;
  /** The reply as one line: "550 5.1.1 text" (continuation lines joined with spaces). */
  text: string;
}

/** What one dialogue with one MX host told us. `down`: no SMTP answer at all (refused, timeout, reset). */
type Dialogue = { kind: 'exists' | 'fail'; reply: string } | { kind: 'unknown'; reason: string; down: boolean };

const MAX_CACHE = 10_000;
const MAX_REPLY_BYTES = 16 * 1024;
/** After an MX gave no SMTP answer, its domain is not called again for this long (each try would cost the full timeout). */
const DOWN_MS = 5 * 60_000;
const WINDOW_MS = 60_000;

export class SenderCallout {
  private readonly cache = new Map<string, { expires: number; result: Extract<CalloutResult, { status: 'exists' | 'fail' }> }>();
  private readonly inFlight = new Map<string, Promise<CalloutResult>>();
  private readonly recentByDomain = new Map<string, number[]>();
  private readonly downUntil = new Map<string, number>();
  private active = 0;
  private readonly now: () => number;

  constructor(private readonly o: CalloutOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Callouts in progress (for tests and metrics). */
  get inProgress(): number {
    return this.active;
  }

  async verify(mailFrom: string): Promise<CalloutResult> {
    const at = mailFrom.lastIndexOf('@');
    if (!mailFrom || at <= 0) return { status: 'skipped', reason: 'null sender' };
    const domain = mailFrom.slice(at + 1).toLowerCase().replace(/\.$/, '');
    if (domain.startsWith('[') || net.isIP(domain)) return { status: 'skipped', reason: 'address literal' };
    // one plain ASCII SMTP line: an address we could not write safely, or one that needs SMTPUTF8, is not asked about
    if (/[^\x21-\x7e]|[<>]/.test(mailFrom) || mailFrom.length > 320) return { status: 'skipped', reason: 'address not plain ASCII' };
    if (this.o.isLocalDomain(domain)) return { status: 'skipped', reason: 'local domain' };

    const key = mailFrom.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) return { ...hit.result, cached: true };
    if (hit) this.cache.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) return pending;

    const p = this.callout(mailFrom, domain).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    const r = await p;
    if (r.status === 'exists' || r.status === 'fail') {
      if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { expires: this.now() + (r.status === 'exists' ? this.o.positiveTtlMs : this.o.negativeTtlMs), result: r });
    }
    return r;
  }

  private async callout(address: string, domain: string): Promise<CalloutResult> {
    const now = this.now();
    const down = this.downUntil.get(domain);
    if (down !== undefined && down > now) return this.done(address, { status: 'unknown', reason: `the MX of ${domain} did not answer recently` }, 0);
    if (down !== undefined) this.downUntil.delete(domain);
    if (this.active >= this.o.maxConcurrent) return this.done(address, { status: 'unknown', reason: `${this.active} callouts already in progress` }, 0);
    if (!this.takeRateSlot(domain, now)) return this.done(address, { status: 'unknown', reason: `more than ${this.o.perDomainPerMinute} callouts to ${domain} this minute` }, 0);

    this.active++;
    const started = this.now();
    const deadline = started + this.o.timeoutMs;
    try {
      const where = await withDeadline(
        resolveDestination({ key: `callout:${domain}`, kind: 'mx', domain, hosts: [], requireTls: false, hold: false }, this.o.resolver, { port: this.o.port, maxMx: 1, screen: this.o.screen }),
        deadline - this.now(),
      ).catch((e: Error): Resolution => ({ kind: 'temp', status: '4.4.3', reason: e.message }));
      if (where.kind !== 'ok') return this.done(address, { status: 'unknown', reason: `no mail exchanger to ask: ${where.reason}` }, started);
      const t = where.targets[0];
      const d = await dialogue({ ip: t.addresses[0], port: t.port, helo: this.o.helo, address, timeoutMs: Math.max(1, deadline - this.now()) });
      if (d.kind === 'unknown') {
        if (d.down) this.downUntil.set(domain, this.now() + DOWN_MS);
        return this.done(address, { status: 'unknown', reason: d.reason, mx: t.name }, started);
      }
      return this.done(address, { status: d.kind, mx: t.name, reply: d.reply, cached: false }, started);
    } finally {
      this.active--;
    }
  }

  /** Sliding one-minute window of callouts per destination domain. */
  private takeRateSlot(domain: string, now: number): boolean {
    const list = (this.recentByDomain.get(domain) ?? []).filter((t) => t > now - WINDOW_MS);
    if (list.length >= this.o.perDomainPerMinute) {
      this.recentByDomain.set(domain, list);
      return false;
    }
    list.push(now);
    if (!this.recentByDomain.has(domain) && this.recentByDomain.size >= MAX_CACHE) {
      for (const [d, ts] of this.recentByDomain) if (!ts.some((t) => t > now - WINDOW_MS)) this.recentByDomain.delete(d);
    }
    this.recentByDomain.set(domain, list);
    return true;
  }

  private done(address: string, r: CalloutResult, started: number): CalloutResult {
    const fields: Record<string, unknown> = { from: address, result: r.status, ms: started ? this.now() - started : 0 };
    if (r.status === 'exists' || r.status === 'fail') Object.assign(fields, { mx: r.mx, reply: r.reply });
    else Object.assign(fields, { reason: r.reason, mx: r.status === 'unknown' ? r.mx : undefined });
    this.o.logger?.debug('spam', 'callout', fields);
    return r;
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return Promise.reject(new Error('callout timeout'));
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('callout timeout')), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * An RCPT refusal that says the address does not exist, not that we are refused: with an enhanced code
 * (RFC 3463), only the address (X.1.X) and mailbox (X.2.X) subjects count; X.7.X is policy, X.6.X content.
 */
function refusesAddress(r: Reply): boolean {
  if (![550, 551, 553].includes(r.code)) return false;
  const enhanced = /^\d{3} 5\.(\d{1,3})\.\d{1,3}\b/.exec(r.text);
  return !enhanced || enhanced[1] === '1' || enhanced[1] === '2';
}

/** One callout dialogue with one address, bounded by timeoutMs from connect to the RCPT reply. */
export function dialogue(o: { ip: string; port: number; helo: string; address: string; timeoutMs: number }): Promise<Dialogue> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: o.ip, port: o.port });
    socket.setNoDelay(true);
    let buf = '';
    let lines: string[] = [];
    // a reply's lines together: a hostile MX sending "250-" lines without end is cut here, not at the deadline
    let replyBytes = 0;
    let waiter: ((r: Reply | Error) => void) | null = null;
    const ready: (Reply | Error)[] = [];
    let finished = false;

    const deliver = (r: Reply | Error) => {
      if (waiter) {
        const w = waiter;
        waiter = null;
        w(r);
      } else ready.push(r);
    };
    const next = () => new Promise<Reply | Error>((res) => (ready.length ? res(ready.shift()!) : (waiter = res)));
    const finish = (d: Dialogue, quit: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (quit && socket.writable) socket.end('QUIT\r\n');
      else socket.destroy();
      // do not wait for the reply to QUIT; a server that keeps the socket open gets it closed for it
      setTimeout(() => socket.destroy(), 1000).unref();
      resolve(d);
    };
    const timer = setTimeout(() => {
      deliver(new Error(`timed out after ${o.timeoutMs} ms`));
    }, o.timeoutMs);

    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REPLY_BYTES) return deliver(new Error('reply too long'));
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
        if (!m) return deliver(new Error(`bad reply line "${line.slice(0, 80)}"`));
        replyBytes += line.length + 1;
        if (replyBytes > MAX_REPLY_BYTES) return deliver(new Error('reply too long'));
        lines.push(line.slice(4).trim());
        if (m[2] !== '-') {
          deliver({ code: Number(m[1]), text: oneLine(`${m[1]} ${lines.join(' ')}`) });
          lines = [];
          replyBytes = 0;
        }
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => deliver(new Error(e.code ?? e.message)));
    socket.on('close', () => deliver(new Error('connection closed')));

    (async () => {
      let answered = false;
      const step = async (cmd: string | null): Promise<Reply | Error> => {
        if (cmd !== null) socket.write(cmd + '\r\n');
        const r = await next();
        if (!(r instanceof Error)) answered = true;
        return r;
      };
      const lost = (r: Error, at: string): Dialogue => ({ kind: 'unknown', reason: `${at}: ${r.message}`, down: !answered });

      const greeting = await step(null);
      if (greeting instanceof Error) return finish(lost(greeting, 'connect'), false);
      if (greeting.code !== 220) return finish({ kind: 'unknown', reason: `greeting ${greeting.text}`, down: false }, true);
      let hello = await step(`EHLO ${o.helo}`);
      if (!(hello instanceof Error) && hello.code >= 500) hello = await step(`HELO ${o.helo}`);
      if (hello instanceof Error) return finish(lost(hello, 'EHLO'), false);
      if (hello.code !== 250) return finish({ kind: 'unknown', reason: `EHLO ${hello.text}`, down: false }, true);
      const mail = await step('MAIL FROM:<>');
      if (mail instanceof Error) return finish(lost(mail, 'MAIL FROM'), false);
      if (mail.code !== 250) return finish({ kind: 'unknown', reason: `MAIL FROM:<> ${mail.text}`, down: false }, true);
      const rcpt = await step(`RCPT TO:<${o.address}>`);
      if (rcpt instanceof Error) return finish(lost(rcpt, 'RCPT TO'), false);
      if (rcpt.code >= 200 && rcpt.code < 300) return finish({ kind: 'exists', reply: rcpt.text }, true);
      if (refusesAddress(rcpt)) return finish({ kind: 'fail', reply: rcpt.text }, true);
      return finish({ kind: 'unknown', reason: `RCPT TO ${rcpt.text}`, down: false }, true);
    })().catch((e: Error) => finish({ kind: 'unknown', reason: `callout failed: ${e.message}`, down: false }, false));
  });
}

function oneLine(s: string): string {
  return s.replace(/[\0-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
}
