// Cross-node change notices of the PostgreSQL store: every committed change NOTIFYs tegami_mailbox with
// (owner, folders); each node holds one dedicated LISTEN connection (reconnected with back-off) and fires the
// watchers of those folders. After a gap every watcher fires, so sessions resynchronise from their MODSEQ.
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { PgListen } from '../db/pg/listen.js';
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
  private readonly listen: PgListen;

  constructor(private readonly o: EventsOptions) {
    this.emitter.setMaxListeners(0);
    // after a gap (notices may be lost) every watcher fires
    this.listen = new PgListen(o.listen, MAILBOX_CHANNEL, { notice: (p) => this.onNotice(p), back: () => this.emitter.emit(ALL), error: (e) => o.onError?.(e) }, o.retryMs ?? 500);
  }

  /** True while the LISTEN connection is up (tests, health). */
  get connected(): boolean {
    return this.listen.up;
  }

  /** Connect and LISTEN; when the first connection fails, keep retrying in the background. */
  async start(): Promise<void> {
    try {
      await this.listen.start();
    } catch (e) {
      this.o.onError?.(e as Error);
      this.listen.retryLater();
    }
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
    await this.listen.drop();
  }

  async close(): Promise<void> {
    await this.listen.stop();
  }
}
