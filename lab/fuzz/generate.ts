// A fuzz session's plan from its seed alone: the protocol's skeleton units, then mutations. The same
// seed, accounts and offers always give the same bytes, which is what makes a failure replayable.
import { Rng } from './rng.js';
import { mutatePlan } from './mutate.js';
import { smtpUnits } from './skeleton-smtp.js';
import { pop3Units } from './skeleton-pop3.js';
import { imapUnits } from './skeleton-imap.js';
import type { Accounts, Offers, Plan, Protocol } from './plan.js';

export function generatePlan(protocol: Protocol, seed: number, acc: Accounts, offers: Offers): Plan {
  const rng = new Rng(seed);
  const units = protocol === 'smtp' ? smtpUnits(rng, acc, offers) : protocol === 'pop3' ? pop3Units(rng, acc) : imapUnits(rng, acc, offers);
  return mutatePlan(rng, protocol, seed, units);
}
