// Queue management: list/show/retry/hold/release/delete over the spool's state files, and the control
// socket (<data_dir>/run/control.sock, one JSON line in, one JSON line out) through which the CLI asks the
// running server to do them, so its scheduler sees every change. Without a server, the CLI runs the same
// operations on the files directly. It never delivers mail and never edits a message's content.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { Spool } from '../spool/spool.js';
import { QUEUE_ID, schemaReason, type Envelope } from '../spool/envelope.js';
import { destinationFor, recipientDomain } from '../outbound/destination.js';
import { wantsNotice, type DsnRecipient } from '../outbound/dsn.js';
import { assembleNotice } from './notices.js';
import { readHolds, writeHolds } from '../outbound/holds.js';
import { openRecipients, readState, writeState, type QueueState } from './state.js';
import type { OutboundScheduler } from './outbound.js';

export type MessageStage = 'incoming' | 'active' | 'deferred' | 'hold';
export const STAGES: MessageStage[] = ['incoming', 'active', 'deferred', 'hold'];

export interface RecipientView {
  address: string;
  kind: 'local' | 'remote';
  status: string;
  attempts: number;
  next_attempt: string | null;
  last_attempt: string | null;
  last_error: string | null;
  held: boolean;
}

export interface QueueEntry {
  id: string;
  arrival: string;
  age_seconds: number;
  sender: string;
  size: number;
  state: MessageStage;
  next_attempt: string | null;
  last_error: string | null;
  recipients: RecipientView[];
}

export interface Selector {
  id?: string;
  all?: boolean;
  domain?: string;
}

/** What a running server lends the operations: its scheduler (locks, jobs) and its queue (inject). */
export interface LiveQueue {
  scheduler: OutboundScheduler;
  inject(env: Envelope, raw: Buffer): Promise<void>;
}

const iso = (t: number | undefined) => (t ? new Date(t).toISOString() : null);

export class QueueAdmin {
  readonly spool: Spool;

  constructor(
    private readonly config: LoadedConfig,
    private readonly isLocal: (address: string) => boolean,
    private readonly live: LiveQueue | null,
  ) {
    this.spool = new Spool(path.join(config.data_dir, 'spool'));
  }

  private holds(): Set<string> {
    return readHolds(this.config.data_dir);
  }

