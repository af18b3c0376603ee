// Teaches the spam filter from users' own filing: mail moved or copied into Spam is learnt as spam, mail moved
// from Spam back to INBOX as ham. Runs after the IMAP reply path's store work; a failure is logged, never fatal.
import { learnMessage } from '../spam/learn.js';
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
let learner: Learner | null = learnMessage;

/** Replace the learner (tests); null turns learning off, undefined restores the spam engine's. */
export function setLearner(fn: Learner | null | undefined): void {
  learner = fn === undefined ? learnMessage : fn;
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
