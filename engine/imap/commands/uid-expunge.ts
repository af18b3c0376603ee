// UID EXPUNGE (RFC 4315): expunges only the \Deleted messages whose UIDs are in the set.
import { SELECTED, ok, readOnlyRefusal, type CommandDef } from '../command.js';
import { resolveUid, type SeqRange } from '../protocol/sequence.js';
import { expungeUids } from './expunge.js';

export const uidExpunge: CommandDef = {
  names: ['UID EXPUNGE'],
  states: SELECTED,
  args: [{ name: 'set', type: 'seqset' }],
  async handle(s, a) {
    const view = s.selected!;
    if (view.readOnly) return readOnlyRefusal(view);
    const seqs = resolveUid(a.set as SeqRange[], view.uids);
    await expungeUids(s, new Set(seqs.map((n) => view.uids[n - 1])));
    return ok('UID EXPUNGE completed');
  },
};
