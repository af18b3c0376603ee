// The JMAP server's parts in one object: what it needs from the rest of tegami (the mailbox store, the main
// database, the account directory, the submission entry point), the limits, and the stores built on them.
// Built once per web server; the routes and methods read it. It never listens or parses HTTP.
import type { ServerResponse } from 'node:http';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import type { MailAccountStore, MailboxStore } from '../store/mailbox-store.js';
import type { Submit } from '../submission/submit.js';
import { BlobStore, type Uploads } from './blobs.js';
import { PgBlobStore } from './pg-blobs.js';
import { accountIdOf, DEFAULT_LIMITS, type JmapLimits } from './capabilities.js';
import { JmapTokens } from './access-tokens.js';
import { ObjectStore, type JmapObjects } from './object-store.js';
import { PgObjectStore } from './pg-object-store.js';
import type { PgPool } from '../db/pg/pool.js';
import { VacationStore } from './vacation-store.js';
import { MemoryBudget } from './memory-budget.js';

/** Teaches the spam filter from the user's filing (Bayes), as IMAP's moves do. */
export type Learner = (raw: Buffer, verdict: 'spam' | 'ham', owner: string) => Promise<unknown> | unknown;

export interface JmapDeps {
  store: MailboxStore & MailAccountStore;
  /** The main database (tegami.db): tokens, identities, submissions, vacation. */
  db: Db;
  /** [storage] backend = "postgres": identities, submissions, their states and uploads are shared rows (pg-object-store.ts, pg-blobs.ts). */
  pool?: PgPool;
  directory: Pick<AccountDirectory, 'user' | 'senderAddresses' | 'localDomain' | 'scramVerifier' | 'quotaOf'>;
  dataDir: string;
  /** Largest message accepted anywhere (config max_message_size): submissions and imports above it are refused. */
  maxMessageSize: number;
  /** Recipients per message (config smtp.max_recipients), for tooManyRecipients. */
  maxRecipients: number;
  limits?: Partial<JmapLimits>;
  /** The shared submission entry point (engine/submission); without it EmailSubmission is not offered. */
  submit?: Submit;
  learn?: Learner | null;
  logger?: Logger;
  now?: () => number;
}

export class JmapService {
  readonly limits: JmapLimits;
  readonly objects: JmapObjects;
  readonly vacation: VacationStore;
  readonly blobs: Uploads;
  /** Octets of uploads and downloads this node holds in memory (limits.nodeMemory, over every account). */
  readonly memory: MemoryBudget;
  readonly tokens: JmapTokens;
  readonly now: () => number;
  /** Requests and uploads in progress per account (maxConcurrentRequests, maxConcurrentUpload). */
  readonly running = { api: new Map<string, number>(), upload: new Map<string, number>(), download: new Map<string, number>(), events: new Map<string, number>() };
  /** Open event-source responses (ended when the server closes). */
  readonly streams = new Set<ServerResponse>();
  /** Told of writes to Identity, EmailSubmission and VacationResponse (push). */
  readonly objectListeners = new Set<(address: string) => void>();

  constructor(readonly deps: JmapDeps) {
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.now = deps.now ?? Date.now;
    this.objects = deps.pool ? new PgObjectStore(deps.pool) : new ObjectStore(deps.db);
    this.objects.onChange = (address) => {
      for (const fn of this.objectListeners) fn(address);
    };
    this.vacation = new VacationStore(deps.db, this.objects, this.now);
    this.memory = new MemoryBudget(this.limits.nodeMemory);
    this.blobs = deps.pool ? new PgBlobStore(deps.pool, this.limits, this.now, this.memory) : new BlobStore(deps.dataDir, this.limits, this.now);
    this.tokens = new JmapTokens(deps.db, this.now);
  }

  get store(): MailboxStore & MailAccountStore {
    return this.deps.store;
  }

  accountIdOf(user: User): string {
    return accountIdOf(user.address);
  }

  /** Take a slot of a per-account limit; null when it is full, else the function that gives it back. */
  acquire(kind: 'api' | 'upload' | 'download' | 'events', address: string, max: number): (() => void) | null {
    const m = this.running[kind];
    const n = m.get(address) ?? 0;
    if (n >= max) return null;
    m.set(address, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (m.get(address) ?? 1) - 1;
      if (left <= 0) m.delete(address);
      else m.set(address, left);
    };
  }

  log(event: string, fields: Record<string, unknown>, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.deps.logger?.[level]('web', `jmap.${event}`, fields);
  }
}
