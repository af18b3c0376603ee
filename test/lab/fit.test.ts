// The weight fit's constraints (lab/corpora/fit.ts): a monotone chain of tags (the Bayes bands) keeps its order
// even where the training mail would pull it out of order, ranges bound each weight, and a per-tag pull holds a tag
// near its prior; and the whole fit starts from the rule file's own scores, so the same mail gives the same weights.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitWeights, isotonic, scoreRow, type Row } from '../../lab/corpora/fit.js';

test('isotonic: adjacent violators pooled to their mean, then each weight into its range', () => {
  const w = Float64Array.from([-2, 3, 1, 4, 0]);
  const lo = Float64Array.from([-6, -6, -6, -6, -6]);
  const hi = Float64Array.from([0, 8, 8, 8, 8]);
  isotonic(w, [0, 1, 2, 3, 4], lo, hi);
  // 3,1 pool to 2; then 4,0 pool to 2; 2,2,2 stay
  assert.deepEqual([...w], [-2, 2, 2, 2, 2]);
  const v = Float64Array.from([1, 0.5]);
  isotonic(v, [0, 1], lo, hi);
  assert.deepEqual([...v], [0, 0.75], 'pooled to 0.75, then the first bounded at 0');
});

// Mid-band mail that is mostly spam in training (as in the learn half, which has no newsletters): the data alone
// would give MID more weight than HIGH; the chain LOW ≤ MID ≤ HIGH and MID's range ≤ 0 forbid it.
function rows(): Row[] {
  const r: Row[] = [];
  for (let i = 0; i < 200; i++) r.push({ features: ['LOW'], label: 'ham', group: 'g' });
  for (let i = 0; i < 30; i++) r.push({ features: ['MID'], label: 'spam', group: 'g' });
  for (let i = 0; i < 3; i++) r.push({ features: ['MID'], label: 'ham', group: 'g' });
  for (let i = 0; i < 20; i++) r.push({ features: ['HIGH'], label: 'spam', group: 'g' });
  for (let i = 0; i < 10; i++) r.push({ features: ['HIGH'], label: 'ham', group: 'g' });
  return r;
}

const base = { hamCost: 1, l2: 0.00001, epochs: 600, prior: () => 0, range: (): [number, number] => [-6, 8] };

test('fitWeights: without a chain the mid band outgrows the high one; with it the order holds and MID stays ≤ 0', () => {
  const free = fitWeights(rows(), base);
  assert.ok(free.weights.get('MID')! > free.weights.get('HIGH')!, `free fit: MID ${free.weights.get('MID')} HIGH ${free.weights.get('HIGH')}`);
  const tied = fitWeights(rows(), { ...base, monotone: [['LOW', 'MID', 'HIGH']], range: (t) => (t === 'HIGH' ? [-6, 8] : [-6, 0]) });
  const [lo, mid, hi] = ['LOW', 'MID', 'HIGH'].map((t) => tied.weights.get(t)!);
  assert.ok(lo <= mid && mid <= hi, `order: ${lo} ${mid} ${hi}`);
  assert.ok(mid <= 0, `MID ${mid}`);
});

test('fitWeights: a strong per-tag pull keeps that tag near its prior while others move', () => {
  const r: Row[] = [];
  for (let i = 0; i < 100; i++) r.push({ features: ['A', 'B'], label: 'spam', group: 'g' });
  for (let i = 0; i < 100; i++) r.push({ features: [], label: 'ham', group: 'g' });
  const f = fitWeights(r, { ...base, l2Of: (t) => (t === 'A' ? 1 : 0.00001) });
  assert.ok(Math.abs(f.weights.get('A')!) < 0.5, `A ${f.weights.get('A')}`);
  assert.ok(f.weights.get('B')! > 3, `B ${f.weights.get('B')}`);
});

