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
import { groupToken, unsubscribeToken, verpToken } from './tokens.js';
import { field, joinMessage, removeFields, splitMessage, value } from './headers.js';

/** The path of the one-click unsubscribe endpoint on the webmail (engine/web/webmail/unsubscribe.ts). */
export const unsubscribePath = (list: string, token: string): string => `/lists/unsubscribe/${encodeURIComponent(list)}/${token}`;

/**
 * A member's copy with its one-click unsubscribe (RFC 8058): the https link first in List-Unsubscribe (the mailto
 * kept after it) and List-Unsubscribe-Post. Both are in the fields DKIM signs (engine/outbound/dkim.ts).
 */
export function withOneClick(raw: Buffer, baseUrl: string, list: string, token: string): Buffer {
  const msg = splitMessage(raw);
  const mailto = value(msg.fields, 'List-Unsubscribe')?.trim();
  const link = `<${baseUrl.replace(/\/+$/, '')}${unsubscribePath(list, token)}>`;
  const fields = removeFields(msg.fields, ['List-Unsubscribe', 'List-Unsubscribe-Post']);
  const at = fields.findIndex((f) => /^list-subscribe$/i.test(f.name));
  const added = [field('List-Unsubscribe', mailto ? `${link}, ${mailto}` : link), field('List-Unsubscribe-Post', 'List-Unsubscribe=One-Click')];
  fields.splice(at < 0 ? fields.length : at + 1, 0, ...added);
  return joinMessage({ ...msg, fields });
}

/**
 * One envelope per member with its VERP sender, or ([lists] verp = "domain") one per destination domain
 * with a sender that names the domain; ids are derived from the batch, so a re-run makes the same files.
 */
export function copies(rt: ListRuntime, list: MailingList, members: ListMember[], raw: Buffer, batch: string): Originated[] {
  const a = listAddresses(list);
  const out: Originated[] = [];
  const add = (key: string, mailFrom: string, rcpts: string[], copy = raw) => {
    const id = `L${shortHash(batch, key).toUpperCase()}`;
    out.push({ envelope: listEnvelope(rt, list, id, mailFrom, rcpts, copy), raw: copy });
  };
  if (rt.config.lists.verp === 'member') {
    const oneClick = rt.config.lists.one_click_url;
    for (const m of members) {
      const copy = oneClick ? withOneClick(raw, oneClick, list.address, unsubscribeToken(rt.key, list.address, m.id, m.address)) : raw;
      add(m.address, a.bouncesToken(verpToken(rt.key, list.address, m.id, m.address)), [m.address], copy);
    }
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
