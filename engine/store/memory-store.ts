// An in-memory MailboxStore for protocol tests and benchmarks: same semantics as the Maildir store
// (UIDVALIDITY, ascending UIDs, flags, MODSEQ, watch), nothing on disk. It must never be used to keep real mail.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AppendOptions, FlagMode, FolderName, FolderStatus, MailboxStore, MessageHandle, MessageInfo, Owner } from './mailbox-store.js';
import type { Usage } from '../accounts/quota.js';

interface StoredMessage {
  info: MessageInfo;
  body: Buffer;
}

interface Folder {
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  messages: StoredMessage[];
}

interface Account {
  folders: Map<string, Folder>;
  subscribed: Set<string>;
}

let validityCounter = Math.floor(Date.now() / 1000);

export class MemoryStore implements MailboxStore {
  private accounts = new Map<string, Account>();
  private events = new EventEmitter();
  private keyCounter = 0;

  constructor() {
    this.events.setMaxListeners(0);
  }

  private account(owner: Owner): Account {
    const k = owner.toLowerCase();
    let a = this.accounts.get(k);
    if (!a) {
      a = { folders: new Map(), subscribed: new Set() };
      a.folders.set('INBOX', newFolder());
      this.accounts.set(k, a);
    }
    return a;
  }

  private folder(owner: Owner, name: FolderName): Folder {
    const f = this.account(owner).folders.get(norm(name));
    if (!f) throw new Error(`no such folder: ${name}`);
    return f;
  }

  private changed(owner: Owner, folder: FolderName): void {
    this.events.emit(`${owner.toLowerCase()}\0${norm(folder)}`);
  }

  async append(owner: Owner, folder: FolderName, message: Buffer, opts: AppendOptions = {}) {
    const f = this.folder(owner, folder || 'INBOX');
    if (opts.dedupKey && f.messages.some((m) => m.info.key.endsWith(`_${opts.dedupKey}`))) {
      const m = f.messages.find((x) => x.info.key.endsWith(`_${opts.dedupKey}`))!;
      return { uid: m.info.uid, uidValidity: f.uidValidity };
    }
    const uid = f.uidNext++;
    const info: MessageInfo = {
      uid,
      size: message.length,
      flags: uniqueFlags(opts.flags ?? []),
      internalDate: opts.internalDate ?? Date.now(),
      modseq: ++f.highestModseq,
      key: `mem${++this.keyCounter}${opts.dedupKey ? `_${opts.dedupKey}` : ''}`,
    };
    f.messages.push({ info, body: Buffer.from(message) });
    this.changed(owner, folder || 'INBOX');
    return { uid, uidValidity: f.uidValidity };
  }

  /** Staged files live in a private temp directory (the messages themselves stay in memory). */
  private stagingDir: string | null = null;
  private staged = 0;

  async stagingPath(_owner: Owner): Promise<string> {
    this.stagingDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-memstore-'));
    return path.join(this.stagingDir, `staged-${++this.staged}`);
  }

  async appendFile(owner: Owner, folder: FolderName, file: string, opts: Omit<AppendOptions, 'dedupKey'> = {}) {
    if (!this.stagingDir || path.dirname(path.resolve(file)) !== this.stagingDir) throw new Error('not a staged file of this store');
    const message = await fsp.readFile(file);
    await fsp.unlink(file);
    return this.append(owner, folder, message, opts);
  }

  async listFolders(owner: Owner): Promise<FolderName[]> {
    return [...this.account(owner).folders.keys()];
  }

  async createFolder(owner: Owner, folder: FolderName): Promise<void> {
    const a = this.account(owner);
    if (a.folders.has(norm(folder))) throw new Error(`folder exists: ${folder}`);
    a.folders.set(norm(folder), newFolder());
  }

  async deleteFolder(owner: Owner, folder: FolderName): Promise<void> {
    const a = this.account(owner);
    if (norm(folder) === 'INBOX') throw new Error('INBOX cannot be deleted');
    if (!a.folders.delete(norm(folder))) throw new Error(`no such folder: ${folder}`);
    a.subscribed.delete(norm(folder));
    this.changed(owner, folder);
  }

  async renameFolder(owner: Owner, from: FolderName, to: FolderName): Promise<void> {
    const a = this.account(owner);
    const src = norm(from);
    const dst = norm(to);
    if (!a.folders.has(src)) throw new Error(`no such folder: ${from}`);
    if (a.folders.has(dst)) throw new Error(`folder exists: ${to}`);
    if (src === 'INBOX') {
      // RFC 3501: renaming INBOX moves its messages to the new name and leaves INBOX empty
      const f = a.folders.get(src)!;
      a.folders.set(dst, { ...f, messages: f.messages, uidValidity: ++validityCounter });
      a.folders.set('INBOX', { ...newFolder(), uidNext: f.uidNext });
      this.changed(owner, 'INBOX');
      return;
    }
    for (const [name, f] of [...a.folders]) {
      if (name === src || name.startsWith(src + '/')) {
        a.folders.delete(name);
        a.folders.set(dst + name.slice(src.length), { ...f, uidValidity: ++validityCounter });
      }
    }
    this.changed(owner, from);
  }

