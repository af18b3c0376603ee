// SEARCH's header keys (SUBJECT, FROM, HEADER …) answered from one column per mailbox and field: the decoded, folded
// values of that field for every message, in UID order, in one string with message offsets. A key is then one
// string search over the column instead of a cache lookup, a refilled content and a header scan per message. A
// column is made by the first SEARCH on its field (from the header blocks FETCH kept, else from the files) and
// reused while the mailbox's UIDs are the same; when messages came or went, the next SEARCH carries the values of
// the UIDs still there over and reads only the new messages. A message's bytes never change under a (folder,
// UIDVALIDITY, UID), so a value once made never goes stale; the mailbox key holds UIDVALIDITY.
import type { MailboxStore } from '../store/mailbox-store.js';
import { KNOWN } from '../mime/known-fields.js';

/** Separates values and messages in a column's text; a key holding it is not answered from columns. */
const SEP = '\u0000';

/** A column: message k (uids[k]) has the values text[starts[k], starts[k + 1]), each followed by SEP. */
export class HeaderColumn {
  constructor(
    /** Ascending UIDs. */
    readonly uids: Uint32Array,
    readonly text: string,
    /** uids.length + 1 offsets into text. */
    readonly starts: Int32Array,
    /** 1 where the message has the field at all (an empty key matches those). */
    readonly has: Uint8Array,
  ) {}

  /**
   * Messages whose values hold `key` (a folded key without SEP), 1 per column index. One search over the whole
   * text: a hit cannot span two values or two messages, since neither the key nor a value's text holds SEP
   * where the hit would cross.
   */
  hits(key: string): Uint8Array {
    if (key === '') return this.has.slice();
    const out = new Uint8Array(this.uids.length);
    const { text, starts } = this;
    let k = 0;
    let p = text.indexOf(key);
    while (p >= 0) {
      while (starts[k + 1] <= p) k++;
      out[k] = 1;
      p = text.indexOf(key, starts[k + 1]);
    }
    return out;
  }

  /** The column's values of one message (for tests and checks). */
  valuesAt(k: number): string[] {
    if (!this.has[k]) return [];
    return this.text.slice(this.starts[k], this.starts[k + 1] - 1).split(SEP);
  }
}

/** Can `key` be answered from a column? */
export function columnKey(key: string): boolean {
  return !key.includes(SEP);
}

/**
 * The values of one message for a column being made: its decoded, folded values of the field ([] when it has none;
 * a string alone: its one value), or null when the message could not be read (expunged meanwhile: SEARCH skips it, as it skips an unreadable file).
 */
export type ValuesOf = (uid: number) => string | string[] | null | Promise<string[] | null>;

/**
 * The column of `uids` (ascending): `old`'s values for the UIDs it has, `valuesOf` for the others. `skipped` gets 1
 * for the messages that could not be read; a column with any is not kept (the caller gets `complete` false).
 */
export async function makeColumn(uids: readonly number[], old: HeaderColumn | undefined, valuesOf: ValuesOf): Promise<{ column: HeaderColumn; skipped: Uint8Array; complete: boolean }> {
  const n = uids.length;
  const out = new Uint32Array(n);
  const starts = new Int32Array(n + 1);
  const has = new Uint8Array(n);
  const skipped = new Uint8Array(n);
  const parts: string[] = [];
  let complete = true;
  let at = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const uid = uids[k];
    out[k] = uid;
    starts[k] = at;
    if (old) {
      while (j < old.uids.length && old.uids[j] < uid) j++;
      if (j < old.uids.length && old.uids[j] === uid) {
        const seg = old.text.slice(old.starts[j], old.starts[j + 1]);
        has[k] = old.has[j];
        if (seg.length) parts.push(seg);
        at += seg.length;
        continue;
      }
    }
    const got = valuesOf(uid);
    if (typeof got === 'string') {
      // one value (the common case): no array
      has[k] = 1;
      parts.push(got, SEP);
      at += got.length + 1;
      continue;
    }
    const vs = got instanceof Promise ? await got : got;
    if (vs === null) {
      skipped[k] = 1;
      complete = false;
      continue;
    }
    if (!vs.length) continue;
    has[k] = 1;
    for (let i = 0; i < vs.length; i++) {
      parts.push(vs[i], SEP);
      at += vs[i].length + 1;
    }
  }
  starts[n] = at;
  return { column: new HeaderColumn(out, parts.join(''), starts, has), skipped, complete };
}

/** Does the column cover exactly these UIDs? */
export function covers(c: HeaderColumn, uids: readonly number[]): boolean {
  if (c.uids.length !== uids.length) return false;
  for (let i = 0; i < uids.length; i++) if (c.uids[i] !== uids[i]) return false;
  return true;
}

/** The fields SEARCH's named keys read (SUBJECT, FROM, TO, CC, BCC): FETCH feeds their values to columns. */
export const FED_FIELDS = ['subject', 'from', 'to', 'cc', 'bcc'] as const;