  private lock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.live ? this.live.scheduler.withLock(id, fn) : fn();
  }

  private domainHeld(domain: string, holds: Set<string>): boolean {
    return holds.has(domain) || destinationFor(domain, this.config).hold;
  }

  private async entry(id: string, holds: Set<string>, all = false): Promise<QueueEntry | null> {
    const msg = await this.spool.open(id);
    if (!msg) return null;
    const st = await readState(this.spool.queueDir, id);
    const size = await fsp
      .stat(msg.file)
      .then((s) => s.size - msg.bodyOffset)
      .catch(() => 0);
    const env = msg.envelope;
    const base = { id, arrival: new Date(env.time).toISOString(), age_seconds: Math.round((Date.now() - env.time) / 1000), sender: env.mailFrom, size };
    if (!st) {
      // not processed yet (just received, or waiting for the pool after a restart)
      const recipients: RecipientView[] = env.rcptTo.map((r) => ({ address: r.address, kind: r.kind, status: 'pending', attempts: 0, next_attempt: null, last_attempt: null, last_error: null, held: false }));
      return { ...base, state: 'incoming', next_attempt: null, last_error: null, recipients };
    }
    const open = openRecipients(st);
    if (!open.length && !all) return null;
    const view = (all ? st.recipients : open).map((r) => ({
      address: r.address,
      kind: r.kind,
      status: r.status,
      attempts: r.attempts,
      next_attempt: r.status === 'pending' || r.status === 'deferred' ? iso(r.nextAttempt) : null,
      last_attempt: iso(r.lastAttempt),
      last_error: r.lastError ?? null,
      held: st.held || (r.kind === 'remote' && this.domainHeld(recipientDomain(r.address), holds)),
    }));
    const openView = view.filter((r) => r.status === 'pending' || r.status === 'deferred');
    let state: MessageStage;
    if (this.live?.scheduler.isActive(id)) state = 'active';
    else if (openView.length && openView.every((r) => r.held)) state = 'hold';
    else if (openView.some((r) => r.attempts > 0)) state = 'deferred';
    else state = 'incoming';
    const next = openView.filter((r) => !r.held && r.next_attempt).map((r) => r.next_attempt!).sort()[0] ?? null;
    const lastErr = [...open].sort((a, b) => (b.lastAttempt ?? 0) - (a.lastAttempt ?? 0)).find((r) => r.lastError)?.lastError ?? null;
    return { ...base, state, next_attempt: next, last_error: lastErr, recipients: view };
  }

  async list(filter: { domain?: string; state?: string } = {}): Promise<QueueEntry[]> {
    const holds = this.holds();
    const out: QueueEntry[] = [];
    const domain = filter.domain?.toLowerCase();
    for (const id of await this.spool.queuedIds()) {
      const e = await this.entry(id, holds);
      if (!e) continue;
      if (domain && !e.recipients.some((r) => recipientDomain(r.address) === domain)) continue;
      if (filter.state && e.state !== filter.state) continue;
      out.push(e);
    }
    return out;
  }

  async show(id: string): Promise<(QueueEntry & { envelope: Envelope; headers: string }) | null> {
    const e = await this.entry(id, this.holds(), true);
    const msg = await this.spool.open(id);
    if (!e || !msg) return null;
    const fh = await fsp.open(msg.file, 'r');
    try {
      const buf = Buffer.alloc(16 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, msg.bodyOffset);
      const text = buf.subarray(0, bytesRead).toString('utf8');
      const end = text.search(/\r?\n\r?\n/);
      return { ...e, envelope: msg.envelope, headers: end >= 0 ? text.slice(0, end) : text };
    } finally {
      await fh.close();
    }
  }

  /** The ids a selector names (an id, --all, or every message with an open recipient in --domain). */
  private async select(sel: Selector): Promise<string[]> {
    if (sel.id) return (await this.spool.open(sel.id)) ? [sel.id] : [];
    const ids = await this.spool.queuedIds();
    if (sel.all) return ids;
    const domain = sel.domain?.toLowerCase();
    if (!domain) return [];
    const out: string[] = [];
    for (const id of ids) {
      const st = await readState(this.spool.queueDir, id);
      if (st && openRecipients(st).some((r) => recipientDomain(r.address) === domain)) out.push(id);
    }
    return out;
  }

  async retry(sel: Selector): Promise<{ messages: number }> {
    const ids = await this.select(sel);
    const domain = sel.domain?.toLowerCase();
    let n = 0;
    for (const id of ids) {
      const changed = await this.lock(id, async () => {
        const st = await readState(this.spool.queueDir, id);
        if (!st) return null;
        const now = Date.now();
        let any = false;
        let local = false;
        for (const r of openRecipients(st)) {
          if (domain && recipientDomain(r.address) !== domain) continue;
          r.nextAttempt = now;
          any = true;
          local ||= r.kind === 'local';
        }
        if (any) await writeState(this.spool.queueDir, st);
        return any ? { local: local && !st.held } : null;
      });
      if (!changed) continue;
      n++;
      if (this.live) {
        this.live.scheduler.cancel(id);
        await this.live.scheduler.plan(id);
        // locally deferred recipients (a Maildir write that failed) are the queue's, not the scheduler's
        if (changed.local) this.live.scheduler.retryLocal(id);
      }
    }
    return { messages: n };
  }

  async hold(sel: Selector): Promise<{ messages: number; domain?: string }> {
    if (sel.domain && !sel.id) {
      const d = sel.domain.toLowerCase();
      if (this.live) await this.live.scheduler.holdDomain(d);
      else writeHolds(this.config.data_dir, new Set([...this.holds(), d]));
      return { messages: (await this.select(sel)).length, domain: d };
    }
    const ids = await this.select(sel);
    for (const id of ids) {
      await this.lock(id, async () => {
        const st = await readState(this.spool.queueDir, id);
        if (!st) return;
        st.held = true;
        await writeState(this.spool.queueDir, st);
      });
      this.live?.scheduler.cancel(id);
    }
    return { messages: ids.length };
  }

  async release(sel: Selector): Promise<{ messages: number; domain?: string }> {
    if (sel.domain && !sel.id) {
      const d = sel.domain.toLowerCase();
      if (this.live) await this.live.scheduler.releaseDomain(d);
      else {
        const h = this.holds();
        h.delete(d);
        writeHolds(this.config.data_dir, h);
      }
      const ids = await this.select(sel);
      // a spooler route stays held for new mail; what is queued now goes out at once
      if (this.live) await this.live.scheduler.flush(ids, new Set([d]));
      return { messages: ids.length, domain: d };
    }
    const ids = await this.select(sel);
    for (const id of ids) {
      await this.lock(id, async () => {
        const st = await readState(this.spool.queueDir, id);
        if (!st || !st.held) return;
        st.held = false;
        for (const r of openRecipients(st)) r.nextAttempt = Math.min(r.nextAttempt, Date.now());
        await writeState(this.spool.queueDir, st);
      });
      if (this.live) await this.live.scheduler.plan(id);
    }
    return { messages: ids.length };
  }

  async delete(sel: Selector, bounce: boolean): Promise<{ messages: number; recipients: number; bounced: number }> {
    const ids = await this.select(sel);
    const domain = sel.id ? undefined : sel.domain?.toLowerCase();
    let recipients = 0;
    let bounced = 0;
    for (const id of ids) {
      await this.lock(id, async () => {
        const msg = await this.spool.open(id);
        if (!msg) return;
        const st: QueueState =
          (await readState(this.spool.queueDir, id)) ??
          // unprocessed: every recipient is still open
          { id, created: msg.envelope.time, held: false, recipients: msg.envelope.rcptTo.map((r) => ({ address: r.address, rcpt: r.address, kind: r.kind, status: 'pending', attempts: 0, nextAttempt: Date.now(), notify: r.notify, orcpt: r.orcpt })) };
        const hit = openRecipients(st).filter((r) => !domain || recipientDomain(r.address) === domain);
        const notices: DsnRecipient[] = [];
        for (const r of hit) {
          r.status = 'failed';
          r.lastError = '5.0.0 deleted from the queue by the operator';
          if (bounce && wantsNotice(r.notify, 'failed')) notices.push({ address: r.address, orcpt: r.orcpt, action: 'failed', status: '5.0.0', diagnostic: 'The message was deleted from the queue by the postmaster.', lastAttempt: Date.now() });
        }
        recipients += hit.length;
        if (notices.length) {
          const dsn = await assembleNotice({ action: 'failed', hostname: this.config.hostname, envelope: msg.envelope, spooled: msg, recipients: notices, isLocal: this.isLocal });
          if (dsn) {
            if (this.live) await this.live.inject(dsn.envelope, dsn.raw);
            else {
              const w = await this.spool.create(dsn.envelope);
              w.write(dsn.raw);
              await this.spool.commit(w);
              await w.release();
            }
            bounced++;
          }
        }
        if (this.live) await this.live.scheduler.saveOrRemove(st);
        else if (openRecipients(st).length === 0) await this.spool.remove(id);
        else await writeState(this.spool.queueDir, st);
      });
    }
    return { messages: ids.length, recipients, bounced };
  }
}

