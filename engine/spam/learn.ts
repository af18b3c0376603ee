// Training the Bayesian filter: one message as spam or ham, for the whole server or one user. Used by
// `tegami spam learn` and by the IMAP server when a user moves mail into or out of the Spam folder.
// It reads and counts tokens; it never changes or moves the message itself.
import { BayesStore, SERVER } from './bayes.js';
import { checkHtml } from './html.js';
import { parseMessage, type ParseOptions, type ParsedMessage } from './message.js';
import { tokenise } from './tokenise.js';
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

export function closeBayesStores(): void {
  for (const s of stores.values()) s.close();
  stores.clear();
}

export function messageTokens(raw: Buffer | Uint8Array, opts: ParseOptions = {}): string[] {
  return tokensOf(parseMessage(raw, opts));
}

function tokensOf(msg: ParsedMessage): string[] {
  const html = msg.htmls.map((h) => checkHtml(h, 1_000_000));
  const urls = [...msg.texts.flatMap((t) => extractUrls(t)), ...html.flatMap((h) => h.hrefs)];
  return tokenise(msg, html.map((h) => h.text), urls);
}

/** Learn one raw RFC 5322 message; returns whether the counts changed (false: already learnt as that kind). */
export async function learnMessage(dataDir: string, raw: Buffer, kind: 'spam' | 'ham', owner?: string, opts: ParseOptions = {}): Promise<boolean> {
  const msg = parseMessage(raw, opts);
  const messageId = (msg.headers.get('message-id')?.[0] ?? '').trim();
  return bayesStoreFor(dataDir).learn(owner ? owner.toLowerCase() : SERVER, tokensOf(msg), kind, messageId);
}

/** Learn a batch of raw messages in one transaction (much faster for corpora); returns how many changed the counts. */
export function learnMessages(dataDir: string, items: { raw: Buffer; kind: 'spam' | 'ham' }[], owner?: string, opts: ParseOptions = {}): number {
  const prepared = items.map((it) => {
    const msg = parseMessage(it.raw, opts);
    return { tokens: tokensOf(msg), kind: it.kind, messageId: (msg.headers.get('message-id')?.[0] ?? '').trim() };
  });
  return bayesStoreFor(dataDir).learnMany(owner ? owner.toLowerCase() : SERVER, prepared);
}
