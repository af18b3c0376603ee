// Training the Bayesian filter: one message as spam or ham, for the whole server or one user. Used by
// `tegami spam learn` and by the IMAP server when a user moves mail into or out of the Spam folder.
// It reads and counts tokens; it never changes or moves the message itself. Where the counts live is [storage]'s
// choice (bayesFor): the data dir's bayes.db, or PostgreSQL shared by every node.
import type { LoadedConfig } from '../config/load.js';
import { openPool } from '../db/pg/pool.js';
import { BayesStore, SERVER, type BayesBackend } from './bayes.js';
import { PgBayesStore } from './pg-bayes.js';
import { checkHtml } from './html.js';
import { parseMessage, type ParseOptions, type ParsedMessage } from './message.js';
import { DEFAULT_TOKENISE, tokenise, type TokeniseOptions } from './tokenise.js';
import { extractUrls } from './url.js';

const stores = new Map<string, BayesStore>();

/** The open store for a data dir (one per process or thread). */
export function bayesStoreFor(dataDir: string): BayesStore {
  let s = stores.get(dataDir);
  if (!s) {
    s = new BayesStore(dataDir);
    stores.set(dataDir, s);
  }
  return s;
}

/** Connections of this thread's pool for the shared counts: a lookup per message, learning now and then. */
const SHARED_POOL = 2;
const shared = new Map<string, PgBayesStore>();

/**
 * Where a config's counts live, opened once per process or thread: PostgreSQL when [storage] backend = "postgres"
 * (every node reads and learns the same counts), else the data dir's bayes.db. A data dir alone names its bayes.db.
 */
export function bayesFor(where: string | LoadedConfig): BayesBackend {
  if (typeof where === 'string') return bayesStoreFor(where);
  if (where.storage.backend !== 'postgres') return bayesStoreFor(where.data_dir);
  const key = `${where.storage.url ?? ''}\0${where.storage.node_name}`;
  let s = shared.get(key);
  if (!s) {
    s = new PgBayesStore(openPool({ ...where.storage, pool_size: SHARED_POOL }), { ownsPool: true });
    shared.set(key, s);
  }
  return s;
}

/** Close every store this process or thread opened (the shared ones' pools end in the background). */
export function closeBayesStores(): void {
  for (const s of stores.values()) s.close();
  stores.clear();
  for (const s of shared.values()) s.close().catch(() => undefined);
  shared.clear();
}

/** closeBayesStores, waiting for the shared pools to end (a CLI command before it exits). */
export async function closeBayesStoresAsync(): Promise<void> {
  const ending = [...shared.values()].map((s) => s.close());
  shared.clear();
  closeBayesStores();
  await Promise.all(ending);
}

export function messageTokens(raw: Buffer | Uint8Array, opts: ParseOptions = {}, tokens: Readonly<TokeniseOptions> = DEFAULT_TOKENISE): string[] {
  return tokensOf(parseMessage(raw, opts), tokens);
}

function tokensOf(msg: ParsedMessage, tokens: Readonly<TokeniseOptions> = DEFAULT_TOKENISE): string[] {
  const html = msg.htmls.map((h) => checkHtml(h, 1_000_000));
  const urls = [...msg.texts.flatMap((t) => extractUrls(t)), ...html.flatMap((h) => h.hrefs)];
  return tokenise(msg, html.map((h) => h.text), urls, tokens);
}

/**
 * Learn one raw RFC 5322 message; returns whether the counts changed (false: already learnt as that kind).
 * `where`: a config (its [storage] chooses, see bayesFor) or a data dir (its bayes.db).
 */
export async function learnMessage(where: string | LoadedConfig, raw: Buffer, kind: 'spam' | 'ham', owner?: string, opts: ParseOptions = {}): Promise<boolean> {
  const msg = parseMessage(raw, opts);
  const messageId = (msg.headers.get('message-id')?.[0] ?? '').trim();
  return bayesFor(where).learn(owner ? owner.toLowerCase() : SERVER, tokensOf(msg), kind, messageId);
}

/** Learn a batch of raw messages in one transaction (much faster for corpora); returns how many changed the counts. */
export function learnMessages(dataDir: string, items: { raw: Buffer; kind: 'spam' | 'ham' }[], owner?: string, opts: ParseOptions = {}): number {
  return bayesStoreFor(dataDir).learnMany(owner ? owner.toLowerCase() : SERVER, prepare(items, opts));
}

/** learnMessages where the config's [storage] says (PostgreSQL: one transaction per batch). */
export async function learnMessagesFor(config: LoadedConfig, items: { raw: Buffer; kind: 'spam' | 'ham' }[], owner?: string, opts: ParseOptions = {}): Promise<number> {
  return bayesFor(config).learnMany(owner ? owner.toLowerCase() : SERVER, prepare(items, opts));
}

function prepare(items: { raw: Buffer; kind: 'spam' | 'ham' }[], opts: ParseOptions): { tokens: string[]; kind: 'spam' | 'ham'; messageId: string }[] {
  return items.map((it) => {
    const msg = parseMessage(it.raw, opts);
    return { tokens: tokensOf(msg), kind: it.kind, messageId: (msg.headers.get('message-id')?.[0] ?? '').trim() };
  });
}
