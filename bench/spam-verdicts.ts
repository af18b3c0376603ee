// The analyser's verdict on every lab corpus message as JSON lines (never run by `npm test`): tags, score, action
// and headers, so a change meant to make analysis faster can be checked to change no verdict — run it before and
// after, then compare the files (`cmp`). DNS goes to a closed port, so DKIM/DMARC answer the same every time.
// With `--dns lab` a stand-in DNS answers instead: a _dmarc record (p=reject, quarantine or none, some only at the
// organisational domain) for most From: domains of the corpus, NXDOMAIN for the rest, and every other message
// has SPF passing for its From: domain, so DMARC's pass, fail and none are all judged (and kept between messages).
//
//   npx tsc -p . && node dist/bench/spam-verdicts.js OUT.jsonl [--limit N] [--dns lab]
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
import { startDnsServer, type DnsRecord, type DnsServer } from '../lab/dns/server.js';

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

/** The domain of a message's first From: address (a rough read: for the stand-in DNS's records only). */
function fromDomain(raw: Buffer): string | undefined {
  const head = raw.subarray(0, 16384).toString('latin1');
  const m = /^from:[^\n]*?@([a-z0-9-]+(?:\.[a-z0-9-]+)+)/im.exec(head);
  return m?.[1].toLowerCase();
}

const POLICIES = ['v=DMARC1; p=reject', 'v=DMARC1; p=quarantine; adkim=s', 'v=DMARC1; p=none', 'v=DMARC1; p=reject; sp=none; aspf=s'];
let dns: DnsServer | undefined;
if (process.argv.includes('--dns') && process.argv[process.argv.indexOf('--dns') + 1] === 'lab') {
  const records: DnsRecord[] = [];
  const seen = new Set<string>();
  for (const m of corpus.slice(0, limit)) {
    const d = fromDomain(m.raw);
    if (!d || seen.has(d)) continue;
    seen.add(d);
    const n = seen.size;
    if (n % 5 === 4) continue; // no record anywhere: dmarc=none
    const labels = d.split('.');
    // every third domain with 3+ labels has its record at the parent only (the organisational-domain lookup)
    const owner = labels.length > 2 && n % 3 === 0 ? labels.slice(1).join('.') : d;
    records.push({ name: `_dmarc.${owner}`, type: 'TXT', data: POLICIES[n % POLICIES.length] });
  }
  dns = await startDnsServer({ zones: records });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-verdicts-'));
const text = `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[dns]\nservers = ["${dns?.address ?? '127.0.0.1:1'}"]\ntimeout = "1s"\n`;
fs.writeFileSync(path.join(dir, 'tegami.toml'), text);
const a = new Analyser(parseConfigText(text, path.join(dir, 'tegami.toml')));
const lines: string[] = [];
let hit = 0;
let i = 0;
for (const m of corpus.slice(0, limit)) {
  const d = dns && i++ % 2 === 0 ? fromDomain(m.raw) : undefined;
  const connection = d ? { tags: [], headers: [], authResults: [`spf=pass smtp.mailfrom=${d}`], spf: { result: 'pass' as const, domain: d } } : undefined;
  const v = await a.analyse(m.raw, { mailFrom: 'sender@example.org', rcptTo: ['alice@example.test'], ip: '192.0.2.10', helo: 'mail.example.org' }, connection);
  if (v.tags.length) hit++;
  lines.push(JSON.stringify({ id: m.id, tags: v.tags, score: v.score, action: v.action, headers: v.headers, rejectText: v.rejectText }));
}
await a.close();
await dns?.close();
fs.rmSync(dir, { recursive: true, force: true });
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`${lines.length} messages (${hit} with a tag) → ${out}`);