// ---------- the control socket ----------

export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, 'run', 'control.sock');
}

/** One request line on the control socket; anything else is answered "bad request: <what was wrong>". */
export const controlRequestSchema = z.strictObject({
  cmd: z.enum(['list', 'show', 'retry', 'hold', 'release', 'delete', 'ping', 'status']),
  args: z
    .strictObject({
      id: z.string().regex(QUEUE_ID, 'not a queue id').optional(),
      all: z.boolean().optional(),
      domain: z.string().max(255).optional(),
      state: z.enum(STAGES as [MessageStage, ...MessageStage[]]).optional(),
      bounce: z.boolean().optional(),
    })
    .optional(),
});

export type ControlRequest = z.infer<typeof controlRequestSchema>;

export const controlResponseSchema = z.union([
  z.strictObject({ ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);

export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: string };

/** Parse one request line; the reason names what was wrong. */
export function parseControlRequest(line: string): { ok: true; req: ControlRequest } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, error: 'bad request: not JSON' };
  }
  const r = controlRequestSchema.safeParse(raw);
  return r.success ? { ok: true, req: r.data } : { ok: false, error: `bad request: ${schemaReason(r.error)}` };
}

/** What dispatch needs of a queue: the spool's QueueAdmin, or the shared queue's PgQueueAdmin (pg-queue-admin.ts). */
export type QueueOperations = Pick<QueueAdmin, 'list' | 'show' | 'retry' | 'hold' | 'release' | 'delete'>;

