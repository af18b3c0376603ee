// The mailbox store on PostgreSQL (issue 17): MailboxStore + MailAccountStore over the tables of migration 10,
// shared by every node. It only delegates: transactions and errors (pg-tx.ts), messages (pg-messages.ts),
// folders (pg-mailboxes.ts), bodies (pg-blobs.ts), the account view (pg-account.ts), notices (pg-events.ts).
// It never keeps mail on local disk beyond a staged APPEND file, and never answers for the database when it is away.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import type pg from 'pg';
import type {
  AccountFolder, AccountState, AppendOptions, ChangesPage, ChangeType, EmailExtra, EmailRow, FlagMode, FolderName, FolderStatus, MailAccountStore,
  MailboxStore, MessageHandle, MessageInfo, Owner,
} from './mailbox-store.js';
import type { Quota, Usage } from '../accounts/quota.js';
import { migrate } from '../db/pg/migrations.js';
import * as account from './pg-account.js';
import * as blobs from './pg-blobs.js';
import { PgMailboxEvents } from './pg-events.js';
import { changes } from './pg-log.js';
import * as folders from './pg-mailboxes.js';
import * as messages from './pg-messages.js';
import { canon, mapDbError, ownerKey, withAccount, type AccountTx } from './pg-tx.js';
import { StoreError } from './store-error.js';

export interface PgMailboxStoreOptions {
  /** Connection settings of the dedicated LISTEN connection (engine/db/pg/pool.ts clientConfig). */
  listen: pg.ClientConfig;
  /** This node's name ([storage] node_name), for logs. */
  nodeName?: string;
  /** Where staged APPEND files are written (default: a private directory under the system temp dir). */
  stagingDir?: string;
  /** Bodies unreferenced this long are collected (default 1 h; a delivery in flight reuses, never races, one). */
  blobGraceMs?: number;
  /** How often this node runs the collector (default 10 min; 0: never, call collectBodies()). */
  collectEveryMs?: number;
  /** The LISTEN connection or the collector failed (retried). */
  onError?: (err: Error) => void;
  /** close() also ends the pool (default false: the pool is the caller's). */
  ownsPool?: boolean;
}

