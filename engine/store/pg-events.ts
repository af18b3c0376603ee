// Cross-node change notices of the PostgreSQL store: every committed change NOTIFYs tegami_mailbox with
// (owner, folders); each node holds one dedicated LISTEN connection (reconnected with back-off) and fires the
// watchers of those folders. After a gap every watcher fires, so sessions resynchronise from their MODSEQ.
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { pgLib } from '../db/pg/lib.js';
import { mailboxEvents } from './events.js';
import { canon, MAILBOX_CHANNEL, ownerKey } from './pg-tx.js';

const folderKey = (owner: string, folder: string) => `${ownerKey(owner)}\0${canon(folder)}`;
const accountKey = (owner: string) => `${ownerKey(owner)}\0\0account`;
const ALL = '\0all';

export interface EventsOptions {
  listen: pg.ClientConfig;
  onError?: (err: Error) => void;
  /** First reconnect delay (doubles up to 30 s). */
  retryMs?: number;
}

export class PgMailboxEvents {
  private readonly emitter = new EventEmitter();
  private listener?: pg.Client;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private retryMs: number;
  /** True while the LISTEN connection is up (tests, health). */
  connected = false;

  constructor(private readonly o: EventsOptions) {
    this.emitter.setMaxListeners(0);
    this.retryMs = o.retryMs ?? 500;
  }

  /** Connect and LISTEN; when the first connection fails, keep retrying in the background. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (e) {
      this.o.onError?.(e as Error);
      this.retry();
    }
  }

  private async connect(): Promise<void> {
    const c = new (pgLib().Client)(this.o.listen);
    c.on('notification', (n) => this.onNotice(n.payload));
    c.on('error', (e) => this.o.onError?.(e));
    c.on('end', () => {
      if (this.listener !== c) return;
      this.listener = undefined;
      this.connected = false;
      if (!this.closed) this.retry();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${MAILBOX_CHANNEL}`);
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.listener = c;
    this.connected = true;
    this.retryMs = this.o.retryMs ?? 500;
  }

  /** The LISTEN connection is gone: reconnect with back-off, then fire every watcher (notices may be lost). */
  private retry(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect()
        .then(() => this.emitter.emit(ALL))
        .catch((e: Error) => {
          this.o.onError?.(e);
          this.retryMs = Math.min(this.retryMs * 2, 30_000);
          this.retry();
        });
    }, this.retryMs);
    this.timer.unref();
  }

  private onNotice(payload: string | undefined): void {
    let owner: unknown;
    let folders: unknown;
    try {
      [owner, folders] = JSON.parse(payload ?? '') as unknown[];
    } catch {
      return; // not ours
    }
    if (typeof owner !== 'string') return;
    if (Array.isArray(folders)) this.fire(owner, folders.filter((f): f is string => typeof f === 'string'));
    else this.fireAccount(owner);
  }

  /** Tell this node's watchers (after a local commit, at once; other nodes hear the NOTIFY). */
  fire(owner: string, folders: Iterable<string>): void {
    for (const f of folders) this.emitter.emit(folderKey(owner, f));
    this.emitter.emit(accountKey(owner));
  }

  private fireAccount(owner: string): void {
    const prefix = `${ownerKey(owner)}\0`;
    for (const name of this.emitter.eventNames()) if (typeof name === 'string' && name.startsWith(prefix)) this.emitter.emit(name);
  }

  watch(owner: string, folder: string, fn: () => void): () => void {
    const key = folderKey(owner, folder);
    const local = mailboxEvents.subscribe(owner, canon(folder), fn); // in-process notices (the queue's delivery)
    this.emitter.on(key, fn);
    this.emitter.on(ALL, fn);
    return () => {
      local();
      this.emitter.off(key, fn);
      this.emitter.off(ALL, fn);
    };
  }

  watchAccount(owner: string, fn: () => void): () => void {
    const key = accountKey(owner);
    const local = mailboxEvents.subscribeAccount(owner, fn);
    this.emitter.on(key, fn);
    this.emitter.on(ALL, fn);
    return () => {
      local();
      this.emitter.off(key, fn);
      this.emitter.off(ALL, fn);
    };
  }

  /** Cut the LISTEN connection as a network fault would (tests of the reconnect). */
  async dropConnection(): Promise<void> {
    await this.listener?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.listener;
    this.listener = undefined;
    this.connected = false;
    await c?.end().catch(() => undefined);
  }
}
