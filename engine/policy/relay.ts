// Relay control (S3) and recipient judgement: the one place that decides whether a RCPT TO is
// local (accept if the mailbox exists), remote and allowed (authenticated or listed client), or refused.
// Open relay only with the explicit, loud opt-in checked by the config loader. A bounce to an SRS address of ours
// (engine/srs) is accepted for the original sender it carries, once its signature and age check out; from a
// stranger, only a bounce (the null sender), and only so many for each forwarded copy (its address) a day.
import type { AccountDirectory } from '../accounts/directory.js';
import { parseAddress } from './address.js';
import { IpList } from './cidr.js';
import { isSrsLocal, type Srs } from '../srs/srs.js';
import type { SrsBounceCap } from '../srs/bounce-cap.js';
import { accept, Refusals, type Accept, type Refusal } from './verdict.js';

export type RelayMode = 'none' | 'addresses' | 'anyone';

export interface RelayClient {
  ip: string;
  authenticated: boolean;
  /** MAIL FROM was the null sender (<>): only such mail (a bounce) may reach an SRS address from a stranger. */
  nullSender?: boolean;
}

export class RelayPolicy {
  private readonly allowList: IpList;
  constructor(
    readonly mode: RelayMode,
    allowIps: string[],
    /** Decodes SRS addresses of our domains (null: SRS off, such addresses are unknown users). */
    readonly srs: Srs | null = null,
    /** Bounces per original sender and day through SRS addresses of the older form ([srs] max_bounces_per_day); null: no bound. */
    readonly srsCap: SrsBounceCap | null = null,
    /** Bounces per forwarded copy (its SRS address) and day ([srs] max_bounces_per_copy); null: no bound. */
    readonly srsCopyCap: SrsBounceCap | null = null,
  ) {
    this.allowList = new IpList(allowIps);
  }

  /** May this client send mail to remote domains through us? */
  mayRelay(c: RelayClient): boolean {
    if (c.authenticated) return true;
    if (this.mode === 'anyone') return true;
    if (this.mode === 'addresses') return this.allowList.has(c.ip);
    return false;
  }
}

export type RecipientJudgement =
  | { verdict: Accept; kind: 'local' | 'remote'; address: string }
  | { verdict: Refusal };

export function judgeRecipient(raw: string, client: RelayClient, directory: AccountDirectory, relay: RelayPolicy): RecipientJudgement {
  const parsed = parseAddress(raw);
  if (!parsed.ok) return { verdict: Refusals.badSyntax(parsed.reason) };
  const a = parsed.value;
  if (a.domain === '') {
    // RFC 5321 §4.5.1: the bare "postmaster" is always accepted, in the primary domain
    return { verdict: accept, kind: 'local', address: `postmaster@${directory.primaryDomain()}` };
  }
  const local = a.ipLiteral ? null : directory.localDomain(a.domain);
  if (local) {
    // percent hack, bang path, quoted "@": never interpreted, never relayed
    if (a.routing) return { verdict: Refusals.routingTrick() };
    if (relay.srs && isSrsLocal(a.local)) return srsRecipient(raw, `${a.local}@${local}`, client, directory, relay);
    const address = `${a.local.toLowerCase()}@${local}`;
    const r = directory.resolve(address);
    // a disabled mailbox gets the same answer as an unknown one: outsiders never learn an account's state
    if (r.kind === 'unknown' || r.kind === 'remote' || (r.kind === 'mailbox' && r.user.disabled)) return { verdict: Refusals.unknownUser(raw) };
    return { verdict: accept, kind: 'local', address };
  }
  if (!relay.mayRelay(client)) return { verdict: Refusals.relayDenied() };
  return { verdict: accept, kind: 'remote', address: `${a.local}@${a.domain}` };
}

/**
 * RCPT TO an SRS address in one of our domains: a reply or bounce to mail we forwarded. It goes back to the address
 * it carries (judged in turn, without the relay check: we made that address ourselves); forged, altered or
 * expired ones are refused.
 */
function srsRecipient(raw: string, address: string, client: RelayClient, directory: AccountDirectory, relay: RelayPolicy): RecipientJudgement {
  const r = relay.srs!.reverse(address);
  if (!r.ok) return { verdict: Refusals.badSrs(raw, r.reason === 'expired' ? 'expired' : 'invalid') };
  // an SRS address is for bounces: anyone who read one forwarded copy knows it, and mail with a sender to it would
  // be relayed to the address it carries for max_age, by a stranger, past every per-account limit (review 8)
  if (!client.authenticated && client.nullSender !== true) return { verdict: Refusals.srsBouncesOnly(raw) };
  const back = parseAddress(r.address);
  if (!back.ok || !back.value.domain) return { verdict: Refusals.badSrs(raw, 'invalid') };
  // an SRS1 address gives back the first hop's SRS0 address, which may be ours too (mail forwarded here twice,
  // a loop between two forwarders): judged again with our key, never with the relay check (each step is an
  // address we signed, and each is shorter than the one before, so this ends)
  if (directory.localDomain(back.value.domain)) return judgeRecipient(r.address, client, directory, new RelayPolicy('none', [], relay.srs, relay.srsCap, relay.srsCopyCap));
  const original = `${back.value.local}@${back.value.domain}`;
  if (!client.authenticated) {
    // a bounce may hold anything, and whoever read a forwarded copy knows its address: a stranger's bounces are
    // bounded per copy and day, so one harvested address uses up that copy's allowance and no other copy's
    // (security review 9); an address of the older form (one per sender and day, made before copies had tags)
    // keeps the bound per original sender until it expires
    // the copy is counted by its local part alone: reverse() does not read the domain after the @ (an address made
    // in one of our domains checks out in any other), so keyed with it a copy had a count per local domain
    if (r.copy && relay.srsCopyCap && !relay.srsCopyCap.take(address.slice(0, address.lastIndexOf('@')))) return { verdict: Refusals.srsCopyBounceCap(raw) };
    if (!r.copy && relay.srsCap && !relay.srsCap.take(original)) return { verdict: Refusals.srsBounceCap(raw) };
  }
  return { verdict: accept, kind: 'remote', address: original };
}
