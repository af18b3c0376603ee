// One message list per mailbox, shared by every IMAP session that has it selected: a Listing (UIDs and their
// MessageInfo, ascending) is never changed once made; a change in the store makes a new one (copy on change),
// reusing the MessageInfo objects that did not change, so sessions that have not caught up yet share them too.
// One store watch and one store.list() per change and mailbox, however many sessions. Never writes to the store.
import type { FolderName, LazyInfos, MailboxStore, MessageInfo, Owner } from '../store/mailbox-store.js';

/**
 * A mailbox's messages at one moment: `uids[i]` is `infos.at(i).uid`, ascending. Never mutated. `infos` is an
 * array, or the store's LazyInfos (a first build's, whose infos are made as they are read): read it with at().
 */
export interface Listing {
  readonly uids: readonly number[];
  readonly infos: readonly MessageInfo[] | LazyInfos;
}

export const EMPTY_LISTING: Listing = Object.freeze({ uids: Object.freeze([]), infos: Object.freeze([]) });

/** The i-th info of a listing (in range). */
export function infoAt(l: Listing, i: number): MessageInfo {
  return l.infos.at(i)!;
}

/** The i-th message's flags, without making its info where the listing makes infos on demand. */
export function flagsAt(l: Listing, i: number): readonly string[] {
  const infos = l.infos;
  return Array.isArray(infos) ? (infos as readonly MessageInfo[])[i].flags : (infos as LazyInfos).flagsAt(i);
}

/** The MessageInfo of `uid` in a listing (binary search), or undefined. */
export function infoIn(l: Listing, uid: number): MessageInfo | undefined {
  const i = indexIn(l.uids, uid);
  return i < 0 ? undefined : infoAt(l, i);
}

/** Index of `uid` in an ascending list, or -1. */
export function indexIn(uids: readonly number[], uid: number): number {
  let lo = 0;
  let hi = uids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const u = uids[mid];
    if (u === uid) return mid;
    if (u < uid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Same message state (what a session reports: flags, size, MODSEQ). */
export function sameInfo(a: MessageInfo, b: MessageInfo): boolean {
  if (a === b) return true;
  if (a.uid !== b.uid || a.modseq !== b.modseq || a.size !== b.size || a.key !== b.key || a.flags.length !== b.flags.length) return false;
  for (let i = 0; i < a.flags.length; i++) if (a.flags[i] !== b.flags[i]) return false;
  return true;
}

/**
 * A listing of `fresh` (from the store) that reuses `prev`'s objects where nothing changed; `prev` itself when all
 * is equal. A first build's LazyInfos with nothing before is the listing as it is (no info made).
 */
export function mergeListing(prev: Listing | null, fresh: readonly MessageInfo[] | LazyInfos): Listing {
  if (!Array.isArray(fresh)) {
    const lazy = fresh as LazyInfos;
    if (!prev) return { uids: lazy.uids, infos: lazy };
    const all: MessageInfo[] = new Array(lazy.length);
    for (let i = 0; i < all.length; i++) all[i] = lazy.at(i);
    fresh = all;
  }
  const list = fresh as readonly MessageInfo[];
  if (prev && prev.infos.length === list.length) {
    let same = true;
    for (let i = 0; i < list.length && same; i++) same = sameInfo(infoAt(prev, i), list[i]);
    if (same) return prev;
  }
  const uids: number[] = new Array(list.length);
  const infos: MessageInfo[] = new Array(list.length);
  let j = 0;
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    uids[i] = m.uid;
    if (prev) {
      while (j < prev.uids.length && prev.uids[j] < m.uid) j++;
      const old = j < prev.uids.length && prev.uids[j] === m.uid ? infoAt(prev, j) : undefined;
      infos[i] = old && sameInfo(old, m) ? old : m;
    } else infos[i] = m;
  }
  return { uids, infos };
}

/** The shared state of one (store, owner, folder). */
export class SharedMailbox {
  private listing: Listing | null = null;
  /** The store changed since `listing` was made. */
  private stale = true;
  private inflight: Promise<Listing> | null = null;
  private readonly subscribers = new Set<() => void>();
  private unwatch: (() => void) | null = null;

  constructor(
    readonly store: MailboxStore,
    readonly owner: Owner,
    readonly folder: FolderName,
    private readonly onEmpty: (m: SharedMailbox) => void,
  ) {}

  get sessions(): number {
    return this.subscribers.size;
  }

  /** Be told of every change (from the store's watch); returns the release (the last one stops the watch). */
  subscribe(onChange: () => void): () => void {
    if (!this.unwatch) {
      this.unwatch = this.store.watch(this.owner, this.folder, () => {
        this.stale = true;
        for (const fn of [...this.subscribers]) fn();
      });
    }
    this.subscribers.add(onChange);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.subscribers.delete(onChange);
      if (!this.subscribers.size) {
        this.unwatch?.();
        this.unwatch = null;
        this.listing = null;
        this.stale = true;
        this.onEmpty(this);
      }
    };
  }

  /**
   * The listing as the store has it now: the shared one while nothing changed, else one store.list() for all
   * callers waiting at that moment. `fresh` lists again even when no change was seen (a SELECT: the store then
   * also picks up what other processes did without a notice); a listing that differs tells every subscriber.
   */
  async current(fresh = false): Promise<Listing> {
    if (fresh) {
      if (this.inflight) await this.inflight.catch(() => undefined);
      this.stale = true;
    }
    // a change seen while a list was under way makes that list's answer old: list again (a few times at most)
    for (let attempt = 0; ; attempt++) {
      if (this.inflight) {
        const l = await this.inflight;
        if (!this.stale || attempt >= 3) return l;
        continue;
      }
      if (!this.stale && this.listing) return this.listing;
      this.stale = false;
      const before = this.listing;
      // the listing is never changed: the store's own infos will do where it shares them (no copy per list)
      const p = (this.store.listShared ? this.store.listShared(this.owner, this.folder) : this.store.list(this.owner, this.folder)).then((list) => mergeListing(this.listing, list));
      this.inflight = p;
      let l: Listing;
      try {
        l = await p;
      } catch (e) {
        this.stale = true;
        throw e;
      } finally {
        this.inflight = null;
      }
      if (this.subscribers.size) this.listing = l;
      if (before && l !== before) for (const fn of [...this.subscribers]) fn();
      if (!this.stale || attempt >= 3) return l;
    }
  }
}

const registry = new WeakMap<MailboxStore, Map<string, SharedMailbox>>();

/** The shared state of a mailbox (made on first use, dropped when its last subscriber goes). */
export function sharedMailbox(store: MailboxStore, owner: Owner, folder: FolderName): SharedMailbox {
  let byKey = registry.get(store);
  if (!byKey) registry.set(store, (byKey = new Map()));
  const key = `${owner.toLowerCase()}\0${folder}`;
  let m = byKey.get(key);
  if (!m) {
    const map = byKey;
    m = new SharedMailbox(store, owner, folder, (gone) => {
      if (map.get(key) === gone) map.delete(key);
    });
    byKey.set(key, m);
  }
  return m;
}
