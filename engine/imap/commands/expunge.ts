// EXPUNGE (RFC 3501 §6.4.3): removes the session's \Deleted messages and reports each with untagged EXPUNGE.
// expungeUids is shared with UID EXPUNGE and MOVE.
import { SELECTED, ok, readOnlyRefusal, type CommandDef } from '../command.js';
import type { Session } from '../session.js';

/** Expunge these UIDs (or, when omitted, every \Deleted one the session knows) and announce them. */
export async function expungeUids(s: Session, only?: Set<number>, requireDeleted = true): Promise<number> {
  const view = s.selected!;
  const current = await view.store.list(view.owner, view.folder);
  const uids = current
    .filter((m) => view.seqOf(m.uid) && (!only || only.has(m.uid)) && (!requireDeleted || m.flags.includes('\\Deleted')))
    .map((m) => m.uid);
  if (!uids.length) return 0;
  await view.store.expunge(view.owner, view.folder, uids);
  const seqs = view.removeUids(uids);
  if (seqs.length) s.writeRaw(seqs.map((n) => `* ${n} EXPUNGE`).join('\r\n') + '\r\n');
  return uids.length;
}

export const expunge: CommandDef = {
  names: ['EXPUNGE'],
  states: SELECTED,
  args: [],
  async handle(s) {
    if (s.selected!.readOnly) return readOnlyRefusal(s.selected!);
    const n = await expungeUids(s);
    s.log('expunge', { folder: s.selected!.folder, count: n });
    return ok('EXPUNGE completed');
  },
};
