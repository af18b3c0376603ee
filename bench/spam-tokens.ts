// The Bayes tokens of every lab corpus message as JSON lines (never run by `npm test`): spam-verdicts runs with an
// untrained Bayes, which never tokenises, so a change meant to make tokenising faster is checked here to change no
// token — run it on both builds, then compare the files (`cmp`). Each message is tokenised as the analyser does
// (its text parts, its HTML parts' text, its links) with the shipped options and with word pairs and lead pairs
// on (what the fit tools try); the bench's load messages of 5 KB and 100 KB are added at the end.
//
//   npx tsc -p . && node dist/bench/spam-tokens.js OUT.jsonl
import fs from 'node:fs';
import { parseMessage } from '../engine/spam/message.js';
import { checkHtml } from '../engine/spam/html.js';
import { extractUrls } from '../engine/spam/url.js';
import { DEFAULT_TOKENISE, tokenise } from '../engine/spam/tokenise.js';
import { PART_SCAN_DEFAULT } from '../engine/spam/limits.js';
import { loadSpamAssassin } from '../lab/corpora/spamassassin.js';
import { japaneseTraining } from '../lab/corpora/japanese-training.js';
import { japaneseWritten } from '../lab/corpora/japanese-written.js';
import { bulkHam } from '../lab/corpora/bulk-ham.js';
import { japaneseCorpus } from '../lab/corpora/japanese.js';
import { messageTemplate } from '../lab/load/message.js';

const out = process.argv[2];
if (!out) throw new Error('usage: spam-tokens OUT.jsonl');
const corpus: { id: string; raw: Buffer }[] = [];
for (const split of ['train', 'eval'] as const) {
  const r = loadSpamAssassin({ split });
  if (!r.ok) throw new Error(r.reason);
  corpus.push(...r.messages);
}
corpus.push(...japaneseTraining(), ...japaneseWritten(), ...bulkHam(), ...japaneseCorpus({ count: 400, seed: 7 }));
for (const size of [5120, 102400]) corpus.push({ id: `load-${size}`, raw: messageTemplate(size).render('t', 'load@lab.example.test', 'alice@example.test') });

const pairs = { ...DEFAULT_TOKENISE, pairs: true, leadPairs: 20 };
const lines: string[] = [];
for (const m of corpus) {
  const msg = parseMessage(m.raw, { partScanBytes: PART_SCAN_DEFAULT });
  const html = msg.htmls.map((h) => checkHtml(h, 30));
  const urls = [...msg.texts.flatMap((t) => extractUrls(t)), ...html.flatMap((h) => h.hrefs)];
  const htmlText = html.map((h) => h.text);
  lines.push(JSON.stringify({ id: m.id, tokens: tokenise(msg, htmlText, urls), pairs: tokenise(msg, htmlText, urls, pairs) }));
}
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`${lines.length} messages → ${out}`);