export class PgMailboxStore implements MailboxStore, MailAccountStore {
  private readonly events: PgMailboxEvents;
  /** Owners whose account row is known to exist. */
  private readonly known = new Set<string>();
  private stagingDir: string | null;
  private collector?: NodeJS.Timeout;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: PgMailboxStoreOptions,
  ) {
    this.events = new PgMailboxEvents({ listen: opts.listen, onError: opts.onError });
    this.stagingDir = opts.stagingDir ?? null;
  }

  /** Migrate an empty or older database, start listening and collecting. */
  async start(): Promise<this> {
    await migrate(this.pool);
    await this.events.start();
    const every = this.opts.collectEveryMs ?? 600_000;
    if (every > 0) {
      this.collector = setInterval(() => {
        this.collectBodies().catch((e: Error) => this.opts.onError?.(e));
      }, every);
      this.collector.unref();
    }
    return this;
  }

  private tx<T>(owner: Owner, fn: (tx: AccountTx) => Promise<T>): Promise<T> {
    return withAccount(this.pool, owner, this.known, (o, f) => this.events.fire(o, f), fn);
  }

  /** Make the owner's account (and INBOX) exist before a read. */
  private async ready(owner: Owner): Promise<void> {
    if (!this.known.has(ownerKey(owner))) await this.tx(owner, async () => undefined);
  }

  // ---- messages ----

  append(owner: Owner, folder: FolderName, message: Buffer, opts: AppendOptions = {}): Promise<{ uid: number; uidValidity: number }> {
    return this.tx(owner, (tx) => messages.appendIn(tx, folder || 'INBOX', { kind: 'buffer', data: message }, opts));
  }

  async stagingPath(_owner: Owner): Promise<string> {
    if (!this.stagingDir) this.stagingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgstage-'));
    await fsp.mkdir(this.stagingDir, { recursive: true, mode: 0o700 });
    return path.join(this.stagingDir, `${Date.now()}.${crypto.randomBytes(8).toString('hex')}`);
  }

  /**
   * Store a staged file: hashed in one pass, then (if the body is new) streamed into chunk rows inside the
   * append's transaction, one chunk in memory at a time; the file is removed once the append committed.
   */
  async appendFile(owner: Owner, folder: FolderName, file: string, opts: Omit<AppendOptions, 'dedupKey'> = {}): Promise<{ uid: number; uidValidity: number }> {
    if (!this.stagingDir || path.dirname(path.resolve(file)) !== path.resolve(this.stagingDir)) throw new StoreError('CANNOT', 'not a staged file of this store');
    const ref = await blobs.hashFile(file);
    const head = await messages.fileHead(file);
    const r = await this.tx(owner, (tx) => messages.appendIn(tx, folder || 'INBOX', { kind: 'file', file, ref, head }, opts));
    await blobs.unlinkQuietly(file);
    return r;
  }

  async list(owner: Owner, folder: FolderName): Promise<MessageInfo[]> {
    await this.ready(owner);
    return messages.list(this.pool, owner, folder);
  }

  async status(owner: Owner, folder: FolderName): Promise<FolderStatus> {
    await this.ready(owner);
    return messages.status(this.pool, owner, folder);
  }

  async read(owner: Owner, folder: FolderName, uid: number): Promise<Buffer> {
    const ref = await messages.bodyOf(this.pool, owner, folder, uid);
    return blobs.readAll(this.pool, ref.hash, ref.size);
  }

  async open(owner: Owner, folder: FolderName, uid: number): Promise<MessageHandle> {
    const ref = await messages.bodyOf(this.pool, owner, folder, uid);
    return blobs.handle(this.pool, ref.hash, ref.size);
  }

  updateFlags(
    owner: Owner, folder: FolderName, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number,
  ): Promise<{ updated: MessageInfo[]; failed: number[] }> {
    return this.tx(owner, (tx) => messages.updateFlags(tx, folder, uids, mode, flags, unchangedSince));
  }

  async expunge(owner: Owner, folder: FolderName, uids: number[]): Promise<void> {
    if (!uids.length) return;
    await this.tx(owner, (tx) => messages.expunge(tx, folder, uids));
  }

  copy(owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }> {
    return this.tx(owner, (tx) => messages.transfer(tx, from, uids, to, false));
  }

  move(owner: Owner, from: FolderName, uids: number[], to: FolderName): Promise<{ uidValidity: number; mapping: [number, number][] }> {
    if (canon(from) === canon(to)) return Promise.reject(new StoreError('CANNOT', 'source and target are the same folder'));
    return this.tx(owner, (tx) => messages.transfer(tx, from, uids, to, true));
  }

  watch(owner: Owner, folder: FolderName, onChange: () => void): () => void {
    return this.events.watch(owner, folder, onChange);
  }

  watchAccount(owner: Owner, onChange: () => void): () => void {
    return this.events.watchAccount(owner, onChange);
  }

  /** From the message rows (every body counted once per message naming it, as the owner sees it). */
  async usage(owner: Owner, _quota: Quota): Promise<Usage> {
    return messages.usage(this.pool, owner);
  }

  // ---- folders ----

  async listFolders(owner: Owner): Promise<FolderName[]> {
    await this.ready(owner);
    return folders.listFolders(this.pool, owner);
  }

  createFolder(owner: Owner, folder: FolderName): Promise<void> {
    return this.tx(owner, (tx) => folders.createFolder(tx, folder));
  }

  deleteFolder(owner: Owner, folder: FolderName): Promise<void> {
    return this.tx(owner, (tx) => folders.deleteFolder(tx, folder));
  }

  renameFolder(owner: Owner, from: FolderName, to: FolderName): Promise<void> {
    return this.tx(owner, (tx) => folders.renameFolder(tx, from, to));
  }

  subscriptions(owner: Owner): Promise<FolderName[]> {
    return folders.subscriptions(this.pool, owner);
  }

  setSubscribed(owner: Owner, folder: FolderName, subscribed: boolean): Promise<void> {
    return this.tx(owner, (tx) => folders.setSubscribed(tx, folder, subscribed));
  }

  // ---- the account view (JMAP) ----

  refreshAccount(owner: Owner): Promise<AccountState> {
    return this.tx(owner, (tx) => account.refreshAccount(tx));
  }

  async accountFolders(owner: Owner): Promise<AccountFolder[]> {
    await this.ready(owner);
    return account.accountFolders(this.pool, owner);
  }

  accountEmails(owner: Owner, ids?: string[]): Promise<EmailRow[]> {
    return account.accountEmails(this.pool, owner, ids);
  }

  threadMembers(owner: Owner, threadIds: string[]): Promise<Map<string, string[]>> {
    return account.threadMembers(this.pool, owner, threadIds);
  }

  async accountChanges(owner: Owner, type: ChangeType, since: number, max: number): Promise<ChangesPage | null> {
    try {
      return await changes(this.pool, ownerKey(owner), type, since, max);
    } catch (e) {
      return mapDbError(e);
    }
  }

  setSortOrder(owner: Owner, folder: FolderName, order: number | null): Promise<void> {
    return this.tx(owner, (tx) => folders.setSortOrder(tx, folder, order));
  }

  setEmailExtra(owner: Owner, emailId: string, extra: EmailExtra): Promise<void> {
    return account.setEmailExtra(this.pool, owner, emailId, extra);
  }

  // ---- upkeep ----

  /** Delete bodies no message names (older than the grace period); returns how many. */
  collectBodies(graceMs = this.opts.blobGraceMs ?? 3_600_000): Promise<number> {
    return blobs.collect(this.pool, graceMs);
  }

  /** Is the LISTEN connection up (cross-node notices flowing)? */
  get listening(): boolean {
    return this.events.connected;
  }

  /** Cut the LISTEN connection as a fault would (tests of the reconnect and resynchronisation). */
  dropListenConnection(): Promise<void> {
    return this.events.dropConnection();
  }

  /** Stop listening and collecting (and end the pool if it owns it). Staged files left behind are removed. */
  async close(): Promise<void> {
    if (this.collector) clearInterval(this.collector);
    await this.events.close();
    if (this.stagingDir && !this.opts.stagingDir) fs.rmSync(this.stagingDir, { recursive: true, force: true });
    if (this.opts.ownsPool) await this.pool.end().catch(() => undefined);
  }
}

/** Open the store on a pool: migrate, start the LISTEN connection and the collector. */
export function openPgMailboxStore(pool: pg.Pool, opts: PgMailboxStoreOptions): Promise<PgMailboxStore> {
  return new PgMailboxStore(pool, opts).start();
}
