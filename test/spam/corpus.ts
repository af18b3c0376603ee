// Test-only splits of the SpamAssassin public corpus, read through the lab's loader (lab/corpora):
// the lab's own split (older mail to train, later mail + hard ham to evaluate) and a shuffled 70/30 split
// chosen by a hash of each message id, so every run agrees.
import crypto from 'node:crypto';
import { loadSpamAssassin, type CorpusMessage } from '../../lab/corpora/spamassassin.js';

export type { CorpusMessage };

export function labSplit(): { train: CorpusMessage[]; held: CorpusMessage[] } | null {
  const train = loadSpamAssassin({ split: 'train' });
  const held = loadSpamAssassin({ split: 'eval' });
  return train.ok && held.ok ? { train: train.messages, held: held.messages } : null;
}

export function shuffledSplit(): { train: CorpusMessage[]; held: CorpusMessage[] } | null {
  const all = labSplit();
  if (!all) return null;
  const train: CorpusMessage[] = [];
  const held: CorpusMessage[] = [];
  for (const m of [...all.train, ...all.held]) (crypto.createHash('sha1').update(m.id).digest()[0] % 10 < 7 ? train : held).push(m);
  return { train, held };
}
