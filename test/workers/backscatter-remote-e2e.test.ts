// The worker's "no notice" decision is kept in the queue state (security review 8, left open 1): a stranger's
// message with a deferred local recipient (a mailbox he filled himself) and a remote one (an alias forwarding to
// the outside, no SRS) gets its delay warning and expiry notices from remote attempts too; none of them reaches the
// sender, about the local recipient or the forwarded one (backscatter-remote-scenario.ts). The file queue's test;
// its PostgreSQL twin is test/db/pg/serve-backscatter.test.ts.
import { test, before, after } from 'node:test';
import type { RulesLab } from '../sieve/e2e-helpers.js';
import { startBackscatterLab, twoWaysNoNotice } from './backscatter-remote-scenario.js';

let lab: RulesLab;

before(async () => {
  lab = await startBackscatterLab();
});

after(async () => {
  await lab?.close();
});

test('no notice from the queue state reaches a sender that may be forged: not the local recipient\'s, not the forward\'s', async () => {
  await twoWaysNoNotice(lab);
});
