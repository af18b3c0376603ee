// Relay control (S3) and recipient judgement: the one place that decides whether a RCPT TO is
// local (accept if the mailbox exists), remote and allowed (authenticated or listed client), or refused.
// Open relay only with the explicit, loud opt-in checked by the config loader.
import type { AccountDirectory } from '../accounts/directory.js';
import { parseAddress } from './address.js';
import { IpList } from './cidr.js';
import { accept, Refusals, type Accept, type Refusal } from './verdict.js';

export type RelayMode = 'none' | 'addresses' | 'anyone';

export interface RelayClient {
  ip: string;
  authenticated: boolean;
}

export class RelayPolicy {
  private readonly allowList: IpList;
  constructor(
    readonly mode: RelayMode,
    allowIps: string[],
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
    const address = `${a.local.toLowerCase()}@${local}`;
    const r = directory.resolve(address);
    // a disabled mailbox gets the same answer as an unknown one: outsiders never learn an account's state
    if (r.kind === 'unknown' || r.kind === 'remote' || (r.kind === 'mailbox' && r.user.disabled)) return { verdict: Refusals.unknownUser(raw) };
    return { verdict: accept, kind: 'local', address };
  }
  if (!relay.mayRelay(client)) return { verdict: Refusals.relayDenied() };
  return { verdict: accept, kind: 'remote', address: `${a.local}@${a.domain}` };
}
