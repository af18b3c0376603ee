// A bounded per-process cache of what IMAP derives from a message's bytes: rendered ENVELOPE / BODY /
// BODYSTRUCTURE, the raw header block FETCH saw and the decoded header values SEARCH matches. A message's bytes never change under a
// (folder, UIDVALIDITY, UID), so entries never go stale; the oldest go first when the bounds are reached.
import type { MailboxStore } from '../store/mailbox-store.js';

export interface CachedMessage {
  /** Rendered ENVELOPE, BODY and BODYSTRUCTURE as latin1 text (one char per octet), kept flat. */
  envelope?: string;
  body?: string;
  bodystructure?: string;
  /**
   * The message's header block as stored (up to and including the blank line), kept when FETCH parsed the
   * message: SEARCH on header keys decodes it instead of opening the file again.
   */
  head?: Buffer;
  /** Lower-case field name → decoded, folded values, for the names SEARCH asked for so far ([]: no such field). */
  fields?: Map<string, string[]>;
  /** The Date: header as written (SENT* keys), null when absent. */
  date?: string | null;
}

const MAX_ENTRIES = 50_000;
const MAX_BYTES = 64 * 1024 * 1024;

interface Entry {
  value: CachedMessage;
  bytes: number;
}

/**
 * Entries per mailbox (owner, folder, UIDVALIDITY), found by UID: a SEARCH or FETCH over 10,000 messages looks
 * up numbers in one map instead of building and hashing a string key per message. When a bound is reached the
 * mailbox changed least recently loses its oldest entries first.
 */
export class MessageCache {
  private boxes = new Map<string, Map<number, Entry>>();
  private entries = 0;
  private bytes = 0;

  /** The key of a mailbox's entries (compute it once per command). */
  static box(owner: string, folder: string, uidValidity: number): string {
    return `${owner.toLowerCase()}\0${folder}\0${uidValidity}`;
  }

  /** A mailbox's entries to look up by UID (undefined when none is cached). */
  of(box: string): ReadonlyMap<number, Entry> | undefined {
    return this.boxes.get(box);
  }

  get(box: string, uid: number): CachedMessage | undefined {
    return this.boxes.get(box)?.get(uid)?.value;
  }

  /** The mailbox changed last (the last key of `boxes`). */
  private lastBox: string | null = null;

  /** Merge fields into an entry (creating it), then enforce the bounds. */
  update(box: string, uid: number, given: CachedMessage): void {
    const fields = ownMemory(given);
    let m = this.boxes.get(box);
    // most recently changed mailbox last (already so while one command fills one mailbox)
    if (!m || this.lastBox !== box) {
      if (m) this.boxes.delete(box);
      else m = new Map();
      this.boxes.set(box, m);
      this.lastBox = box;
    }
    const old = m.get(uid);
    if (old) {
      // merged in place: a mailbox's entries stay in the order they were first cached
      Object.assign(old.value, fields);
      const bytes = sizeOf(old.value);
      this.bytes += bytes - old.bytes;
      old.bytes = bytes;
    } else {
      // the entry's own object (ownMemory's copy is one already)
      const value = fields === given ? { ...fields } : fields;
      const bytes = sizeOf(value);
      m.set(uid, { value, bytes });
      this.bytes += bytes;
      this.entries++;
    }
    while (this.entries > MAX_ENTRIES || this.bytes > MAX_BYTES) {
      const first = this.boxes.entries().next();
      if (first.done) break;
      const [key, oldest] = first.value;
      const e = oldest.entries().next();
      if (e.done) {
        this.boxes.delete(key);
        continue;
      }
      this.bytes -= e.value[1].bytes;
      this.entries--;
      oldest.delete(e.value[0]);
      if (!oldest.size) this.boxes.delete(key);
    }
  }
}

/**
 * `fields` with its header block in memory of its own: a small Buffer.from() is a view into Node's shared 8 KB pool,
 * and kept here it would hold that whole slab while counting only its own bytes (a 300-byte header block, 8 KB
 * held); FETCH's is a view of its read buffer. A copy of `fields` when the block was copied, else `fields` itself.
 * (The renderings are strings; the header block is the only Buffer kept.)
 */
function ownMemory(fields: CachedMessage): CachedMessage {
  const b = fields.head;
  if (!b || b.byteLength === b.buffer.byteLength) return fields;
  const own = Buffer.allocUnsafeSlow(b.length);
  own.set(b);
  return { ...fields, head: own };
}

function sizeOf(v: CachedMessage): number {
  let n = 64 + (v.envelope?.length ?? 0) + (v.body?.length ?? 0) + (v.bodystructure?.length ?? 0) + (v.head?.length ?? 0) + (v.date?.length ?? 0) * 2;
  if (v.fields) {
    v.fields.forEach((vals, k) => {
      n += k.length * 2;
      for (let i = 0; i < vals.length; i++) n += vals[i].length * 2;
    });
  }
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
