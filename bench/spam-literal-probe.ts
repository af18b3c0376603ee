// How often single rule literals hit the learn half's spam and ham and the lab's written legitimate mail (spam15):
// each literal becomes a LOCAL_ rule read by the real analyser, so the counts are the matcher's own (case, width and
// spacing folded, whole words). Learn half only; never the judged half.
//   node dist/bench/spam-literal-probe.js text "interest rate" "mortgage" …      (the first argument is the rule's `in`)
import { examplesOf } from '../lab/corpora/features.js';
import { bulkHam } from '../lab/corpora/bulk-ham.js';
import { legitBulk } from '../lab/corpora/legit-bulk.js';
import { legitCommerce } from '../lab/corpora/legit-commerce.js';
import { legitLists } from '../lab/corpora/legit-lists.js';
import { loadSpamAssassin } from '../lab/corpora/spamassassin.js';

// argv: in=text literal literal ...
const [where, ...lits] = process.argv.slice(2);
const sa = loadSpamAssassin({ split: 'train' });
if (!sa.ok) throw new Error(sa.reason);
const toml = lits.map((l, i) => `[[rule]]\ntag = "LOCAL_P${i}"\nin = ${JSON.stringify(where)}\nany = [${JSON.stringify(l)}]\nscore = 1\n`).join('\n');
const groups: [string, { raw: Buffer; label: string; id: string; group: string }[]][] = [['learn', sa.messages], ['written(bulk+commerce)', [...legitBulk(), ...bulkHam(), ...legitCommerce()].filter((m) => !m.group.includes('-ja'))], ['lists 8008', legitLists()]];
const res: Record<string, string[]> = {};
for (const [name, msgs] of groups) {
  const ex = await examplesOf(msgs as never, toml);
  lits.forEach((l, i) => {
    const t = `LOCAL_P${i}`;
    const s = ex.filter((e) => e.label === 'spam' && e.tags.includes(t)).length;
    const h = ex.filter((e) => e.label === 'ham' && e.tags.includes(t)).length;
    (res[l] ??= []).push(name === 'learn' ? `${s}/${h}` : `${h}`);
  });
}
console.log('| literal | learn spam/ham | written ham | lists ham |');
for (const [l, v] of Object.entries(res)) console.log(`| ${l} | ${v.join(' | ')} |`);
