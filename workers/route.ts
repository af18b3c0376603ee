// Routing, in the worker: expand a message's local recipients through aliases, forwards and
// postmaster into mailbox owners (delivered here), remote addresses (handed back to the queue) and list
// addresses (posts, requests, bounces: engine/lists; NAME-owner@ goes to the list's moderators).
// Loops are cut (visited set, depth limit); it never touches the network.
import type { AccountDirectory } from '../engine/accounts/directory.js';
import type { ListDirectory } from '../engine/accounts/list-directory.js';
import type { ListDelivery } from '../engine/lists/handle.js';
import { isSrsLocal, type Srs } from '../engine/srs/srs.js';

export interface Routed {
  /** Mailbox owners (user@domain) to deliver into, each once. */
  mailboxes: { owner: string; rcpt: string }[];
  /**
   * Remote addresses produced by aliases/forwards; `via`: the account whose forward list led here (the nearest
   * one on the way), counted against [accounts] max_forwards_per_day (forward-cap.ts).
   */
  remote: { address: string; rcpt: string; via?: string }[];
  failed: { address: string; reason: string }[];
  /** List addresses reached (each list role once): handled by engine/lists in the worker. */
  lists: ListDelivery[];
}

const MAX_DEPTH = 10;

/**
 * `srs` decodes SRS addresses of our domains (mail for one is a bounce of something we forwarded, e.g. a DSN
 * tegami writes itself about a forwarded copy): routed on to the address it carries; a forged one fails.
 */
export function route(directory: AccountDirectory, recipients: string[], lists?: Pick<ListDirectory, 'admins'>, srs?: Pick<Srs, 'reverse'> | null): Routed {
  const out: Routed = { mailboxes: [], remote: [], failed: [], lists: [] };
  const seenOwners = new Set<string>();
  const seenRemote = new Set<string>();
  const seenLists = new Set<string>();
  /** The recipient being expanded reached a mailbox or a remote address (perhaps one another recipient reached first). */
  let reached = false;

  const visit = (address: string, rcpt: string, depth: number, path: Set<string>, via?: string) => {
    const a = address.toLowerCase();
    if (depth > MAX_DEPTH || path.has(a)) {
      if (depth > MAX_DEPTH) out.failed.push({ address: rcpt, reason: '5.4.6 Alias or forward loop, or nesting too deep' });
      return;
    }
    const next = new Set(path).add(a);
    if (srs && isSrsLocal(a.slice(0, a.lastIndexOf('@')))) {
      const back = srs.reverse(address);
      if (back.ok) visit(back.address, rcpt, depth + 1, next, via);
      else out.failed.push({ address: rcpt, reason: `5.1.1 <${address}>: no such user here` });
      return;
    }
    const r = directory.resolve(a);
    switch (r.kind) {
      case 'mailbox': {
        if (r.user.disabled) {
          // the bounce goes to an outsider: the same words as for an unknown user, never "disabled"
          out.failed.push({ address: rcpt, reason: `5.1.1 <${address}>: no such user here` });
          return;
        }
        const fwd = r.user.forward;
        if (fwd.length) {
          for (const t of fwd) visit(t, rcpt, depth + 1, next, r.user.address);
          if (!r.user.keepCopy) return;
        }
        reached = true;
        if (!seenOwners.has(r.user.address)) {
          seenOwners.add(r.user.address);
          out.mailboxes.push({ owner: r.user.address, rcpt });
        }
        return;
      }
      case 'alias':
        for (const t of r.targets) visit(t, rcpt, depth + 1, next, via);
        return;
      case 'postmaster':
        if (r.forwardTo && !next.has(r.forwardTo.toLowerCase())) visit(r.forwardTo, rcpt, depth + 1, next, via);
        else {
          reached = true;
          if (!seenOwners.has(r.address)) {
            seenOwners.add(r.address);
            out.mailboxes.push({ owner: r.address, rcpt });
          }
        }
        return;
      case 'remote':
        reached = true;
        if (!seenRemote.has(a)) {
          seenRemote.add(a);
          out.remote.push(via ? { address, rcpt, via } : { address, rcpt });
        }
        return;
      case 'list': {
        if (r.role === 'owner') {
          // the list's moderators, as an alias would (none: the domain's postmaster)
          const admins = lists?.admins(r.list) ?? [];
          for (const t of admins.length ? admins : [`postmaster@${r.list.slice(r.list.lastIndexOf('@') + 1)}`]) visit(t, rcpt, depth + 1, next, via);
          return;
        }
        reached = true;
        const key = `${r.role}|${r.list}|${r.token ?? ''}`;
        if (!seenLists.has(key)) {
          seenLists.add(key);
          out.lists.push({ list: r.list, role: r.role, token: r.token, rcpt });
        }
        return;
      }
      case 'unknown':
        out.failed.push({ address: rcpt, reason: `5.1.1 <${address}>: no such user here` });
        return;
    }
  };

  for (const r of recipients) {
    const failedBefore = out.failed.length;
    reached = false;
    visit(r, r, 0, new Set());
    // aliases that only point back at themselves reach nobody: that is a failure, never a silent drop (a
    // mailbox or remote address that another recipient of the message reached first counts as reached)
    if (!reached && out.failed.length === failedBefore) out.failed.push({ address: r, reason: '5.4.6 Alias or forward loop: no final recipient' });
  }
  return out;
}
