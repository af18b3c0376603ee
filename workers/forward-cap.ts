// The day cap on the copies accounts' forward lists send on ([accounts] max_forwards_per_day), in the worker.
// route.ts marks each remote address reached through an account's forward list with that account (`via`); an
// account's copies of one message are claimed at once, once per message (its queue id, so a retried delivery
// is not counted again), in the counter Sieve redirects use (engine/sieve/redirect-count.ts) under a key of
// their own (`forward:<account>`: the two caps are separate). Over the cap none of those copies is sent: the
// message is kept in the account's mailbox instead (also when the list keeps no copy) and `forward-limit` is
// logged. The counter's database away is a temporary failure of that recipient: nothing of it is decided now
// (the queue retries it from the spool). Forwards to local mailboxes and alias expansions are not counted.
import type { RedirectCounter } from '../engine/sieve/redirect-count.js';
import type { WorkerEvent } from './delivery-types.js';
import type { Routed } from './route.js';

/** The counter's key for an account's forwards (local parts hold only a-z 0-9 . _ + -: no account is named so). */
export const forwardKey = (account: string) => `forward:${account.toLowerCase()}`;

export interface ForwardCapResult {
  events: WorkerEvent[];
  tempFailed: { address: string; reason: string }[];
}

/**
 * Claim each forwarding account's remote copies of message `id` at `now` against `max`; `routed` is changed in
 * place: copies over the cap (or not counted) leave `remote`, their account is added to `mailboxes` (kept), and
 * a recipient whose count failed leaves both.
 */
export async function capForwards(counter: RedirectCounter, routed: Pick<Routed, 'mailboxes' | 'remote'>, id: string, now: number, max: number): Promise<ForwardCapResult> {
  const out: ForwardCapResult = { events: [], tempFailed: [] };
  const byAccount = new Map<string, { address: string; rcpt: string }[]>();
  for (const r of routed.remote) if (r.via) byAccount.set(r.via, [...(byAccount.get(r.via) ?? []), r]);
  if (!byAccount.size) return out;
  const dropped = new Set<{ address: string; rcpt: string }>();
  const failedRcpts = new Set<string>();
  for (const [account, copies] of byAccount) {
    let claim;
    try {
      claim = await counter.claim(forwardKey(account), id, copies.length, now, max);
    } catch (e) {
      for (const c of copies) {
        dropped.add(c);
        if (failedRcpts.has(c.rcpt)) continue;
        failedRcpts.add(c.rcpt);
        out.tempFailed.push({ address: c.rcpt, reason: `4.3.0 Forward count unavailable: ${(e as Error).message}` });
      }
      continue;
    }
    if (claim.ok) continue;
    for (const c of copies) dropped.add(c);
    out.events.push({ event: 'forward-limit', level: 'warn', fields: { owner: account, max, used: claim.used, to: copies.map((c) => c.address) } });
    // kept: in the account's own mailbox, for the recipient that reached it
    if (!routed.mailboxes.some((m) => m.owner === account)) routed.mailboxes.push({ owner: account, rcpt: copies[0].rcpt });
  }
  routed.remote = routed.remote.filter((r) => !dropped.has(r) && !failedRcpts.has(r.rcpt));
  routed.mailboxes = routed.mailboxes.filter((m) => !failedRcpts.has(m.rcpt));
  return out;
}
