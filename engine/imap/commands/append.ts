// APPEND (RFC 3501 §6.3.11, UIDPLUS's APPENDUID, LITERAL+): stores a message with optional flags and
// internal date. A missing folder answers NO [TRYCREATE]. A small message arrives in memory; a large one was
// streamed to a file in the Maildir's tmp/ (literal-spool.ts) and is moved in, never read into memory.
// A list archive ("#lists/...") takes no APPEND (NOPERM); a shared name the user cannot see does not exist.
import { AUTHENTICATED, bad, keywordsOf, MAX_KEYWORDS, no, ok, sharedRefusal, storableFlags, type CommandDef } from '../command.js';
import { isSharedName } from '../list-archives.js';
import { findMailbox } from '../mailbox-ref.js';
import { FileSink } from '../literal-spool.js';
import type { Token } from '../protocol/tokens.js';
import { refuseOverQuota } from './getquota.js';

export const append: CommandDef = {
  names: ['APPEND'],
  states: AUTHENTICATED,
  args: [
    { name: 'mailbox', type: 'mailbox' },
    { name: 'flags', type: 'flags', optional: true },
    { name: 'date', type: 'datetime', optional: true },
    { name: 'message', type: 'token' },
  ],
  async handle(s, a) {
    const message = a.message as Token;
    let bytes: Buffer | null = null;
    let spooled: FileSink | null = null;
    if (message.t === 'string') bytes = message.v;
    else if (message.t === 'spooled' && message.v instanceof FileSink) spooled = message.v;
    else return bad('Invalid message');
    const size = spooled ? spooled.size : bytes!.length;
    const flags = storableFlags((a.flags as string[] | undefined) ?? []);
    if (!flags) return bad('Invalid flag');
    if (keywordsOf(flags).size > MAX_KEYWORDS) return no(`A message keeps at most ${MAX_KEYWORDS} keywords`, 'LIMIT');
    if (!size) return no('Empty message');
    if (size > s.config.max_message_size) return no('Message too large', 'TOOBIG');
    const name = a.mailbox as string;
    const ref = await findMailbox(s, name);
    if (ref?.shared) return sharedRefusal();
    if (!ref) return isSharedName(name) ? no('No such mailbox', 'NONEXISTENT') : no('No such mailbox', 'TRYCREATE');
    const folder = ref.folder;
    const full = await refuseOverQuota(s, size, 1);
    if (full) return full;
    const opts = { flags, internalDate: a.date as number | undefined };
    let r: { uid: number; uidValidity: number };
    if (spooled) {
      let file: string;
      try {
        file = await spooled.finish();
      } catch (e) {
        s.log('append.fail', { folder, size, error: (e as Error).message }, 'warn');
        return no('Could not store the message', 'SERVERBUG');
      }
      r = await s.store.appendFile(s.owner, folder, file, opts);
    } else {
      r = await s.store.append(s.owner, folder, bytes!, opts);
    }
    if (s.selected && !s.selected.shared && s.selected.folder === folder) s.selected.markDirty();
    s.log('append', { folder, size, streamed: spooled ? true : undefined });
    return ok('APPEND completed', `APPENDUID ${r.uidValidity} ${r.uid}`);
  },
};
