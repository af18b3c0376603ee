// APPEND (RFC 3501 §6.3.11, UIDPLUS's APPENDUID, LITERAL+): stores a message with optional flags and
// internal date. A missing folder answers NO [TRYCREATE]; the literal's size was bounded by the reader.
import { AUTHENTICATED, bad, no, ok, storableFlags, type CommandDef } from '../command.js';
import { existingFolder } from '../folders.js';

export const append: CommandDef = {
  names: ['APPEND'],
  states: AUTHENTICATED,
  args: [
    { name: 'mailbox', type: 'mailbox' },
    { name: 'flags', type: 'flags', optional: true },
    { name: 'date', type: 'datetime', optional: true },
    { name: 'message', type: 'bytes' },
  ],
  async handle(s, a) {
    const message = a.message as Buffer;
    const flags = storableFlags((a.flags as string[] | undefined) ?? []);
    if (!flags) return bad('Invalid flag');
    if (!message.length) return no('Empty message');
    if (message.length > s.config.max_message_size) return no('Message too large', 'TOOBIG');
    const folder = await existingFolder(s.store, s.owner, a.mailbox as string);
    if (!folder) return no('No such mailbox', 'TRYCREATE');
    const r = await s.store.append(s.owner, folder, message, { flags, internalDate: a.date as number | undefined });
    if (s.selected?.folder === folder) s.selected.markDirty();
    s.log('append', { folder, size: message.length });
    return ok('APPEND completed', `APPENDUID ${r.uidValidity} ${r.uid}`);
  },
};
