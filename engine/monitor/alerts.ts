// Alerts of the monitor ([alerts]): by mail through a configured smarthost (nodemailer's SMTP client, never
// the local SMTP, which may be what is down) and by webhook (a JSON POST through the global fetch with an
// undici dispatcher, signed with HMAC-SHA256). Each channel and each receiver is sent to on its own, with
// retries and back-off; a receiver that fails or hangs is dropped with a log line after its last attempt
// and never holds back another. Sending never throws.
import crypto from 'node:crypto';
import fs from 'node:fs';
import nodemailer from 'nodemailer';
import type { Agent } from 'undici';
import type { AlertsConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { loadUndici, printable, viaDispatcher } from './probes.js';
import { deadline } from '../util/abort-deadline.js';

export interface AlertEvent {
  kind: 'down' | 'up' | 'test';
  target: string;
  check: string;
  address: string;
  detail: string;
  /** When the target entered its current state (ISO). */
  since: string;
  failures?: number;
  /** For "up": how long it was down, in seconds. */
  down_s?: number;
}

export interface ChannelResult {
  channel: 'mail' | 'webhook';
  to: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

const MAX_BACKOFF = 5 * 60_000;

/** The signature header's value: "sha256=" + hex HMAC-SHA256 over "<timestamp>.<body>" (a receiver checks both). */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class Alerter {
  /** undici's dispatcher, made (and undici loaded) at the first webhook: most servers never send one. */
  private agent?: Promise<Agent>;
  private readonly abort = new AbortController();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly c: AlertsConfig,
    private readonly o: { hostname: string; version: string; logger: Logger },
  ) {
  }

  /** The dispatcher, loading undici the first time (a failed load is tried again at the next webhook). */
  private dispatcher(): Promise<Agent> {
    if (this.abort.signal.aborted) return Promise.reject(new Error('alerts closed'));
    return (this.agent ??= loadUndici().then(
      ({ Agent }) => new Agent({ connect: { timeout: this.c.webhook_timeout }, keepAliveTimeout: 1000 }),
      (err: unknown) => {
        this.agent = undefined; // the next webhook tries again
        throw err;
      },
    ));
  }

  channels(): string[] {
    return [...(this.c.mail_to.length ? [`mail to ${this.c.mail_to.join(', ')} via ${this.c.smarthost}`] : []), ...this.c.webhooks.map((u) => `webhook ${new URL(u).origin}`)];
  }

  /** Send one alert on every channel; resolves when each has succeeded or given up. */
  send(e: AlertEvent): Promise<ChannelResult[]> {
    const jobs: Promise<ChannelResult>[] = [];
    if (this.c.mail_to.length && this.c.smarthost) jobs.push(this.retrying('mail', this.c.mail_to.join(','), e, Math.min(this.c.webhook_retries, 3), () => this.mail(e)));
    const body = this.body(e);
    for (const url of this.c.webhooks) jobs.push(this.retrying('webhook', new URL(url).origin, e, this.c.webhook_retries, () => this.post(url, e, body)));
    const all = Promise.all(jobs);
    this.pending.add(all);
    // the caller gets `all` and its rejection; this copy only forgets it when settled
    all.then(
      () => this.pending.delete(all),
      () => this.pending.delete(all),
    );
    return all;
  }

  body(e: AlertEvent): string {
    return JSON.stringify({
      event: e.kind,
      target: e.target,
      check: e.check,
      address: e.address,
      state: e.kind === 'test' ? 'test' : e.kind,
      detail: e.detail,
      since: e.since,
      failures: e.failures,
      down_seconds: e.down_s,
      host: this.o.hostname,
      time: new Date().toISOString(),
      id: crypto.randomUUID(),
    });
  }

  /** Attempt, then retry after webhook_backoff doubling, for errors `attempt` says are worth retrying. */
  private async retrying(channel: 'mail' | 'webhook', to: string, e: AlertEvent, retries: number, attempt: () => Promise<{ ok: true } | { ok: false; retry: boolean; error: string; status?: number }>): Promise<ChannelResult> {
    const log = this.o.logger;
    let wait = this.c.webhook_backoff;
    for (let n = 1; ; n++) {
      let r: Awaited<ReturnType<typeof attempt>>;
      try {
        r = await attempt();
      } catch (err) {
        r = { ok: false, retry: true, error: (err as Error).message };
      }
      if (r.ok) {
        log.emit('monitor.alert-sent', { channel, target: e.target, event: e.kind, attempt: n, to });
        return { channel, to, ok: true, attempts: n };
      }
      const error = printable(r.error);
      if (!r.retry || n > retries || this.abort.signal.aborted) {
        log.emit('monitor.alert-dropped', { channel, target: e.target, event: e.kind, attempt: n, to, error, status: r.status });
        return { channel, to, ok: false, attempts: n, error };
      }
      log.emit('monitor.alert-retry', { channel, target: e.target, event: e.kind, attempt: n, to, error, status: r.status, next_s: wait / 1000 });
      await sleep(wait, this.abort.signal);
      wait = Math.min(wait * 2, MAX_BACKOFF);
    }
  }

  private async post(url: string, e: AlertEvent, body: string): Promise<{ ok: true } | { ok: false; retry: boolean; error: string; status?: number }> {
    const ts = String(Math.floor(Date.now() / 1000));
    let dispatcher: Agent;
    try {
      dispatcher = await this.dispatcher(); // before the deadline starts: loading undici is not the receiver's time
    } catch (err) {
      return { ok: false, retry: true, error: (err as Error).message };
    }
    const limit = deadline(this.c.webhook_timeout, this.abort.signal);
    try {
      const headers = {
        'content-type': 'application/json',
        'user-agent': `tegami/${this.o.version}`,
        'x-tegami-event': e.kind,
        'x-tegami-timestamp': ts,
        'x-tegami-signature': signature(this.c.webhook_secret ?? '', ts, body),
      };
      const res = await fetch(url, viaDispatcher({ method: 'POST', body, headers, redirect: 'manual', signal: limit.signal }, dispatcher));
      // the body is not needed; not awaited (a stream that never settles its cancel must not hold the alert)
      res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { ok: true };
      return { ok: false, retry: res.status >= 500 || res.status === 429 || res.status === 408, error: `HTTP ${res.status}`, status: res.status };
    } catch (err) {
      const x = err as Error & { cause?: Error };
      return { ok: false, retry: true, error: x.name === 'TimeoutError' ? `no answer within ${this.c.webhook_timeout} ms` : (x.cause?.message ?? x.message) };
    } finally {
      limit.clear();
    }
  }

  private async mail(e: AlertEvent): Promise<{ ok: true } | { ok: false; retry: boolean; error: string }> {
    const m = /^\[?(.+?)\]?:(\d+)$/.exec(this.c.smarthost!);
    if (!m) return { ok: false, retry: false, error: `bad smarthost "${this.c.smarthost}"` };
    const mode = this.c.smarthost_tls;
    const transport = nodemailer.createTransport({
      host: m[1],
      port: Number(m[2]),
      secure: mode === 'implicit',
      requireTLS: mode === 'starttls',
      ignoreTLS: mode === 'none',
      auth: this.c.smarthost_user ? { user: this.c.smarthost_user, pass: this.c.smarthost_password ?? '' } : undefined,
      tls: { ca: this.c.smarthost_ca_file ? fs.readFileSync(this.c.smarthost_ca_file) : undefined },
      connectionTimeout: this.c.webhook_timeout,
      greetingTimeout: this.c.webhook_timeout,
      socketTimeout: this.c.webhook_timeout,
      name: this.o.hostname,
    });
    try {
      const what = e.kind === 'down' ? 'is DOWN' : e.kind === 'up' ? 'is UP again' : 'test alert';
      await transport.sendMail({
        from: this.c.mail_from ?? `tegami@${this.o.hostname}`,
        to: this.c.mail_to,
        subject: `[tegami ${this.o.hostname}] ${e.target} ${what}`,
        text: [
          `${e.target} ${what}.`,
          '',
          `check:   ${e.check} ${e.address}`,
          `detail:  ${e.detail}`,
          `since:   ${e.since}`,
          ...(e.failures ? [`failures in a row: ${e.failures}`] : []),
          ...(e.down_s !== undefined ? [`down for: ${Math.round(e.down_s)} s`] : []),
          `monitor: tegami on ${this.o.hostname}`,
          '',
        ].join('\n'),
      });
      return { ok: true };
    } catch (err) {
      const x = err as Error & { responseCode?: number };
      // a permanent refusal (5xx) will not change on retry; anything else might
      return { ok: false, retry: !(x.responseCode && x.responseCode >= 500), error: x.message };
    } finally {
      transport.close();
    }
  }

  /** Stop retrying (pending alerts end at their next attempt) and wait for them at most `ms`. */
  async close(ms = 3000): Promise<void> {
    this.abort.abort();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
    await this.agent?.then((a) => a.close()).catch(() => {});
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