export async function dispatch(admin: QueueOperations, req: ControlRequest): Promise<ControlResponse> {
  const a = req.args ?? {};
  const sel: Selector = { id: a.id, all: a.all, domain: a.domain };
  switch (req.cmd) {
    case 'ping':
      return { ok: true, result: 'pong' };
    case 'list':
      return { ok: true, result: await admin.list({ domain: a.domain, state: a.state }) };
    case 'show': {
      const r = a.id ? await admin.show(a.id) : null;
      return r ? { ok: true, result: r } : { ok: false, error: `no queued message ${a.id ?? ''}` };
    }
    case 'retry':
      return { ok: true, result: await admin.retry(sel) };
    case 'hold':
      return { ok: true, result: await admin.hold(sel) };
    case 'release':
      return { ok: true, result: await admin.release(sel) };
    case 'delete':
      return { ok: true, result: await admin.delete(sel, !!a.bounce) };
    default:
      return { ok: false, error: `unknown command ${String((req as { cmd: unknown }).cmd)}` };
  }
}

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** Requests answered outside the queue (`status`: engine/metrics/status.ts); null for those it does not take. */
export type ExtraRequests = (req: ControlRequest) => Promise<ControlResponse> | null;

/** Listen on <data_dir>/run/control.sock (mode 0600: only the server's user may manage the queue). */
export async function startControlServer(dataDir: string, admin: QueueAdmin, logger: Logger, extra?: ExtraRequests): Promise<ControlServer> {
  const sock = controlSocketPath(dataDir);
  fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
  fs.rmSync(sock, { force: true });
  const server = net.createServer((c) => {
    let buf = '';
    c.setEncoding('utf8');
    c.on('error', () => {});
    c.on('data', (d: string) => {
      buf += d;
      if (buf.length > 64 * 1024) return c.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = '';
      const parsed = parseControlRequest(line);
      if (!parsed.ok) {
        logger.warn('queue', 'control-bad-request', { error: parsed.error });
        c.end(JSON.stringify({ ok: false, error: parsed.error }) + '\n');
        return;
      }
      const req = parsed.req;
      (extra?.(req) ?? dispatch(admin, req))
        .catch((e: Error) => ({ ok: false as const, error: e.message }))
        .then((res) => {
          if (req.cmd !== 'list' && req.cmd !== 'show' && req.cmd !== 'ping' && req.cmd !== 'status') logger.info('queue', `control-${req.cmd}`, { args: req.args ?? {}, ok: res.ok });
          c.end(JSON.stringify(res) + '\n');
        })
        .catch((e: Error) => logger.error('queue', 'control-failed', { cmd: req.cmd, error: e.message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => resolve());
  });
  fs.chmodSync(sock, 0o600);
  return {
    path: sock,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(sock, { force: true });
      }),
  };
}

/** Ask the running server; null when none listens (then the caller works on the files itself). */
export function controlRequest(dataDir: string, req: ControlRequest, timeoutMs = 60_000): Promise<ControlResponse | null> {
  const sock = controlSocketPath(dataDir);
  if (!fs.existsSync(sock)) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error('the server did not answer on its control socket'));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify(req) + '\n'));
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => {
      clearTimeout(timer);
      let raw: unknown;
      try {
        raw = JSON.parse(buf);
      } catch {
        reject(new Error('bad answer from the control socket: not JSON'));
        return;
      }
      const r = controlResponseSchema.safeParse(raw);
      if (r.success) resolve(r.data as ControlResponse);
      else reject(new Error(`bad answer from the control socket: ${schemaReason(r.error)}`));
    });
    c.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') resolve(null);
      else reject(e);
    });
  });
}