test('fitWeights and scoreRow: a valued feature (the Bayes log-odds) counts its weight times its value', () => {
  const r: Row[] = [];
  // spam at log-odds 3 to 6, ham at −6 to 1: the threshold 5 falls between them only through the value
  for (let i = 0; i < 100; i++) r.push({ features: ['ODDS'], values: { ODDS: 3 + (i % 4) }, label: 'spam', group: 'g' });
  for (let i = 0; i < 100; i++) r.push({ features: ['ODDS'], values: { ODDS: -6 + (i % 8) }, label: 'ham', group: 'g' });
  const f = fitWeights(r, { ...base, prior: () => 0, range: () => [0, 5] });
  const w = f.weights.get('ODDS')!;
  assert.ok(w > 0.5, `ODDS ${w}`);
  assert.equal(scoreRow(['ODDS'], f.weights, () => 0, { ODDS: 4 }), Math.round(4 * w * 1000) / 1000);
  assert.equal(scoreRow(['ODDS'], f.weights), w, 'without a value it counts once');
});

test('the fit is the same every time: its priors are the rule file\'s own scores, never the fitted file read back (spam9)', async () => {
  const { fitPriorRules, trainModel } = await import('../../lab/corpora/protocol.js');
  const { ruleSetFromText } = await import('../../engine/spam/rules/rules.js');
  const shipped = ruleSetFromText(undefined, { fitted: false });
  const withFitted = ruleSetFromText(undefined);
  const priors = fitPriorRules();
  // a tag whose fitted weight differs from its rule's own score: the fit must start from the latter
  const tag = shipped.rules.map((r) => r.tag).find((t) => withFitted.weight(t, 'no_bayes') !== shipped.weight(t, 'no_bayes'));
  assert.ok(tag, 'some fitted weight differs from its rule score');
  assert.equal(priors.weight(tag, 'no_bayes'), shipped.weight(tag, 'no_bayes'), `${tag}: the prior is default.toml's score`);
  // two fits of the same mail give the same weights
  const ex = (id: string, label: 'spam' | 'ham', tags: string[]) => ({ id, group: 'g', label, tags, tokens: [`w${id}`, label === 'spam' ? 'cheap' : 'meeting'], date: 0 });
  const train = Array.from({ length: 60 }, (_, i) => (i % 3 ? ex(`h${i}`, 'ham', i % 5 ? [] : ['EN_CLICK_HERE']) : ex(`s${i}`, 'spam', ['EN_CLICK_HERE', 'JA_AD_MARK_SUBJECT'])));
  const a = trainModel(train);
  const b = trainModel(train);
  assert.deepEqual([...a.noBayes.weights], [...b.noBayes.weights]);
  assert.deepEqual([...a.withBayes.weights], [...b.withBayes.weights]);
});

test('with Bayes voting, a rule on how the message was made gains weight where a content rule with the same hits stays near none (spam8)', async () => {
  const { DEFAULT_PROTOCOL, HOW_MADE_TAGS, trainModel } = await import('../../lab/corpora/protocol.js');
  assert.ok(HOW_MADE_TAGS.has('HDR_DATE_MALFORMED') && !HOW_MADE_TAGS.has('EN_CLICK_HERE'));
  const ex = (id: string, label: 'spam' | 'ham', words: string[], tags: string[]) => ({ id, group: 'g', label, tags, tokens: [...words, `w${id}`], date: 0 });
  // spam Bayes knows, spam written in the ham's words (Bayes says ham) that both rules catch, and ham neither hits
  const train = [
    ...Array.from({ length: 100 }, (_, i) => ex(`s${i}`, 'spam', ['cheap', 'offer'], [])),
    ...Array.from({ length: 4 }, (_, i) => ex(`t${i}`, 'spam', ['meeting', 'agenda'], ['EN_CLICK_HERE', 'HDR_DATE_MALFORMED'])),
    ...Array.from({ length: 200 }, (_, i) => ex(`h${i}`, 'ham', ['meeting', 'agenda'], [])),
  ];
  // at the with-Bayes ham cost spam8 chose the pull with (8): at spam17's 0.25, which only places 5, both rules reach the
  // top of their range on this small set whatever their pull
  const o = { ...DEFAULT_PROTOCOL, withBayesHamCost: 8 };
  const shipped = trainModel(train, o).withBayes.weights;
  const before = trainModel(train, { ...o, howMadeL2: DEFAULT_PROTOCOL.withBayesL2 }).withBayes.weights;
  const made = shipped.get('HDR_DATE_MALFORMED')!;
  const said = shipped.get('EN_CLICK_HERE')!;
  assert.ok(made > said + 0.3, `HDR_DATE_MALFORMED ${made}, EN_CLICK_HERE ${said}`);
  // with the content rules' pull (as before spam8) the two are weighed alike
  assert.ok(Math.abs(before.get('HDR_DATE_MALFORMED')! - before.get('EN_CLICK_HERE')!) < 0.05, JSON.stringify([...before]));
});