/**
 * The raw values (latin1 text as parsed, not decoded) of FED_FIELDS of the messages a FETCH parsed, for the columns
 * a later SEARCH makes: no header block scanned again. Per field, one entry per fed message: null (no such field),
 * the value, or the values when the field occurs more than once (no object per message in the common case).
 */
export class Feed {
  readonly uids: number[] = [];
  /** Per field (FED_FIELDS order), aligned with uids; null once the field's column was made (take). */
  readonly values: ((string | string[] | null)[] | null)[] = FED_FIELDS.map(() => []);
  /** Fed in ascending UID order (a FETCH 1:*), so a column walks it with a pointer. */
  ascending = true;

  /** Characters of the values held (the store's bound counts them). */
  chars = 0;

  /** Feed a message's top-level fields; false (nothing kept) when its values of FED_FIELDS are too long to keep. */
  add(uid: number, headers: readonly { name: string; value: string }[]): boolean {
    const ids: number[] = [];
    const values: string[] = [];
    for (let i = 0; i < headers.length; i++) {
      const k = (KNOWN as readonly string[]).indexOf(headers[i].name);
      if (k >= 0) {
        ids.push(k);
        values.push(headers[i].value);
      }
    }
    return this.addKnown(uid, ids, values);
  }

  /**
   * add() of the known fields a MIME parse found (known-fields.ts numbers and their values, in header order, as
   * MimeNode keeps them): no object per field, no name compared.
   */
  addKnown(uid: number, ids: readonly number[], values: readonly string[]): boolean {
    let size = 0;
    for (let i = 0; i < ids.length; i++) if (FED_OF_KNOWN[ids[i]] >= 0) size += values[i].length;
    if (size > MAX_FED_MESSAGE) return false;
    this.chars += size;
    const n = this.uids.length;
    if (n && this.uids[n - 1] >= uid) this.ascending = false;
    this.uids.push(uid);
    for (let f = 0; f < FED_FIELDS.length; f++) this.values[f]?.push(null);
    for (let i = 0; i < ids.length; i++) {
      const f = FED_OF_KNOWN[ids[i]];
      if (f < 0) continue;
      const list = this.values[f];
      if (!list) continue;
      const had = list[n];
      const v = values[i];
      list[n] = had === null ? v : typeof had === 'string' ? [had, v] : [...had, v];
    }
    return true;
  }

  /** Field f's values are in a column now: not kept or fed any more. Are all fields taken? */
  take(f: number): boolean {
    this.values[f] = null;
    return this.values.every((v) => v === null);
  }

  /**
   * The raw values of field f for each UID fed, as a lookup: undefined (not fed), null (no such field), the value, or
   * the values when there are several; null when f was taken.
   */
  lookup(f: number): ((uid: number) => string | string[] | null | undefined) | null {
    const { uids } = this;
    const list = this.values[f];
    if (!list) return null;
    const at = (k: number) => list[k];
    if (this.ascending) {
      let k = 0;
      // asked in ascending order (a column is made in UID order): a pointer, with a binary search when asked back
      return (uid) => {
        if (k > 0 && uids[k - 1] >= uid) k = 0;
        while (k < uids.length && uids[k] < uid) k++;
        return k < uids.length && uids[k] === uid ? at(k++) : undefined;
      };
    }
    const index = new Map<number, number>();
    for (let k = 0; k < uids.length; k++) index.set(uids[k], k);
    return (uid) => {
      const k = index.get(uid);
      return k === undefined ? undefined : at(k);
    };
  }
}

/** Per known field (known-fields.ts number), its FED_FIELDS index, or -1. */
const FED_OF_KNOWN: readonly number[] = KNOWN.map((name) => fedIndex(name));

export function fedIndex(name: string): number {
  switch (name) {
    case 'subject':
      return 0;
    case 'from':
      return 1;
    case 'to':
      return 2;
    case 'cc':
      return 3;
    case 'bcc':
      return 4;
    default:
      return -1;
  }
}

/** Messages fed and not yet made into columns, and their values' characters, per store. */
const MAX_FED = 200_000;
const MAX_FED_CHARS = 16 * 1024 * 1024;
/** A message whose fed values are longer is not fed (a column reads it from its header block or file). */
const MAX_FED_MESSAGE = 64 * 1024;

/** Columns kept per store; the least recently used go first. */
const MAX_COLUMNS = 64;
const MAX_CHARS = 32 * 1024 * 1024;

/**
 * One user's share of each bound (a store serves every user of the node): past it, that user's own oldest feed or
 * least recently used column goes, never another user's, so one user's FETCHes and SEARCHes cannot push every
 * other user's columns out (they would each read their messages' headers again).
 */
export const USER_SHARE = 4;

/** What one user holds in a store's cache. */
interface Held {
  columns: number;
  chars: number;
  fed: number;
  fedChars: number;
}

