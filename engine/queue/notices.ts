// Messages tegami writes itself: originate() is the one way any of them (a DSN, a list copy, a moderation
// notice, a digest) enters the queue durably; then delivery status notices about queued mail (RFC 3464): a
// recipient's entry in a notice, the notice assembled from its spool file and addressed back to its sender, and
// the Notifier that injects it and logs it. DSN bytes come from engine/outbound/dsn.ts; never to the null sender.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { encodeHeader, type Envelope } from '../spool/envelope.js';
import type { Spool } from '../spool/spool.js';
import { syncDir, syncDirNow } from '../store/maildir.js';
import { inParallel } from '../util/in-parallel.js';
import { buildDsn, type DsnAction, type DsnRecipient } from '../outbound/dsn.js';
import type { QueueState, RecipientState } from './state.js';

/** One recipient's entry; `remoteMta` set means `reply` was said by that server. */
export function dsnRecipient(r: RecipientState, action: DsnAction, status: string, reply: string, remoteMta: string | undefined, now: number): DsnRecipient {
  return { address: r.address, orcpt: r.orcpt, action, status: /^[245]\.\d+\.\d+$/.test(status) ? status : action === 'failed' ? '5.0.0' : '4.0.0', remoteMta: remoteMta?.replace(/\[.*$/, ''), diagnostic: reply, fromRemote: !!remoteMta, lastAttempt: now };
}

export interface NoticeInput {
  action: DsnAction;
  hostname: string;
  /** The original message's envelope and its spool file (null when it is gone: the notice has no copy). */
  envelope: Envelope;
  spooled: { file: string; bodyOffset: number } | null;
  recipients: DsnRecipient[];
  /** Is this address delivered here? (a local sender's notice stays local) */
  isLocal(address: string): boolean;
}

/** The notice and the envelope it travels in, to the original sender; null for the null sender. */
export async function assembleNotice(i: NoticeInput): Promise<{ envelope: Envelope; raw: Buffer } | null> {
  const original = i.spooled ? (await fsp.readFile(i.spooled.file)).subarray(i.spooled.bodyOffset) : Buffer.alloc(0);
  const dsn = buildDsn({ action: i.action, hostname: i.hostname, envelope: i.envelope, recipients: i.recipients, original });
  if (!dsn) return null;
  dsn.envelope.rcptTo = [{ address: i.envelope.mailFrom, kind: i.isLocal(i.envelope.mailFrom) ? 'local' : 'remote' }];
  return dsn;
}

export interface NotifierOptions {
  hostname: string;
  logger: Logger;
  isLocal(address: string): boolean;
  /** The spool file of a queued message, or null. */
  open(id: string): Promise<{ file: string; bodyOffset: number } | null>;
  /** Spool a new message durably and dispatch it (Queue.inject). */
  inject(env: Envelope, raw: Buffer): Promise<void>;
}

export class Notifier {
  constructor(private readonly o: NotifierOptions) {}

  /** Build a notice about `recipients` of a message and inject it as new mail (never to the null sender). */
  async send(action: DsnAction, envelope: Envelope, recipients: DsnRecipient[]): Promise<void> {
    const { logger } = this.o;
    const dsn = await assembleNotice({ action, hostname: this.o.hostname, envelope, spooled: await this.o.open(envelope.id), recipients, isLocal: this.o.isLocal });
    if (!dsn) {
      logger.info('delivery', 'dsn-suppressed', { id: envelope.id, action, reason: 'null sender' });
      return;
    }
    await this.o.inject(dsn.envelope, dsn.raw);
    logger.info('delivery', 'dsn', { id: envelope.id, dsn_id: dsn.envelope.id, action, to: envelope.mailFrom, recipients: recipients.map((r) => r.address) });
  }

  /**
   * Send every kind that has recipients: failures, then delay warnings, then relay notices. `noNotice`: why this
   * message's sender gets none at all (it may be forged: workers/notice-sender.ts; the worker's decision, kept in the
   * queue state so every later notice — a local retry, a remote attempt's delay warning, expiry or failure, a held
   * message's expiry, in the file queue and in PostgreSQL — follows it); each kind left out is logged.
   */
  async sendAll(envelope: Envelope, notices: Record<DsnAction, DsnRecipient[]>, noNotice?: string): Promise<void> {
    for (const action of ['failed', 'delayed', 'relayed'] as const) {
      if (!notices[action].length) continue;
      if (noNotice) this.o.logger.info('delivery', 'dsn-suppressed', { id: envelope.id, action, reason: noNotice, recipients: notices[action].map((r) => r.address) });
      else await this.send(action, envelope, notices[action]);
    }
  }
}

// ---------- originate: tegami's own messages into the queue ----------

export interface Originated {
  /** The envelope (its id becomes the spool file's name: [0-9A-Z], unique, or deterministic for dedup). */
  envelope: Envelope;
  raw: Buffer | Buffer[];
}

const BATCH = /^[0-9A-Za-z_-]{1,80}$/;
const QUEUE_ID = /^[0-9A-Z]{1,64}$/;

/** spool/originating/<batch>/: written and fsynced, not yet visible to the queue. */
export function originatingDir(spool: Spool): string {
  return path.join(spool.root, 'originating');
}

/**
 * Write messages tegami originates into the queue, durably and all or nothing as far as the queue sees:
 * each spool file (envelope header + message) is written and fsynced in spool/originating/<batch>/ (that
 * directory fsynced too); then `commit` runs, the caller's durable record that the batch exists (a list's
 * "this post was distributed" row together with markBatch(), in one SQLite transaction); then every file
 * is renamed into spool/queue/ and that directory fsynced. Returns the ids for Queue.adopt() (the worker
 * hands them back in its result). A crash before `commit` leaves nothing the queue sees (the caller does it
 * again: same batch, same ids); after it, promoteOriginated() finishes the renames at the next start. A
 * `commit` that returns false (the record belongs to another node's copies) removes the staged batch instead.
 * Without `commit` (a DSN) the files are renamed at once, as Queue.inject always did.
 */
export async function originate(spool: Spool, batch: string, items: Originated[], commit?: () => void | boolean | Promise<void | boolean>): Promise<string[]> {
  if (!BATCH.test(batch)) throw new Error(`bad batch name: ${batch}`);
  for (const it of items) if (!QUEUE_ID.test(it.envelope.id)) throw new Error(`bad queue id: ${it.envelope.id}`);
  const root = originatingDir(spool);
  const dir = path.join(root, batch);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  // what an earlier attempt that never committed left here, and this one does not make again (a member
  // removed since), must not be promoted with it; the same ids are simply written again
  const ids = new Set(items.map((it) => it.envelope.id));
  for (const n of await fsp.readdir(dir)) if (!ids.has(n)) await fsp.rm(path.join(dir, n), { force: true });
  await inParallel(items, async (it) => {
    const file = path.join(dir, it.envelope.id);
    const fh = await fsp.open(file, 'w', 0o600);
    try {
      await fh.writev([encodeHeader(it.envelope), ...(Array.isArray(it.raw) ? it.raw : [it.raw])]);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  });
  await syncDirNow(dir);
  await syncDir(root);
  if (commit && (await commit()) === false) {
    // the caller's record says this batch must not go out (another node distributed the same post): drop it
    await fsp.rm(dir, { recursive: true, force: true });
    return [];
  }
  return promoteBatch(spool, batch);
}

/** Rename what is left of a staged batch into spool/queue/ (fsynced) and drop the batch; the ids moved. */
export async function promoteBatch(spool: Spool, batch: string): Promise<string[]> {
  if (!BATCH.test(batch)) return [];
  const dir = path.join(originatingDir(spool), batch);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const moved: string[] = [];
  for (const n of names) {
    if (!QUEUE_ID.test(n)) continue;
    try {
      await fsp.rename(path.join(dir, n), spool.queuePath(n));
      moved.push(n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // another thread promoted it first
    }
  }
  if (moved.length) await syncDir(spool.queueDir);
  await fsp.rm(dir, { recursive: true, force: true });
  return moved;
}

/**
 * After a crash: batches whose commit is recorded (`committed`) are promoted into the queue; batches that
 * never committed and are older than `staleMs` (none of them can still be in the making) are removed.
 * Returns the ids promoted, for Queue.adopt().
 */
export async function promoteOriginated(spool: Spool, committed: (batch: string) => boolean | Promise<boolean>, staleMs: number, now = Date.now()): Promise<string[]> {
  const root = originatingDir(spool);
  let batches: string[];
  try {
    batches = await fsp.readdir(root);
  } catch {
    return [];
  }
  const ids: string[] = [];
  for (const b of batches) {
    if (await committed(b)) ids.push(...(await promoteBatch(spool, b)));
    else {
      const st = await fsp.stat(path.join(root, b)).catch(() => null);
      if (st && now - st.mtimeMs > staleMs) await fsp.rm(path.join(root, b), { recursive: true, force: true });
    }
  }
  return ids;
}