test('the written bulk mail joins the with-Bayes fit as ham: a newsletter Bayes leans to spam on is no longer scored by bands fitted on spam alone (spam12)', async () => {
  const { judge, trainModel, DEFAULT_PROTOCOL, WITH_BAYES_BULK } = await import('../../lab/corpora/protocol.js');
  // measured by spam12 and not shipped then (hand-written Japanese spam after learning 46 -> 35 of 62); shipped by spam17
  assert.equal(WITH_BAYES_BULK, Number(process.env.FIT_WITH_BAYES_BULK ?? 2), 'twice its count as shipped since spam17');
  const ex = (id: string, group: string, label: 'spam' | 'ham', words: string[], tags: string[]) => ({ id, group, label, tags, tokens: [...words, `w${id}`], date: 0 });
  // the learn half: spam in sales words, ham in discussion words; the bulk mail writes sales words too, and is ham
  const train = [
    ...Array.from({ length: 120 }, (_, i) => ex(`s${i}`, 'spam', 'spam', ['cheap', 'offer', 'sale'], i % 2 ? ['MIME_HTML_ONLY'] : [])),
    ...Array.from({ length: 300 }, (_, i) => ex(`h${i}`, 'easy_ham', 'ham', ['meeting', 'agenda', 'patch'], [])),
  ];
  const bulk = Array.from({ length: 60 }, (_, i) => ex(`b${i}`, 'legit-bulk', 'ham', ['offer', 'sale', 'news'], ['MIME_HTML_ONLY']));
  const without = trainModel(train);
  const withBulk = trainModel(train, { ...DEFAULT_PROTOCOL, withBayesBulk: 2 }, undefined, bulk);
  // nothing of the bulk mail is learnt: Bayes is the same, the weights are not
  assert.equal(withBulk.counts.spam, without.counts.spam);
  assert.equal(withBulk.counts.ham, without.counts.ham);
  const unseen = [ex('n1', 'legit-bulk', 'ham', ['offer', 'sale', 'news'], ['MIME_HTML_ONLY'])];
  const [a] = judge(without, unseen);
  const [b] = judge(withBulk, unseen);
  assert.ok(a.sure && b.sure, 'Bayes votes on it');
  assert.ok(b.score < a.score - 0.5, `a newsletter scores ${b.score} with the bulk mail in the fit, ${a.score} without`);
  const spam = judge(withBulk, [ex('n2', 'spam', 'spam', ['cheap', 'offer', 'sale'], ['MIME_HTML_ONLY'])])[0];
  assert.ok(spam.score > b.score, `spam ${spam.score}, newsletter ${b.score}`);
});

test('the ranking term (a FIT_RANK trial) pushes the highest-scoring hams under the spam: a tag only they carry falls further than the log loss alone takes it (spam12)', () => {
  const rows: Row[] = [];
  for (let i = 0; i < 200; i++) rows.push({ features: i % 4 ? ['X'] : ['X', 'Y'], label: 'spam', group: 'g' });
  // 2% of the ham carries the spam's tag and one of its own: the hams a low-FP cut-off sits on
  for (let i = 0; i < 1000; i++) rows.push({ features: i % 50 ? [] : ['X', 'T'], label: 'ham', group: 'g' });
  const base = { hamCost: 8, l2: 0.001, epochs: 400, prior: () => 0, range: (): [number, number] => [-5, 8] };
  const plain = fitWeights(rows, base).weights;
  const ranked = fitWeights(rows, { ...base, rank: { weight: 0.3, share: 0.02 } }).weights;
  assert.ok(ranked.get('T')! < plain.get('T')! - 1, `T ${ranked.get('T')} with the ranking term, ${plain.get('T')} without`);
  const gap = (w: ReadonlyMap<string, number>) => scoreRow(['X'], w) - scoreRow(['X', 'T'], w);
  assert.ok(gap(ranked) > gap(plain) + 1, 'the lowest spam sits further over the top hams');
  // off (no weight) is the plain fit, to the bit
  assert.deepEqual([...fitWeights(rows, { ...base, rank: { weight: 0, share: 0.02 } }).weights], [...plain]);
});