/** The owner part of a mailbox key (MessageCache.box: owner NUL folder NUL UIDVALIDITY) or a column key. */
function ownerOf(key: string): string {
  const i = key.indexOf('\0');
  return i < 0 ? key : key.slice(0, i);
}

export class ColumnCache {
  private columns = new Map<string, HeaderColumn>();
  private chars = 0;

  private feeds = new Map<string, Feed>();
  private fed = 0;
  private fedChars = 0;
  /** Per owner, what the columns and feeds above hold. */
  private users = new Map<string, Held>();

  private held(owner: string): Held {
    let h = this.users.get(owner);
    if (!h) this.users.set(owner, (h = { columns: 0, chars: 0, fed: 0, fedChars: 0 }));
    return h;
  }

  private settled(owner: string, h: Held): void {
    if (!h.columns && !h.fed && !h.fedChars && !h.chars) this.users.delete(owner);
  }

  /** Values FETCH parsed for a message of `box`: its top-level known fields (Feed.addKnown). */
  feed(box: string, uid: number, ids: readonly number[], values: readonly string[]): void {
    let f = this.feeds.get(box);
    if (!f) this.feeds.set(box, (f = new Feed()));
    const before = f.chars;
    if (!f.addKnown(uid, ids, values)) return;
    const owner = ownerOf(box);
    const h = this.held(owner);
    this.fed++;
    this.fedChars += f.chars - before;
    h.fed++;
    h.fedChars += f.chars - before;
    // this user's own oldest feeds first, then anyone's
    while (h.fed > MAX_FED / USER_SHARE || h.fedChars > MAX_FED_CHARS / USER_SHARE) {
      const oldest = this.firstOf(this.feeds.keys(), owner);
      if (oldest === undefined) break;
      this.dropFeed(oldest);
    }
    while (this.fed > MAX_FED || this.fedChars > MAX_FED_CHARS) {
      const first = this.feeds.keys().next();
      if (first.done) break;
      this.dropFeed(first.value);
    }
  }

  /** The first key of `keys` that is `owner`'s. */
  private firstOf(keys: Iterable<string>, owner: string): string | undefined {
    for (const k of keys) if (ownerOf(k) === owner) return k;
    return undefined;
  }

  /** The feed of a mailbox (values FETCH parsed, not yet in columns). */
  feedOf(box: string): Feed | undefined {
    return this.feeds.get(box);
  }

  /** Forget a mailbox's feed (its fields' columns are made). */
  dropFeed(box: string): void {
    const f = this.feeds.get(box);
    if (!f) return;
    this.fed -= f.uids.length;
    this.fedChars -= f.chars;
    const owner = ownerOf(box);
    const h = this.held(owner);
    h.fed -= f.uids.length;
    h.fedChars -= f.chars;
    this.settled(owner, h);
    this.feeds.delete(box);
  }

  static key(box: string, name: string): string {
    return `${box}\0${name}`;
  }

  get(key: string): HeaderColumn | undefined {
    const c = this.columns.get(key);
    if (c) {
      // most recently used last
      this.columns.delete(key);
      this.columns.set(key, c);
    }
    return c;
  }

  set(key: string, c: HeaderColumn): void {
    this.drop(key);
    if (c.text.length > MAX_CHARS / USER_SHARE) return;
    const owner = ownerOf(key);
    const h = this.held(owner);
    this.columns.set(key, c);
    this.chars += c.text.length;
    h.columns++;
    h.chars += c.text.length;
    // this user's own least recently used columns first (never the one just made), then anyone's
    while (h.columns > MAX_COLUMNS / USER_SHARE || h.chars > MAX_CHARS / USER_SHARE) {
      const oldest = this.firstOf(this.columns.keys(), owner);
      if (oldest === undefined || oldest === key) break;
      this.drop(oldest);
    }
    while (this.columns.size > MAX_COLUMNS || this.chars > MAX_CHARS) {
      const first = this.columns.keys().next();
      if (first.done) break;
      this.drop(first.value);
    }
  }

  private drop(key: string): void {
    const c = this.columns.get(key);
    if (!c) return;
    this.chars -= c.text.length;
    const owner = ownerOf(key);
    const h = this.held(owner);
    h.columns--;
    h.chars -= c.text.length;
    this.settled(owner, h);
    this.columns.delete(key);
  }

  /** What `owner` holds now (columns and their characters, messages fed and theirs). */
  heldBy(owner: string): Readonly<Held> {
    return { ...(this.users.get(owner.toLowerCase()) ?? { columns: 0, chars: 0, fed: 0, fedChars: 0 }) };
  }
}

const caches = new WeakMap<MailboxStore, ColumnCache>();

export function columnsFor(store: MailboxStore): ColumnCache {
  let c = caches.get(store);
  if (!c) {
    c = new ColumnCache();
    caches.set(store, c);
  }
  return c;
}
