// The selected mailbox as one session sees it: sequence numbers ↔ UIDs, flags, \Recent, and the untagged
// EXISTS / EXPUNGE / FETCH updates that bring the session's view up to date with the store.
// Sequence numbers change only when the client is told (an EXPUNGE response); it never writes to the store.
// The message list itself is the mailbox's shared one (shared-listing.ts); a session copies it only while its
// view must differ (an EXPUNGE not yet announced), and keeps its own flag changes in a small map until then.
import type { FolderName, LazyInfos, MailboxStore, MessageInfo, Owner } from '../store/mailbox-store.js';
import { flagList } from './protocol/response.js';
import { resolveSeq, resolveUid, type SeqRange } from './protocol/sequence.js';
import { isUnavailable } from '../store/store-error.js';
import { EMPTY_LISTING, flagsAt, indexIn, infoAt, infoIn, sharedMailbox, type Listing, type SharedMailbox } from './shared-listing.js';

/** Which UIDs some session has already seen as \Recent, per store and folder (one process). */
const recentClaims = new WeakMap<MailboxStore, Map<string, number>>();

/** Claim the UIDs above the highest any session claimed before (ascending `uids`); returns that highest. */
function claimRecent(store: MailboxStore, key: string, uids: readonly number[]): number {
  let m = recentClaims.get(store);
  if (!m) {
    m = new Map();
    recentClaims.set(store, m);
  }
  const seen = m.get(key) ?? 0;
  if (uids.length && uids[uids.length - 1] > seen) m.set(key, uids[uids.length - 1]);
  return seen;
}

/**
 * The UIDs a session reports \Recent: those of its first listing above what other sessions had claimed (a range,
 * however large the mailbox), less those that left its view since, plus later arrivals it claimed one by one.
 */
class RecentUids {
  /** The first listing's claim: its UIDs in (above, last], `inRange` of them. */
  private above = 0;
  private last = 0;
  private inRange = 0;
  private readonly gone = new Set<number>();
  private readonly extra = new Set<number>();

  /** The first listing's claim: its UIDs above `seen` (ascending `uids`). */
  claimFirst(uids: readonly number[], seen: number): void {
    // the first UID above `seen` (binary search: a first SELECT claims thousands)
    let i = 0;
    let hi = uids.length;
    while (i < hi) {
      const mid = (i + hi) >> 1;
      if (uids[mid] > seen) hi = mid;
      else i = mid + 1;
    }
    this.above = seen;
    this.last = uids.length ? uids[uids.length - 1] : 0;
    this.inRange = uids.length - i;
  }

  get size(): number {
    return this.inRange - this.gone.size + this.extra.size;
  }

  /** Is this UID of the session's view recent? */
  has(uid: number): boolean {
    return this.extra.has(uid) || (uid > this.above && uid <= this.last && !this.gone.has(uid));
  }

  add(uid: number): void {
    if (!this.has(uid)) this.extra.add(uid);
  }

  /** A UID of the session's view left it (expunged). */
  delete(uid: number): void {
    if (this.extra.delete(uid)) return;
    if (uid > this.above && uid <= this.last) this.gone.add(uid);
  }
}

/** How many of these UIDs no session has seen as \Recent yet (STATUS RECENT), without claiming them. */
export function countUnclaimedRecent(store: MailboxStore, owner: Owner, folder: FolderName, uidValidity: number, uids: number[]): number {
  const seen = recentClaims.get(store)?.get(`${owner.toLowerCase()}\0${folder}\0${uidValidity}`) ?? 0;
  return uids.filter((u) => u > seen).length;
}

export interface UpdateOptions {
  /** May EXPUNGE responses be sent now? */
  allowExpunge: boolean;
  /** Include UID in unsolicited FETCH (during UID commands). */
  withUid: boolean;
  /** Include MODSEQ (CONDSTORE enabled). */
  withModseq: boolean;
}

export class MailboxView {
  /** The messages as this session knows them: the mailbox's shared listing, or a private copy while they differ. */
  private listing: Listing = EMPTY_LISTING;
  /** Flags this session itself just changed (STORE, FETCH setting \Seen) and the shared listing may not show yet. */
  private own: Map<number, MessageInfo> | null = null;
  recent = new RecentUids();
  dirty = false;
  private release: () => void = () => {};
  private lastExists = 0;
  private lastRecent = 0;

  private constructor(
    readonly store: MailboxStore,
    readonly owner: Owner,
    readonly folder: FolderName,
    readonly readOnly: boolean,
    public uidValidity: number,
    public uidNext: number,
    public highestModseq: number,
    /** The name the client selected (a shared "#lists/..." name differs from the store's folder). */
    readonly name: string,
    /** A shared folder (a list archive, list-archives.ts): another store than the user's, read only. */
    readonly shared: boolean,
    private readonly mailbox: SharedMailbox,
  ) {}

