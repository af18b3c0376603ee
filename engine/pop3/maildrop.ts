// A POP3 session's view of the user's INBOX (RFC 1939): a numbered snapshot taken at login, deletion marks
// that only the UPDATE state commits, and the messages retrieved (they get \Seen). Messages another client
// marked \Deleted (IMAP) are not shown. One session per maildrop at a time in this process (RFC 1939 §8's exclusive lock). No socket I/O here.
import crypto from 'node:crypto';
import type { MailboxStore, MessageInfo } from '../store/mailbox-store.js';

export interface DropMessage {
  uid: number;
  size: number;
  uidl: string;
  deleted: boolean;
}

/** Owners whose maildrop a session holds → wake-ups for sessions waiting for it. */
const locked = new Map<string, (() => void)[]>();
/** How long a login waits for a previous session of the same user to finish (a client reconnecting fast). */
const LOCK_WAIT_MS = 2000;

async function acquire(key: string): Promise<boolean> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  while (locked.has(key)) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      locked.get(key)!.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  locked.set(key, []);
  return true;
}

function releaseLock(key: string): void {
  const waiters = locked.get(key) ?? [];
  locked.delete(key);
  for (const w of waiters) w();
}

/** The RFC 1939 unique-id: the Maildir base name when it fits (1–70 printable octets), else a digest of it. */
export function uidlOf(info: MessageInfo): string {
  return printable(info.key) ? info.key : crypto.createHash('md5').update(info.key).digest('hex');
}

/** 1–70 characters, each 0x21–0x7e (what /^[\x21-\x7e]{1,70}$/ says, without a regular expression per message). */
function printable(key: string): boolean {
  const n = key.length;
  if (n < 1 || n > 70) return false;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export class Maildrop {
  private retrieved = new Set<number>();
  private released = false;

  private constructor(
    private readonly store: MailboxStore,
    readonly owner: string,
    readonly messages: DropMessage[],
  ) {}

  /** Lock and load the owner's maildrop; null when another session holds it. */
  static async open(store: MailboxStore, owner: string): Promise<Maildrop | null> {
    const key = owner.toLowerCase();
    if (!(await acquire(key))) return null;
    try {
      // only read here: the store's own infos where it shares them (no copy of each per login)
      const list = store.listShared ? await store.listShared(owner, 'INBOX') : await store.list(owner, 'INBOX');
      const msgs: DropMessage[] = [];
      // an array, or a first build's lazy listing (engine/store/maildir-users.ts): both index by at(i)
      for (let i = 0; i < list.length; i++) {
        const m = list.at(i)!;
        if (!m.flags.includes('\\Deleted')) msgs.push({ uid: m.uid, size: m.size, uidl: uidlOf(m), deleted: false });
      }
      return new Maildrop(store, owner, msgs);
    } catch (e) {
      releaseLock(key);
      throw e;
    }
  }

  /** Message by its 1-based number, unless it is out of range or marked deleted. */
  get(n: number): DropMessage | undefined {
    const m = this.messages[n - 1];
    return m && !m.deleted ? m : undefined;
  }

  exists(n: number): boolean {
    return n >= 1 && n <= this.messages.length;
  }

  stat(): { count: number; size: number } {
    let count = 0;
    let size = 0;
    for (const m of this.messages) {
      if (m.deleted) continue;
      count++;
      size += m.size;
    }
    return { count, size };
  }

  read(m: DropMessage): Promise<Buffer> {
    return this.store.read(this.owner, 'INBOX', m.uid);
  }

  /** The message read synchronously into buf at `at` when the store can (MailboxStore.readInto); else null: use read(). */
  readInto(m: DropMessage, buf: Buffer, at: number): number | null {
    return this.store.readInto ? this.store.readInto(this.owner, 'INBOX', m.uid, buf, at) : null;
  }

  markRetrieved(m: DropMessage): void {
    this.retrieved.add(m.uid);
  }

  reset(): void {
    for (const m of this.messages) m.deleted = false;
  }

  /** UPDATE state: \Seen on what was retrieved, then remove what was deleted. Returns how many were removed. */
  async commit(): Promise<number> {
    await this.flushSeen();
    const del = this.messages.filter((m) => m.deleted).map((m) => m.uid);
    if (del.length) await this.store.expunge(this.owner, 'INBOX', del);
    return del.length;
  }

  /** Retrieved messages get \Seen even when the session ends without QUIT (RFC 1939 leaves that open). */
  async flushSeen(): Promise<void> {
    const deleted = new Set(this.messages.filter((m) => m.deleted).map((m) => m.uid));
    const uids = [...this.retrieved].filter((uid) => !deleted.has(uid));
    this.retrieved.clear();
    if (uids.length) await this.store.updateFlags(this.owner, 'INBOX', uids, 'add', ['\\Seen']);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    releaseLock(this.owner.toLowerCase());
  }
}
