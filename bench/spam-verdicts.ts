// The analyser's verdict on every lab corpus message as JSON lines (never run by `npm test`): tags, score, action
// and headers, so a change meant to make analysis faster can be checked to change no verdict — run it before and
// after, then compare the files (`cmp`). DNS goes to a closed port, so DKIM/DMARC answer the same every time.
//
//   npx tsc -p . && node dist/bench/spam-verdicts.js OUT.jsonl [--limit N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../engine/config/load.js';
import { Analyser } from '../engine/spam/pipeline.js';
import { loadSpamAssassin } from '../lab/corpora/spamassassin.js';
import { japaneseTraining } from '../lab/corpora/japanese-training.js';
import { japaneseWritten } from '../lab/corpora/japanese-written.js';
import { bulkHam } from '../lab/corpora/bulk-ham.js';
import { japaneseCorpus } from '../lab/corpora/japanese.js';

const out = process.argv[2];
if (!out) throw new Error('usage: spam-verdicts OUT.jsonl [--limit N]');
const li = process.argv.indexOf('--limit');
const limit = li > 0 ? Number(process.argv[li + 1]) : Infinity;

const corpus: { id: string; raw: Buffer }[] = [];
for (const split of ['train', 'eval'] as const) {
  const r = loadSpamAssassin({ split });
  if (!r.ok) throw new Error(r.reason);
  corpus.push(...r.messages);
}
corpus.push(...japaneseTraining(), ...japaneseWritten(), ...bulkHam(), ...japaneseCorpus({ count: 400, seed: 7 }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-verdicts-'));
const text = `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[dns]\nservers = ["127.0.0.1:1"]\ntimeout = "1s"\n`;
fs.writeFileSync(path.join(dir, 'tegami.toml'), text);
const a = new Analyser(parseConfigText(text, path.join(dir, 'tegami.toml')));
const lines: string[] = [];
let hit = 0;
for (const m of corpus.slice(0, limit)) {
  const v = await a.analyse(m.raw, { mailFrom: 'sender@example.org', rcptTo: ['alice@example.test'], ip: '192.0.2.10', helo: 'mail.example.org' });
  if (v.tags.length) hit++;
  lines.push(JSON.stringify({ id: m.id, tags: v.tags, score: v.score, action: v.action, headers: v.headers, rejectText: v.rejectText }));
}
await a.close();
fs.rmSync(dir, { recursive: true, force: true });
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`${lines.length} messages (${hit} with a tag) → ${out}`);
