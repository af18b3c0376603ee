// A bounded per-process cache of what IMAP derives from a message's bytes: rendered ENVELOPE / BODY /
// BODYSTRUCTURE and the decoded header values SEARCH matches. A message's bytes never change under a
// (folder, UIDVALIDITY, UID), so entries never go stale; the oldest go first when the bounds are reached.
import type { MailboxStore } from '../store/mailbox-store.js';

export interface CachedMessage {
  envelope?: Buffer;
  body?: Buffer;
  bodystructure?: Buffer;
  /** Lower-case field name → decoded, folded values (SEARCH). */
  headers?: Map<string, string[]>;
  /** The Date: header as written (SENT* keys), null when absent. */
  date?: string | null;
}

const MAX_ENTRIES = 50_000;
const MAX_BYTES = 64 * 1024 * 1024;

export class MessageCache {
  private map = new Map<string, { value: CachedMessage; bytes: number }>();
  private bytes = 0;

  static key(owner: string, folder: string, uidValidity: number, uid: number): string {
    return `${owner.toLowerCase()}\0${folder}\0${uidValidity}\0${uid}`;
  }

  get(key: string): CachedMessage | undefined {
    return this.map.get(key)?.value;
  }

  /** Merge fields into an entry (creating it), then enforce the bounds. */
  update(key: string, fields: CachedMessage): void {
    const old = this.map.get(key);
    const value = { ...(old?.value ?? {}), ...fields };
    const bytes = sizeOf(value);
    if (old) {
      this.bytes -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, { value, bytes });
    this.bytes += bytes;
    while (this.map.size > MAX_ENTRIES || this.bytes > MAX_BYTES) {
      const first = this.map.keys().next();
      if (first.done) break;
      this.bytes -= this.map.get(first.value)!.bytes;
      this.map.delete(first.value);
    }
  }
}

function sizeOf(v: CachedMessage): number {
  let n = 64 + (v.envelope?.length ?? 0) + (v.body?.length ?? 0) + (v.bodystructure?.length ?? 0) + (v.date?.length ?? 0) * 2;
  if (v.headers) for (const [k, vals] of v.headers) n += k.length * 2 + vals.reduce((a, s) => a + s.length * 2, 0);
  return n;
}

const caches = new WeakMap<MailboxStore, MessageCache>();

export function cacheFor(store: MailboxStore): MessageCache {
  let c = caches.get(store);
  if (!c) {
    c = new MessageCache();
    caches.set(store, c);
  }
  return c;
}