  static async open(
    store: MailboxStore, owner: Owner, folder: FolderName, readOnly: boolean, onChange: () => void, shared?: { name: string },
  ): Promise<MailboxView> {
    const st = await store.status(owner, folder);
    const mailbox = sharedMailbox(store, owner, folder);
    const v = new MailboxView(store, owner, folder, readOnly || !!shared, st.uidValidity, st.uidNext, st.highestModseq, shared?.name ?? folder, !!shared, mailbox);
    v.release = mailbox.subscribe(() => {
      v.dirty = true;
      onChange();
    });
    try {
      v.listing = await mailbox.current(true);
    } catch (e) {
      v.release();
      throw e;
    }
    v.dirty = false;
    const uids = v.listing.uids;
    if (!readOnly) v.recent.claimFirst(uids, claimRecent(store, v.claimKey(), uids));
    v.lastExists = uids.length;
    v.lastRecent = v.recent.size;
    if (uids.length) v.uidNext = Math.max(v.uidNext, uids[uids.length - 1] + 1);
    return v;
  }

  private claimKey(): string {
    return `${this.owner.toLowerCase()}\0${this.folder}\0${this.uidValidity}`;
  }

  close(): void {
    this.release();
  }

  /** UIDs in sequence-number order (index + 1 is the sequence number); read only. */
  get uids(): readonly number[] {
    return this.listing.uids;
  }

  /** The listing this session sees (shared with the other sessions of the mailbox while it is up to date). */
  get view(): Listing {
    return this.listing;
  }

  get exists(): number {
    return this.listing.uids.length;
  }

  /** What this session knows of a message: its own latest change, else the listing's; undefined when not in the view. */
  infoOf(uid: number): MessageInfo | undefined {
    return this.own?.get(uid) ?? infoIn(this.listing, uid);
  }

  /** What this session knows of the message with sequence number `seq` (1-based; in range). */
  infoAt(seq: number): MessageInfo {
    const info = infoAt(this.listing, seq - 1);
    return this.own?.get(info.uid) ?? info;
  }

  /**
   * What SELECT reports of the flags: the keywords in use and the first sequence number without \Seen (0: none).
   * Messages of a large mailbox share a few flags arrays (the store's): each array is read once, and the
   * listing's infos are walked directly while this session changed no flags of its own.
   */
  flagSummary(): { keywords: Set<string>; firstUnseen: number } {
    const keywords = new Set<string>();
    let firstUnseen = 0;
    const read = new Set<readonly string[]>();
    const l = this.listing;
    // a first build's listing, unchanged by this session: its summary was made with it (no keywords)
    const plain = this.own || Array.isArray(l.infos) ? undefined : (l.infos as LazyInfos).firstUnseenPlain;
    if (plain !== undefined) return { keywords, firstUnseen: plain };
    let last: readonly string[] | null = null;
    for (let i = 0; i < l.uids.length; i++) {
      const flags = this.own ? this.infoAt(i + 1).flags : flagsAt(l, i);
      if (flags === last || read.has(flags)) continue;
      last = flags;
      read.add(flags);
      for (const f of flags) if (!f.startsWith('\\')) keywords.add(f);
      if (!firstUnseen && !flags.includes('\\Seen')) firstUnseen = i + 1;
    }
    return { keywords, firstUnseen };
  }

  /** 1-based sequence number of a UID, or 0. */
  seqOf(uid: number): number {
    return indexIn(this.listing.uids, uid) + 1;
  }

  /** Sequence numbers a set names (as sequence numbers, or as UIDs for UID commands). */
  resolve(ranges: SeqRange[], uid: boolean): number[] {
    return uid ? resolveUid(ranges, this.listing.uids) : resolveSeq(ranges, this.listing.uids.length);
  }

  /** Record flags the session itself just changed, so no update is echoed for them. */
  applyUpdated(infos: MessageInfo[]): void {
    for (const m of infos) {
      if (indexIn(this.listing.uids, m.uid) >= 0) (this.own ??= new Map()).set(m.uid, m);
      if (m.modseq > this.highestModseq) this.highestModseq = m.modseq;
    }
  }

  /** Remove UIDs the session itself expunged; returns their sequence numbers in the order to announce them. */
  removeUids(uids: number[]): number[] {
    const gone = new Set(uids);
    const seqs: number[] = [];
    const l = this.listing;
    const all = l.uids;
    // announce from the highest sequence number down, so each number stays valid as it is sent
    for (let i = all.length - 1; i >= 0; i--) if (gone.has(all[i])) seqs.push(i + 1);
    if (seqs.length) {
      const keep: number[] = [];
      const keepInfos: MessageInfo[] = [];
      for (let i = 0; i < all.length; i++) {
        if (gone.has(all[i])) continue;
        keep.push(all[i]);
        keepInfos.push(infoAt(l, i));
      }
      this.listing = { uids: keep, infos: keepInfos }; // a private copy until the next update meets the shared one
    }
    for (let i = all.length - 1; i >= 0; i--) if (gone.has(all[i])) this.recent.delete(all[i]);
    for (const u of gone) this.own?.delete(u);
    this.lastExists = this.listing.uids.length;
    this.lastRecent = this.recent.size;
    return seqs;
  }

