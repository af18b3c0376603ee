// COPY out of a list archive (another store than the user's, list-archives.ts) into one of the user's own
// folders: each message is read from the archive in pieces into a file in the user's staging area and moved
// in with its flags and INTERNALDATE, never held whole in memory. It never writes to the archive.
import fsp from 'node:fs/promises';
import type { MailboxStore } from '../store/mailbox-store.js';
import type { MailboxView } from './mailbox-view.js';

const CHUNK = 64 * 1024;

/** Copy `uids` of the view into the owner's folder `to`; returns the COPYUID mapping (messages gone meanwhile are skipped). */
export async function copyAcrossStores(
  view: MailboxView, uids: number[], into: MailboxStore, owner: string, to: string,
): Promise<{ uidValidity: number; mapping: [number, number][] }> {
  const mapping: [number, number][] = [];
  let uidValidity = (await into.status(owner, to)).uidValidity;
  for (const uid of uids) {
    const info = view.infoOf(uid);
    if (!info) continue;
    let handle;
    try {
      handle = await view.store.open(view.owner, view.folder, uid);
    } catch {
      continue; // no longer in the archive
    }
    const file = await into.stagingPath(owner);
    try {
      const out = await fsp.open(file, 'wx', 0o600);
      try {
        for (let pos = 0; pos < handle.size; pos += CHUNK) {
          const chunk = await handle.read(pos, Math.min(CHUNK, handle.size - pos));
          if (!chunk.length) break;
          await out.write(chunk);
        }
      } finally {
        await out.close();
      }
      const flags = info.flags.filter((f) => f !== '\\Recent');
      const r = await into.appendFile(owner, to, file, { flags, internalDate: info.internalDate });
      uidValidity = r.uidValidity;
      mapping.push([uid, r.uid]);
    } finally {
      await handle.close();
      await fsp.rm(file, { force: true }); // moved in already, or left over from a failure
    }
  }
  return { uidValidity, mapping };
}
