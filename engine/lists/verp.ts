// The envelopes of a list's copies: VERP (each member's copy has its own envelope sender
// NAME-bounces+m<id>-<mac>@, so a bounce names the member whatever it says) or, with [lists] verp = "domain",
// one copy per destination domain whose sender NAME-bounces+g-<mac>@ names the domain (a bounce then counts
// only for a member of that domain that its DSN names). Ids derive from the batch, so a re-run repeats them.
import type { ListMember, MailingList } from '../accounts/list-directory.js';
import type { Originated } from '../queue/notices.js';
import { listEnvelope } from './compose.js';
import { listAddresses } from './names.js';
import { shortHash } from './paths.js';
import type { ListRuntime } from './runtime.js';
import { groupToken, verpToken } from './tokens.js';

/**
 * One envelope per member with its VERP sender, or ([lists] verp = "domain") one per destination domain
 * with a sender that names the domain; ids are derived from the batch, so a re-run makes the same files.
 */
export function copies(rt: ListRuntime, list: MailingList, members: ListMember[], raw: Buffer, batch: string): Originated[] {
  const a = listAddresses(list);
  const out: Originated[] = [];
  const add = (key: string, mailFrom: string, rcpts: string[]) => {
    const id = `L${shortHash(batch, key).toUpperCase()}`;
    out.push({ envelope: listEnvelope(rt, list, id, mailFrom, rcpts, raw), raw });
  };
  if (rt.config.lists.verp === 'member') {
    for (const m of members) add(m.address, a.bouncesToken(verpToken(rt.key, list.address, m.id, m.address)), [m.address]);
    return out;
  }
  const byDomain = new Map<string, string[]>();
  for (const m of members) {
    const d = m.address.slice(m.address.lastIndexOf('@') + 1);
    byDomain.set(d, [...(byDomain.get(d) ?? []), m.address]);
  }
  for (const [domain, rcpts] of byDomain) add(`@${domain}`, a.bouncesToken(groupToken(rt.key, list.address, domain)), rcpts);
  return out;
}
