// Orphaned mailboxes (FEATURES A4): a deleted account's mail folder is moved, whole (Maildir++ folders and
// the mailbox index with its UIDVALIDITYs), to <data_dir>/orphans/<id>/mail with a small meta.json, so an
// account made later under the same address starts empty. Orphans are listed and removed by the operator.
// It never deletes mail except on an explicit remove, and never reads a message's content.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { maildirRoot } from './maildir.js';
import { fsyncDir } from '../util/durable-file.js';

export interface Orphan {
  id: string;
  /** The account the folder belonged to. */
  address: string;
  /** ISO time of the deletion. */
  deleted_at: string;
  /** Message files in every folder (new/ and cur/) and their size in bytes, counted now. */
  messages: number;
  bytes: number;
}

/** Orphan ids: the deletion time and a random part; safe as a file name and a CLI argument. */
export const ORPHAN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{8}$/;
const META = 'meta.json';
const MAIL = 'mail';

const metaSchema = z.looseObject({ address: z.string(), deleted_at: z.string() });

export function orphansDir(dataDir: string): string {
  return path.join(dataDir, 'orphans');
}

/**
 * Move `address`'s mail folder (<data_dir>/mail/<domain>/<local>) aside; returns the orphan id, or null
 * when the account never had one. Synchronous, so the account directory can run it inside the transaction
 * that deletes the account: if the move fails, the account stays.
 */
export function orphanMailbox(dataDir: string, address: string, now = new Date()): string | null {
  const userDir = path.dirname(maildirRoot(dataDir, address));
  if (!fs.existsSync(userDir)) return null;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const id = `${stamp}-${crypto.randomBytes(4).toString('hex')}`;
  const dir = path.join(orphansDir(dataDir), id);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const meta = JSON.stringify({ address: address.toLowerCase(), deleted_at: now.toISOString() }) + '\n';
  const fd = fs.openSync(path.join(dir, META), 'wx', 0o600);
  try {
    fs.writeSync(fd, meta);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(userDir, path.join(dir, MAIL));
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  fsyncDir(dir);
  fsyncDir(path.dirname(userDir));
  return id;
}

/** Message files and bytes under a Maildir++ tree (new/ and cur/ of the root and of each .Folder). */
function count(maildir: string): { messages: number; bytes: number } {
  let messages = 0;
  let bytes = 0;
  const folders = [maildir];
  try {
    for (const d of fs.readdirSync(maildir, { withFileTypes: true })) if (d.isDirectory() && d.name.startsWith('.')) folders.push(path.join(maildir, d.name));
  } catch {
    return { messages, bytes };
  }
  for (const f of folders) {
    for (const sub of ['new', 'cur']) {
      let names: fs.Dirent[];
      try {
        names = fs.readdirSync(path.join(f, sub), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const n of names) {
        if (!n.isFile()) continue;
        try {
          bytes += fs.statSync(path.join(f, sub, n.name)).size;
          messages++;
        } catch {
          // removed meanwhile
        }
      }
    }
  }
  return { messages, bytes };
}

/** Every orphan, oldest first; a damaged meta.json shows as address "(unknown)" rather than hiding the mail. */
export function listOrphans(dataDir: string): Orphan[] {
  let ids: string[];
  try {
    ids = fs.readdirSync(orphansDir(dataDir)).filter((n) => ORPHAN_ID.test(n)).sort();
  } catch {
    return [];
  }
  return ids.map((id) => {
    const dir = path.join(orphansDir(dataDir), id);
    let address = '(unknown)';
    let deletedAt = '';
    try {
      const m = metaSchema.safeParse(JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')));
      if (m.success) {
        address = m.data.address;
        deletedAt = m.data.deleted_at;
      }
    } catch {
      // no or unreadable meta.json: still listed, so it can be found and removed
    }
    if (!deletedAt) deletedAt = fs.statSync(dir).mtime.toISOString();
    return { id, address, deleted_at: deletedAt, ...count(path.join(dir, MAIL, 'Maildir')) };
  });
}

/** Delete one orphan and its mail for good; false when there is no orphan with that id. */
export function removeOrphan(dataDir: string, id: string): boolean {
  if (!ORPHAN_ID.test(id)) return false;
  const dir = path.join(orphansDir(dataDir), id);
  if (!fs.existsSync(dir)) return false;
  fs.rmSync(dir, { recursive: true });
  fsyncDir(orphansDir(dataDir));
  return true;
}