test('the generated Japanese training mail out of fold by template: Bayes no longer knows a message from its siblings, so the with-Bayes fit gives a Japanese rule the weight Bayes alone lacks (spam14)', async () => {
  const { DEFAULT_PROTOCOL, judge, templateKey, trainModel } = await import('../../lab/corpora/protocol.js');
  assert.equal(templateKey({ id: 'jt-phish-12', group: 'japanese-train', label: 'spam', tags: [], tokens: [], date: 0 }), 'jt-phish');
  assert.equal(templateKey({ id: 'jp-0003', group: 'japanese-gen', label: 'spam', tags: [], tokens: ['subject:重要', 'from:x', 'subject:確認'], date: 0 }), 'spam:subject:重要 subject:確認');
  assert.equal(templateKey({ id: 'spam-17', group: 'spam', label: 'spam', tags: [], tokens: [], date: 0 }), 'spam-17');
  const ex = (id: string, group: string, label: 'spam' | 'ham', words: string[], tags: string[]) => ({ id, group, label, tags, tokens: [...words, `w${id}`], date: 0 });
  // English mail, and Japanese spam of four templates (each its own wording beside words every Japanese spam shares)
  // that a Japanese rule hits, and Japanese ham of two templates
  const train = [
    ...Array.from({ length: 120 }, (_, i) => ex(`s${i}`, 'spam', 'spam', ['cheap', 'offer', 'sale', 'now'], [])),
    ...Array.from({ length: 300 }, (_, i) => ex(`h${i}`, 'easy_ham', 'ham', ['meeting', 'agenda', 'patch', 'list'], [])),
    ...[0, 1, 2, 3].flatMap((k) => Array.from({ length: 30 }, (_, i) => ex(`jt-k${k}-${i}`, 'japanese-train', 'spam', ['お客様', 'ご案内', '確認', `kind${k}`, `kind${k}b`], ['JA_PHISH_VERIFY']))),
    ...[0, 1].flatMap((k) => Array.from({ length: 60 }, (_, i) => ex(`jt-h${k}-${i}`, 'japanese-train', 'ham', ['お客様', 'ご案内', '会議', `hkind${k}`, `hkind${k}b`], []))),
  ];
  const byId = trainModel(train, { ...DEFAULT_PROTOCOL, jaL2: 1, templateOutOfFold: false });
  const byTemplate = trainModel(train, { ...DEFAULT_PROTOCOL, jaL2: 1, templateOutOfFold: true });
  const wId = byId.withBayes.weights.get('JA_PHISH_VERIFY') ?? 0;
  const wTemplate = byTemplate.withBayes.weights.get('JA_PHISH_VERIFY') ?? 0;
  assert.ok(wTemplate > wId + 0.15, `JA_PHISH_VERIFY with Bayes: ${wTemplate} by template, ${wId} by id`);
  // the same counts (nothing else is learnt); a Japanese spam of a fifth template, which Bayes is less sure of, scores higher
  assert.equal(byTemplate.counts.spam, byId.counts.spam);
  const fresh = [ex('jt-k9-0', 'japanese-written', 'spam', ['お客様', 'ご案内', '確認', 'kind9', 'kind9b'], ['JA_PHISH_VERIFY'])];
  const [a] = judge(byId, fresh);
  const [b] = judge(byTemplate, fresh);
  assert.ok(a.sure && b.sure, 'Bayes votes on it');
  assert.ok(b.score > a.score, `a new template's spam: ${b.score} by template, ${a.score} by id`);
});
