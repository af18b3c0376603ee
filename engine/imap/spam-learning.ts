// Teaches the spam filter from users' own filing: mail moved or copied into Spam is learnt as spam, mail moved
// from Spam back to INBOX as ham. The learning itself runs in the server's worker pool (engine/spam/learn-pool.ts):
// parsing a message never holds up the main thread. A failure is logged, never fatal.
import { learnMessage } from '../spam/learn.js';
import { learnPoolFor } from '../spam/learn-pool.js';
import { SPAM_FOLDER } from './folders.js';
import type { Session } from './session.js';

export type Verdict = 'spam' | 'ham';

/** What a copy/move between these folders teaches, if anything. */
export function learningFor(from: string, to: string): Verdict | null {
  if (to === SPAM_FOLDER && from !== SPAM_FOLDER) return 'spam';
  if (from === SPAM_FOLDER && to === 'INBOX') return 'ham';
  return null;
}

type Learner = (dataDir: string, raw: Buffer, verdict: Verdict, owner: string) => Promise<unknown> | unknown;

/** The worker pool of the server that owns this data dir; in-thread only where no pool runs (store-only tests). */
const inPool: Learner = (dataDir, raw, verdict, owner) => {
  const pool = learnPoolFor(dataDir);
  return pool ? pool(raw, verdict, owner) : learnMessage(dataDir, raw, verdict, owner);
};

let learner: Learner | null = inPool;

/** Replace the learner (tests); null turns learning off, undefined restores the worker pool's. */
export function setLearner(fn: Learner | null | undefined): void {
  learner = fn === undefined ? inPool : fn;
}

export async function learnFrom(s: Session, folder: string, uids: number[], verdict: Verdict): Promise<void> {
  if (!learner) return;
  for (const uid of uids) {
    try {
      const raw = await s.store.read(s.owner, folder, uid);
      await learner(s.config.data_dir, raw, verdict, s.owner);
    } catch (e) {
      s.log('learn.error', { error: (e as Error).message }, 'warn');
    }
  }
  s.log('learn', { verdict, count: uids.length });
}
