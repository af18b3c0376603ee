// Who may be told, after the 250, that a message failed here (the hop limit, an alias or redirect loop, a message
// that can never fit the mailbox, a list that cannot take it). A notice goes to the MAIL FROM address and carries
// the message's header section and Subject, signed in our name: sent to a sender a stranger made up, it is
// backscatter — whoever is named gets mail the stranger wrote, from us. So, as for a Sieve reject after the 250
// (RFC 5429 §2.1, engine/rules/plan.ts senderVerified), only a sender that cannot be forged is told: an
// authenticated one, SPF passing for the MAIL FROM domain, DMARC passing for an aligned From: domain, a client of
// [spam] local_networks or trusted_ips or of [relay] allow_ips (this machine, the operator's own hosts), or mail tegami wrote itself.
// Everyone else gets no notice; the queue logs `dsn-suppressed` with the reason (security review 8).
import type { LoadedConfig } from '../engine/config/load.js';
import { authorDomain } from '../engine/mime/address-list.js';
import { IpList } from '../engine/policy/cidr.js';
import { senderVerified } from '../engine/rules/plan.js';
import { checkedOrigin, type Envelope } from '../engine/spool/envelope.js';

/** The reason the queue logs when the notice is not sent. */
export const MAY_BE_FORGED = 'the sender may be forged (not authenticated, and neither SPF nor an aligned DMARC pass vouches for it): no notice';

const lists = new WeakMap<LoadedConfig, IpList>();

/** The client networks whose senders are the operator's own ([spam] local_networks and trusted_ips, [relay] allow_ips). */
function ownNetworks(config: LoadedConfig): IpList {
  let l = lists.get(config);
  if (!l) lists.set(config, (l = new IpList([...config.spam.local_networks, ...config.spam.trusted_ips, ...config.relay.allow_ips])));
  return l;
}

/** Null when the sender of this message may be told of its failures; else why not. */
export function noNoticeReason(config: LoadedConfig, env: Envelope, tags: readonly string[], head: Buffer): string | null {
  if (!env.mailFrom) return null; // no notice is ever sent to the null sender anyway
  if (checkedOrigin(env.origin)?.kind === 'tegami') return null;
  if (ownNetworks(config).has(env.client.ip)) return null;
  if (senderVerified(env, tags, null)) return null; // logged in, or SPF passes: no From: to read
  // else an aligned DMARC pass: the From: domain read by the RFC 5322 parser, only where DMARC passed
  const fromDomain = tags.includes('DMARC_PASS') ? authorDomain(head) : null;
  return fromDomain && senderVerified(env, tags, fromDomain) ? null : MAY_BE_FORGED;
}
