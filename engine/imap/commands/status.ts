// STATUS (RFC 3501 §6.3.10, HIGHESTMODSEQ from RFC 7162): counters of a folder without selecting it; DELETED
// and DELETED-STORAGE (RFC 9208 §4.3: what an EXPUNGE would free, in messages and in octets, the sum of the
// \Deleted messages' sizes), which servers offering QUOTA=RES-MESSAGE / QUOTA=RES-STORAGE must answer.
import { AUTHENTICATED, bad, no, ok, type CommandDef } from '../command.js';
import { existingFolder, wireName } from '../folders.js';
import { countUnclaimedRecent } from '../mailbox-view.js';
import { Response } from '../protocol/response.js';
import type { Token } from '../protocol/tokens.js';

const ITEMS = new Set(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'DELETED', 'DELETED-STORAGE']);

export const status: CommandDef = {
  names: ['STATUS'],
  states: AUTHENTICATED,
  args: [
    { name: 'mailbox', type: 'mailbox' },
    { name: 'items', type: 'list' },
  ],
  async handle(s, a) {
    const items = (a.items as Token[]).map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
    if (!items.length || items.some((i) => !ITEMS.has(i))) return bad('Unknown STATUS item');
    const folder = await existingFolder(s.store, s.owner, a.mailbox as string);
    if (!folder) return no('No such mailbox', 'NONEXISTENT');
    const st = await s.store.status(s.owner, folder);
    const values: string[] = [];
    for (const i of items) {
      if (i === 'MESSAGES') values.push(`MESSAGES ${st.messages}`);
      else if (i === 'UIDNEXT') values.push(`UIDNEXT ${st.uidNext}`);
      else if (i === 'UIDVALIDITY') values.push(`UIDVALIDITY ${st.uidValidity}`);
      else if (i === 'UNSEEN') values.push(`UNSEEN ${st.unseen}`);
      else if (i === 'HIGHESTMODSEQ') values.push(`HIGHESTMODSEQ ${st.highestModseq}`);
      else if (i === 'DELETED' || i === 'DELETED-STORAGE') {
        const deleted = (await s.store.list(s.owner, folder)).filter((m) => m.flags.includes('\\Deleted'));
        values.push(i === 'DELETED' ? `DELETED ${deleted.length}` : `DELETED-STORAGE ${deleted.reduce((n, m) => n + m.size, 0)}`);
      } else if (i === 'RECENT') {
        const uids = (await s.store.list(s.owner, folder)).map((m) => m.uid);
        values.push(`RECENT ${countUnclaimedRecent(s.store, s.owner, folder, st.uidValidity, uids)}`);
      }
    }
    const r = new Response().raw('* STATUS ');
    r.raw(wireName(folder).toBuffer()).raw(` (${values.join(' ')})`);
    s.send(r);
    return ok('STATUS completed');
  },
};