  async subscriptions(owner: Owner): Promise<FolderName[]> {
    return [...this.account(owner).subscribed];
  }

  async setSubscribed(owner: Owner, folder: FolderName, subscribed: boolean): Promise<void> {
    const a = this.account(owner);
    if (subscribed) a.subscribed.add(norm(folder));
    else a.subscribed.delete(norm(folder));
  }

  async status(owner: Owner, folder: FolderName): Promise<FolderStatus> {
    const f = this.folder(owner, folder);
    return {
      uidValidity: f.uidValidity,
      uidNext: f.uidNext,
      messages: f.messages.length,
      unseen: f.messages.filter((m) => !m.info.flags.includes('\\Seen')).length,
      highestModseq: f.highestModseq,
    };
  }

  async list(owner: Owner, folder: FolderName): Promise<MessageInfo[]> {
    return this.folder(owner, folder).messages.map((m) => ({ ...m.info, flags: [...m.info.flags] }));
  }

  async read(owner: Owner, folder: FolderName, uid: number): Promise<Buffer> {
    const m = this.folder(owner, folder).messages.find((x) => x.info.uid === uid);
    if (!m) throw new Error(`no such message: ${uid}`);
    return m.body;
  }

  async open(owner: Owner, folder: FolderName, uid: number): Promise<MessageHandle> {
    const body = await this.read(owner, folder, uid);
    return {
      size: body.length,
      read: async (position, length) => Buffer.from(body.subarray(position, position + length)),
      close: async () => {},
    };
  }

  async updateFlags(owner: Owner, folder: FolderName, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number) {
    const f = this.folder(owner, folder);
    const want = new Set(uids);
    const updated: MessageInfo[] = [];
    const failed: number[] = [];
    for (const m of f.messages) {
      if (!want.has(m.info.uid)) continue;
      if (unchangedSince !== undefined && m.info.modseq > unchangedSince) {
        failed.push(m.info.uid);
        continue;
      }
      const before = m.info.flags.join(' ');
      let next: string[];
      if (mode === 'replace') next = uniqueFlags(flags);
      else if (mode === 'add') next = uniqueFlags([...m.info.flags, ...flags]);
      else {
        const drop = new Set(flags.map((x) => x.toLowerCase()));
        next = m.info.flags.filter((x) => !drop.has(x.toLowerCase()));
      }
      if (next.join(' ') !== before) {
        m.info.flags = next;
        m.info.modseq = ++f.highestModseq;
      }
      updated.push({ ...m.info, flags: [...m.info.flags] });
    }
    if (updated.length) this.changed(owner, folder);
    return { updated, failed };
  }

  async expunge(owner: Owner, folder: FolderName, uids: number[]): Promise<void> {
    const f = this.folder(owner, folder);
    const drop = new Set(uids);
    const before = f.messages.length;
    f.messages = f.messages.filter((m) => !drop.has(m.info.uid));
    if (f.messages.length !== before) {
      f.highestModseq++;
      this.changed(owner, folder);
    }
  }

  async copy(owner: Owner, from: FolderName, uids: number[], to: FolderName) {
    const src = this.folder(owner, from);
    const dst = this.folder(owner, to);
    const want = new Set(uids);
    const mapping: [number, number][] = [];
    for (const m of src.messages) {
      if (!want.has(m.info.uid)) continue;
      const uid = dst.uidNext++;
      dst.messages.push({
        info: { ...m.info, uid, flags: [...m.info.flags], modseq: ++dst.highestModseq, key: `mem${++this.keyCounter}` },
        body: m.body,
      });
      mapping.push([m.info.uid, uid]);
    }
    if (mapping.length) this.changed(owner, to);
    return { uidValidity: dst.uidValidity, mapping };
  }

  /** Remove the staging directory (tests). */
  async close(): Promise<void> {
    if (this.stagingDir) fs.rmSync(this.stagingDir, { recursive: true, force: true });
    this.stagingDir = null;
  }

  watch(owner: Owner, folder: FolderName, onChange: () => void): () => void {
    const key = `${owner.toLowerCase()}\0${norm(folder)}`;
    this.events.on(key, onChange);
    return () => this.events.off(key, onChange);
  }

  async usage(owner: Owner): Promise<Usage> {
    let bytes = 0;
    let messages = 0;
    for (const f of this.account(owner).folders.values()) {
      for (const m of f.messages) {
        bytes += m.info.size;
        messages++;
      }
    }
    return { bytes, messages };
  }
}

function newFolder(): Folder {
  return { uidValidity: ++validityCounter, uidNext: 1, highestModseq: 1, messages: [] };
}

function norm(folder: FolderName): string {
  return folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder;
}

function uniqueFlags(flags: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of flags) {
    const k = f.toLowerCase();
    if (k === '\\recent' || seen.has(k)) continue;
    seen.add(k);
    out.push(f);
  }
  return out;
}
