// MOVE and UID MOVE (RFC 6851): copy, then expunge the originals, announcing COPYUID in an untagged OK before
// the EXPUNGE responses. Moving into Spam (or from Spam to INBOX) teaches the spam filter.
import { SELECTED, no, ok, readOnlyRefusal, type CommandDef } from '../command.js';
import type { SeqRange } from '../protocol/sequence.js';
import { copyMessages } from './copy.js';
import { expungeUids } from './expunge.js';

export const move: CommandDef = {
  names: ['MOVE', 'UID MOVE'],
  states: SELECTED,
  args: [
    { name: 'set', type: 'seqset' },
    { name: 'mailbox', type: 'mailbox' },
  ],
  async handle(s, a, c) {
    if (s.selected!.readOnly) return readOnlyRefusal(s.selected!);
    if ((a.mailbox as string) === s.selected!.folder) return no('Source and target are the same mailbox', 'CANNOT');
    const r = await copyMessages(s, a.set as SeqRange[], c.uid, a.mailbox as string, true);
    if ('status' in r) return r;
    if (r.code) s.send(`* OK [${r.code}] Moved`);
    if (r.uids.length) await expungeUids(s, new Set(r.uids), false);
    return ok(`${c.name} completed`);
  },
};
