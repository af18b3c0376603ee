// SEARCH's header keys (SUBJECT, FROM, HEADER …) answered from one column per mailbox and field: the decoded, folded
// values of that field for every message, in UID order, in one string with message offsets. A key is then one
// string search over the column instead of a cache lookup, a refilled content and a header scan per message. A
// column is made by the first SEARCH on its field (from the header blocks FETCH kept, else from the files) and
// reused while the mailbox's UIDs are the same; when messages came or went, the next SEARCH carries the values of
// the UIDs still there over and reads only the new messages. A message's bytes never change under a (folder,
// UIDVALIDITY, UID), so a value once made never goes stale; the mailbox key holds UIDVALIDITY.
import type { MailboxStore } from '../store/mailbox-store.js';

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
 * The values of one message for a column being made: its decoded, folded values of the field ([] when it has none),
 * or null when the message could not be read (expunged meanwhile: SEARCH skips it, as it skips an unreadable file).
 */
export type ValuesOf = (uid: number) => string[] | null | Promise<string[] | null>;

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

/** Columns kept per store; the least recently used go first. */
const MAX_COLUMNS = 64;
const MAX_CHARS = 32 * 1024 * 1024;

export class ColumnCache {
  private columns = new Map<string, HeaderColumn>();
  private chars = 0;

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
    if (c.text.length > MAX_CHARS) return;
    this.columns.set(key, c);
    this.chars += c.text.length;
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
    this.columns.delete(key);
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
