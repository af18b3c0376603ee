// Bench helper: teach a fresh tegami's Bayes filter past [spam] bayes_min_messages (10 of each kind), so it votes on
// every message and tokenises it — as on an install whose users have filed some mail, where a fresh bench target
// (bayes.db empty) skips tokenising altogether. The workers' stores see the new counts at their next check.
import { closeBayesStores, learnMessages } from '../engine/spam/learn.js';
import { messageTemplate } from '../lab/load/message.js';

/** Learn 20 ham (the load's own message of `size` bytes) and 20 short spam into dataDir's bayes.db. */
export function seedBayes(dataDir: string, size: number, fromDomain: string, rcpt: string): void {
  const ham = messageTemplate(size);
  const items = Array.from({ length: 20 }, (_, i) => [
    { raw: ham.render(`ham${i}`, `friend-${i}@${fromDomain}`, rcpt), kind: 'ham' as const },
    { raw: Buffer.from(`From: <deals${i}@spam.example>\r\nSubject: cheap pills ${i}\r\n\r\nbuy now cheap pills http://x${i}.spam.example/ limited offer\r\n`), kind: 'spam' as const },
  ]).flat();
  learnMessages(dataDir, items);
  closeBayesStores();
}
