// The selected mailbox as one session sees it: sequence numbers ↔ UIDs, flags, \Recent, and the untagged
// EXISTS / EXPUNGE / FETCH updates that bring the session's view up to date with the store.
// Sequence numbers change only when the client is told (an EXPUNGE response); it never writes to the store.
import type { FolderName, MailboxStore, MessageInfo, Owner } from '../store/mailbox-store.js';
import { flagList } from './protocol/response.js';
import { resolveSeq, resolveUid, type SeqRange } from './protocol/sequence.js';
import { isUnavailable } from '../store/store-error.js';

/** Which UIDs some session has already seen as \Recent, per store and folder (one process). */
const recentClaims = new WeakMap<MailboxStore, Map<string, number>>();

function claimRecent(store: MailboxStore, key: string, uids: number[]): Set<number> {
  let m = recentClaims.get(store);
  if (!m) {
    m = new Map();
    recentClaims.set(store, m);
  }
  const seen = m.get(key) ?? 0;
  const out = new Set<number>();
  let max = seen;
  for (const u of uids) {
    if (u > seen) out.add(u);
    if (u > max) max = u;
  }
  m.set(key, max);
  return out;
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
  uids: number[] = [];
  info = new Map<number, MessageInfo>();
  recent = new Set<number>();
  dirty = false;
  private unwatch: () => void = () => {};
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
  ) {}

  static async open(
    store: MailboxStore, owner: Owner, folder: FolderName, readOnly: boolean, onChange: () => void, shared?: { name: string },
  ): Promise<MailboxView> {
    const st = await store.status(owner, folder);
    const v = new MailboxView(store, owner, folder, readOnly || !!shared, st.uidValidity, st.uidNext, st.highestModseq, shared?.name ?? folder, !!shared);
    v.unwatch = store.watch(owner, folder, () => {
      v.dirty = true;
      onChange();
    });
    const list = await store.list(owner, folder);
    for (const m of list) {
      v.uids.push(m.uid);
      v.info.set(m.uid, m);
    }
    if (!readOnly) v.recent = claimRecent(store, v.claimKey(), v.uids);
    v.lastExists = v.uids.length;
    v.lastRecent = v.recent.size;
    if (list.length) v.uidNext = Math.max(v.uidNext, list[list.length - 1].uid + 1);
    return v;
  }

  private claimKey(): string {
    return `${this.owner.toLowerCase()}\0${this.folder}\0${this.uidValidity}`;
  }

  close(): void {
    this.unwatch();
  }

  get exists(): number {
    return this.uids.length;
  }

  /** 1-based sequence number of a UID, or 0. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.uids[mid];
      if (u === uid) return mid + 1;
      if (u < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /** Sequence numbers a set names (as sequence numbers, or as UIDs for UID commands). */
  resolve(ranges: SeqRange[], uid: boolean): number[] {
    return uid ? resolveUid(ranges, this.uids) : resolveSeq(ranges, this.uids.length);
  }

  /** Record flags the session itself just changed, so no update is echoed for them. */
  applyUpdated(infos: MessageInfo[]): void {
    for (const m of infos) if (this.info.has(m.uid)) this.info.set(m.uid, m);
    for (const m of infos) if (m.modseq > this.highestModseq) this.highestModseq = m.modseq;
  }

  /** Remove UIDs the session itself expunged; returns their sequence numbers in the order to announce them. */
  removeUids(uids: number[]): number[] {
    const gone = new Set(uids);
    const seqs: number[] = [];
    // announce from the highest sequence number down, so each number stays valid as it is sent
    for (let i = this.uids.length - 1; i >= 0; i--) if (gone.has(this.uids[i])) seqs.push(i + 1);
    this.uids = this.uids.filter((u) => !gone.has(u));
    for (const u of gone) {
      this.info.delete(u);
      this.recent.delete(u);
    }
    this.lastExists = this.uids.length;
    this.lastRecent = this.recent.size;
    return seqs;
  }

  /** Bring the view up to date; returns the untagged lines to send. */
  async update(opts: UpdateOptions): Promise<string[]> {
    if (!this.dirty) return [];
    this.dirty = false;
    let current: MessageInfo[];
    try {
      current = await this.store.list(this.owner, this.folder);
    } catch (e) {
      if (isUnavailable(e)) this.dirty = true; // the store is away: look again with the next command or notice
      return []; // the folder vanished (deleted elsewhere): keep the view; commands on it will fail
    }
    const lines: string[] = [];
    const now = new Map<number, MessageInfo>();
    for (const m of current) now.set(m.uid, m);
    const gone = this.uids.filter((u) => !now.has(u));
    if (gone.length) {
      if (opts.allowExpunge) {
        for (const seq of this.removeUids(gone)) lines.push(`* ${seq} EXPUNGE`);
      } else {
        this.dirty = true; // tell later, when EXPUNGE responses are allowed
      }
    }
    for (let i = 0; i < this.uids.length; i++) {
      const uid = this.uids[i];
      const before = this.info.get(uid);
      const after = now.get(uid);
      if (!before || !after) continue;
      if (before.flags.join(' ') !== after.flags.join(' ') || (opts.withModseq && before.modseq !== after.modseq)) {
        this.info.set(uid, after);
        const items = [`FLAGS ${flagList(this.flagsWithRecent(after))}`];
        if (opts.withUid) items.push(`UID ${uid}`);
        if (opts.withModseq) items.push(`MODSEQ (${after.modseq})`);
        lines.push(`* ${i + 1} FETCH (${items.join(' ')})`);
      }
      if (after.modseq > this.highestModseq) this.highestModseq = after.modseq;
    }
    const last = this.uids.length ? this.uids[this.uids.length - 1] : 0;
    const added = current.filter((m) => m.uid > last && !this.info.has(m.uid));
    if (added.length) {
      for (const m of added) {
        this.uids.push(m.uid);
        this.info.set(m.uid, m);
        if (m.uid >= this.uidNext) this.uidNext = m.uid + 1;
        if (m.modseq > this.highestModseq) this.highestModseq = m.modseq;
      }
      if (!this.readOnly) for (const u of claimRecent(this.store, this.claimKey(), added.map((m) => m.uid))) this.recent.add(u);
    }
    if (this.uids.length !== this.lastExists || added.length) {
      lines.push(`* ${this.uids.length} EXISTS`);
      this.lastExists = this.uids.length;
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
