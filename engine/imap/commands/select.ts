// SELECT (RFC 3501 §6.3.1, CONDSTORE's "(CONDSTORE)" parameter): opens a mailbox read-write and reports its
// size, flags, UIDVALIDITY, UIDNEXT, first unseen and HIGHESTMODSEQ. EXAMINE shares openMailbox read-only.
// A list archive ("#lists/...", mailbox-ref.ts) opens read-only whichever command asked.
import { AUTHENTICATED, bad, no, ok, type Args, type CommandDef, type Result } from '../command.js';
import { findMailbox } from '../mailbox-ref.js';
import type { Token } from '../protocol/tokens.js';
import type { Session } from '../session.js';

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

export async function openMailbox(s: Session, a: Args, examine: boolean): Promise<Result> {
  s.unselect();
  const params = (a.params as Token[] | undefined) ?? [];
  for (const p of params) {
    if (p.t === 'atom' && p.v.toUpperCase() === 'CONDSTORE') s.enabled.add('CONDSTORE');
    else return bad('Unknown SELECT parameter');
  }
  const ref = await findMailbox(s, a.mailbox as string);
  if (!ref) return no('No such mailbox', 'NONEXISTENT');
  const folder = ref.name;
  const view = await s.select(folder, examine, ref.list);
  const readOnly = view.readOnly;
  const { keywords, firstUnseen } = view.flagSummary();
  const flags = [...SYSTEM_FLAGS, ...keywords].join(' ');
  s.send(`* FLAGS (${flags})`);
  s.send(`* OK [PERMANENTFLAGS ${readOnly ? '()' : `(${flags} \\*)`}] Flags permitted`);
  s.send(`* ${view.exists} EXISTS`);
  s.send(`* ${view.recent.size} RECENT`);
  if (firstUnseen) s.send(`* OK [UNSEEN ${firstUnseen}] First unseen`);
  s.send(`* OK [UIDVALIDITY ${view.uidValidity}] UIDs valid`);
  s.send(`* OK [UIDNEXT ${view.uidNext}] Predicted next UID`);
  // RFC 7162 §3.1.2.1: a server with persistent mod-sequences reports this on every SELECT/EXAMINE
  s.send(`* OK [HIGHESTMODSEQ ${view.highestModseq}] Highest`);
  s.log('select', { folder, readOnly });
  return ok(`${examine ? 'EXAMINE' : 'SELECT'} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

export const select: CommandDef = {
  names: ['SELECT'],
  states: AUTHENTICATED,
  args: [
    { name: 'mailbox', type: 'mailbox' },
    { name: 'params', type: 'list', optional: true },
  ],
  handle: (s, a) => openMailbox(s, a, false),
};
