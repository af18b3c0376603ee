// STATUS (RFC 3501 §6.3.10, HIGHESTMODSEQ from RFC 7162): counters of a folder without selecting it; DELETED
// and DELETED-STORAGE (RFC 9208 §4.3: what an EXPUNGE would free, in messages and in octets, the sum of the
// \Deleted messages' sizes), which servers offering QUOTA=RES-MESSAGE / QUOTA=RES-STORAGE must answer.
import { AUTHENTICATED, bad, no, ok, type CommandDef } from '../command.js';
import { wireName } from '../folders.js';
import { findMailbox } from '../mailbox-ref.js';
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
    const ref = await findMailbox(s, a.mailbox as string);
    if (!ref) return no('No such mailbox', 'NONEXISTENT');
    const { store, owner, folder } = ref;
    const st = await store.status(owner, folder);
    const values: string[] = [];
    for (const i of items) {
      if (i === 'MESSAGES') values.push(`MESSAGES ${st.messages}`);
      else if (i === 'UIDNEXT') values.push(`UIDNEXT ${st.uidNext}`);
      else if (i === 'UIDVALIDITY') values.push(`UIDVALIDITY ${st.uidValidity}`);
      else if (i === 'UNSEEN') values.push(`UNSEEN ${st.unseen}`);
      else if (i === 'HIGHESTMODSEQ') values.push(`HIGHESTMODSEQ ${st.highestModseq}`);
      else if (i === 'DELETED' || i === 'DELETED-STORAGE') {
        const deleted = (await store.list(owner, folder)).filter((m) => m.flags.includes('\\Deleted'));
        values.push(i === 'DELETED' ? `DELETED ${deleted.length}` : `DELETED-STORAGE ${deleted.reduce((n, m) => n + m.size, 0)}`);
      } else if (i === 'RECENT') {
        const uids = (await store.list(owner, folder)).map((m) => m.uid);
        values.push(`RECENT ${countUnclaimedRecent(store, owner, folder, st.uidValidity, uids)}`);
      }
    }
    const r = new Response().raw('* STATUS ');
    r.raw(wireName(ref.name).toBuffer()).raw(` (${values.join(' ')})`);
    s.send(r);
    return ok('STATUS completed');
  },
};
