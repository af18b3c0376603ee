// COPY and UID COPY (RFC 3501 §6.4.7, UIDPLUS's COPYUID): copies messages with their flags into another
// folder; a missing target answers NO [TRYCREATE]. Copying into Spam teaches the spam filter. Out of a list
// archive (copy-out.ts) into the user's folders works; into a list archive is refused (NOPERM).
import { SELECTED, no, ok, sharedRefusal, type CommandDef, type Result } from '../command.js';
import { copyAcrossStores } from '../copy-out.js';
import { isSharedName } from '../list-archives.js';
import { findMailbox } from '../mailbox-ref.js';
import { formatSet, type SeqRange } from '../protocol/sequence.js';
import type { Session } from '../session.js';
import { learnFrom, learningFor } from '../spam-learning.js';
import { refuseOverQuota } from './getquota.js';

export interface CopyOutcome {
  uids: number[];
  code?: string;
}

/**
 * Copy the named messages; returns the source UIDs copied and the COPYUID code, or a NO result. A copy that would
 * take the mailbox over its quota is refused whole (NO [OVERQUOTA]); a move (`moving`) adds nothing to the usage.
 */
export async function copyMessages(s: Session, set: SeqRange[], uid: boolean, target: string, moving = false): Promise<CopyOutcome | Result> {
  const view = s.selected!;
  const ref = await findMailbox(s, target);
  if (ref?.shared) return sharedRefusal();
  if (!ref) return isSharedName(target) ? no('No such mailbox', 'NONEXISTENT') : no('No such mailbox', 'TRYCREATE');
  const to = ref.folder;
  const uids = view.resolve(set, uid).map((n) => view.uids[n - 1]);
  if (!uids.length) return { uids };
  if (!moving) {
    const wanted = new Set(uids);
    const bytes = async () => (await view.store.list(view.owner, view.folder)).reduce((n, m) => (wanted.has(m.uid) ? n + m.size : n), 0);
    const full = await refuseOverQuota(s, bytes, uids.length);
    if (full) return full;
  }
  const r = view.shared ? await copyAcrossStores(view, uids, s.store, s.owner, to) : await s.store.copy(s.owner, view.folder, uids, to);
  if (!r.mapping.length) return { uids: [] };
  const src = formatSet(r.mapping.map((m) => m[0]));
  const dst = formatSet(r.mapping.map((m) => m[1]));
  const verdict = learningFor(view.shared ? view.name : view.folder, to);
  if (verdict) await learnFrom(s, to, r.mapping.map((m) => m[1]), verdict);
  s.log('copy', { from: view.name, to, count: r.mapping.length });
  return { uids: r.mapping.map((m) => m[0]), code: `COPYUID ${r.uidValidity} ${src} ${dst}` };
}

export const copy: CommandDef = {
  names: ['COPY', 'UID COPY'],
  states: SELECTED,
  args: [
    { name: 'set', type: 'seqset' },
    { name: 'mailbox', type: 'mailbox' },
  ],
  async handle(s, a, c) {
    const r = await copyMessages(s, a.set as SeqRange[], c.uid, a.mailbox as string);
    if ('status' in r) return r;
    return ok(`${c.name} completed`, r.code);
  },
};