  /** Bring the view up to date; returns the untagged lines to send. */
  async update(opts: UpdateOptions): Promise<string[]> {
    if (!this.dirty) return [];
    this.dirty = false;
    let now: Listing;
    try {
      now = await this.mailbox.current();
    } catch (e) {
      if (isUnavailable(e)) this.dirty = true; // the store is away: look again with the next command or notice
      return []; // the folder vanished (deleted elsewhere): keep the view; commands on it will fail
    }
    const lines: string[] = [];
    const mine = this.listing;
    // gone: in this session's view, not in the store's
    const gone: number[] = [];
    for (let i = 0, j = 0; i < mine.uids.length; i++) {
      const u = mine.uids[i];
      while (j < now.uids.length && now.uids[j] < u) j++;
      if (j >= now.uids.length || now.uids[j] !== u) gone.push(u);
    }
    let keepGone = false;
    if (gone.length) {
      if (opts.allowExpunge) {
        for (const seq of this.removeUids(gone)) lines.push(`* ${seq} EXPUNGE`);
      } else {
        keepGone = true;
        this.dirty = true; // tell later, when EXPUNGE responses are allowed
      }
    }
    // flag changes of the messages both know, in this session's sequence numbers
    const view = this.listing;
    for (let i = 0, j = 0; i < view.uids.length; i++) {
      const uid = view.uids[i];
      while (j < now.uids.length && now.uids[j] < uid) j++;
      if (j >= now.uids.length || now.uids[j] !== uid) continue;
      const before = this.own?.get(uid) ?? infoAt(view, i);
      const after = infoAt(now, j);
      // a size corrected by the store (a lying ",S=" found out when the file was read): told once, as Dovecot
      // reports the real size once its cached one proved wrong (docs/imap.md, "Message sizes")
      const resized = before !== after && before.size !== after.size;
      if (before !== after && (resized || !sameFlags(before.flags, after.flags) || (opts.withModseq && before.modseq !== after.modseq))) {
        const items = [`FLAGS ${flagList(this.flagsWithRecent(after))}`];
        if (resized) items.push(`RFC822.SIZE ${after.size}`);
        if (opts.withUid) items.push(`UID ${uid}`);
        if (opts.withModseq) items.push(`MODSEQ (${after.modseq})`);
        lines.push(`* ${i + 1} FETCH (${items.join(' ')})`);
      }
      if (after.modseq > this.highestModseq) this.highestModseq = after.modseq;
    }
    const last = view.uids.length ? view.uids[view.uids.length - 1] : 0;
    const added: number[] = [];
    for (let j = now.uids.length - 1; j >= 0 && now.uids[j] > last; j--) added.push(now.uids[j]);
    added.reverse();
    for (const uid of added) {
      const m = infoAt(now, indexIn(now.uids, uid));
      if (uid >= this.uidNext) this.uidNext = uid + 1;
      if (m.modseq > this.highestModseq) this.highestModseq = m.modseq;
    }
    if (added.length && !this.readOnly) {
      const seen = claimRecent(this.store, this.claimKey(), added);
      for (const u of added) if (u > seen) this.recent.add(u);
    }
    this.own = null;
    // the shared listing from now on; while an EXPUNGE waits, a private one that still has the expunged messages
    this.listing = keepGone ? withKept(now, view, gone) : now;
    if (this.listing.uids.length !== this.lastExists || added.length) {
      lines.push(`* ${this.listing.uids.length} EXISTS`);
      this.lastExists = this.listing.uids.length;
    }
    if (this.recent.size !== this.lastRecent || added.length) {
      lines.push(`* ${this.recent.size} RECENT`);
      this.lastRecent = this.recent.size;
    }
    return lines;
  }

  flagsWithRecent(m: MessageInfo): string[] {
    return this.recent.has(m.uid) ? [...m.flags, '\\Recent'] : m.flags;
  }

  /** After APPEND/COPY into this very folder by the session itself, the next update shows it. */
  markDirty(): void {
    this.dirty = true;
  }
}

function sameFlags(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `now` plus the messages of `old` whose UIDs are in `kept` (expunged, not yet announced), in UID order. */
function withKept(now: Listing, old: Listing, kept: number[]): Listing {
  const extra = new Set(kept);
  const uids: number[] = [];
  const infos: MessageInfo[] = [];
  let j = 0;
  for (let i = 0; i < old.uids.length; i++) {
    const u = old.uids[i];
    if (!extra.has(u)) continue;
    while (j < now.uids.length && now.uids[j] < u) {
      uids.push(now.uids[j]);
      infos.push(infoAt(now, j));
      j++;
    }
    uids.push(u);
    infos.push(infoAt(old, i));
  }
  for (; j < now.uids.length; j++) {
    uids.push(now.uids[j]);
    infos.push(infoAt(now, j));
  }
  return { uids, infos };
}
