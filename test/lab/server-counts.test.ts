// The in-process view spam-fit --judge ranks the judged half by is the server's (issue 18, spam16): learn-half mail
// learnt through the server's own learning code and judged by its analyser scores what lab/corpora/protocol.ts judge()
// gives with the shipped weights and serverCounts (the learn half's counts, no Japanese training mail), and not what it
// gives with the fit's own counts, where the Japanese training mail swells the spam total (the 7-point gap of spam16).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../engine/config/load.js';
import { learnMessages, closeBayesStoresAsync } from '../../engine/spam/learn.js';
import { Analyser } from '../../engine/spam/pipeline.js';
import { loadRuleSet } from '../../engine/spam/rules/rules.js';
import { Counts, examplesOf } from '../../lab/corpora/features.js';
import { japaneseTraining } from '../../lab/corpora/japanese-training.js';
import { judge, serverCounts, shippedModel } from '../../lab/corpora/protocol.js';
import { loadSpamAssassin } from '../../lab/corpora/spamassassin.js';

test('serverCounts: judge() scores learn-half mail as the server that learnt the same English mail; the fit\'s counts with Japanese do not', async (t) => {
  const corpus = loadSpamAssassin({ split: 'train', ham: 300, spam: 120 });
  if (!corpus.ok) return t.skip(corpus.reason);
  const learnt = corpus.messages.filter((_, i) => i % 6 !== 0);
  const judged = corpus.messages.filter((_, i) => i % 6 === 0);
  const japanese = japaneseTraining();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-server-counts-'));
  try {
    learnMessages(dir, learnt.map((m) => ({ raw: m.raw, kind: m.label })));
    const toml = `data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[log]\nfiles = false\n[spam]\ndkim_dmarc = false\n`;
    const a = new Analyser(parseConfigText(toml, path.join(dir, 'tegami.toml')));
    const env = { mailFrom: 'corpus@lab.example.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.1', helo: 'corpus.lab.example.test' };
    const server: number[] = [];
    for (const m of judged) server.push((await a.analyse(m.raw, env, undefined)).score);
    await a.close();

    const [ex, jx, tx] = await Promise.all([examplesOf(learnt), examplesOf(judged), examplesOf(japanese)]);
    const train = [...ex, ...tx.map((e) => ({ ...e, group: 'japanese-train' }))];
    const counts = serverCounts(train);
    assert.equal(counts.spam + counts.ham, learnt.length, 'the server learns the English learn half alone');
    const model = shippedModel(loadRuleSet(undefined, undefined), [...ex, ...jx].flatMap((e) => e.tags), counts);
    const lab = judge(model, jx, true, counts).map((s) => s.score);
    assert.ok(lab.some((s) => s >= 5) && lab.some((s) => s < 0), `a mixed sample: ${lab.join(' ')}`);
    for (let i = 0; i < judged.length; i++) assert.ok(Math.abs(lab[i]! - server[i]!) <= 0.02, `${judged[i]!.id}: in process ${lab[i]}, the server ${server[i]}`);

    const fits = new Counts();
    for (const e of train) fits.add(e);
    const leant = judge(model, jx, true, fits).map((s) => s.score);
    // (by more than the two paths' own agreement above; spam17's weights move them less than spam13's did, which moved
    // most by more than a point, but every move is towards ham: the lean of spam16)
    const moved = leant.filter((s, i) => Math.abs(s - server[i]!) > 0.02).length;
    assert.ok(moved > judged.length / 2, `the Japanese training mail in the counts moves most English verdicts (${moved} of ${judged.length})`);
    assert.ok(leant.every((s, i) => s <= server[i]! + 0.02), `and only towards ham: ${leant.map((s, i) => (s - server[i]!).toFixed(2)).join(' ')}`);
  } finally {
    await closeBayesStoresAsync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
