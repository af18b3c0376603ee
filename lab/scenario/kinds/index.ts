// Scenario kind → its runner. A runner prepares peers (before the targets start, so a lab-started tegami
// can route to them) and returns the function that runs the kind against ctx.targets.
import type { Kind } from '../schema.js';
import type { RunContext } from '../context.js';
import { relayAbuse } from './relay-abuse.js';
import { authAbuse } from './auth-abuse.js';
import { throughput } from './throughput.js';
import { slowPeers } from './slow-peers.js';
import { spamCorpus } from './spam-corpus.js';
import { japanese } from './japanese.js';
import { fuzz } from './fuzz.js';

export const KIND_RUNNERS: Record<Kind, (ctx: RunContext) => Promise<() => Promise<void>>> = {
  'relay-abuse': relayAbuse,
  'auth-abuse': authAbuse,
  throughput,
  'slow-peers': slowPeers,
  'spam-corpus': spamCorpus,
  japanese,
  fuzz,
};
