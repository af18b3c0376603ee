// spam-corpus: trains a lab-started tegami on the SpamAssassin learn half (`tegami spam learn`; or nothing, as a new
// install), replays the judged half plus Japanese ham and spam over SMTP (in one batch, or one by one in Date order
// with the user correcting mistakes over IMAP), and scores the verdicts it wrote: the confusion matrix at the default
// verdict, spam recall at ham false positives ≤ 0.5% and ≤ 1% from the verdict's score, per corpus group; with
// `kfold`, k folds over the whole corpus in process beside it. The judged half is scored once and never fitted on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadRuleSet } from '../../../engine/spam/rules/rules.js';
import { learnHalfFold, loadSpamAssassin, LICENCE_NOTICE, type CorpusMessage } from '../../corpora/spamassassin.js';
import { japaneseCorpus } from '../../corpora/japanese.js';
import { japaneseWritten } from '../../corpora/japanese-written.js';
import { japaneseTraining } from '../../corpora/japanese-training.js';
import { examplesOf, foldOf } from '../../corpora/features.js';
import { pct } from '../../corpora/fit.js';
import { kFold } from '../../corpora/protocol.js';
import { legitBulk } from '../../corpora/legit-bulk.js';
import { bulkHam } from '../../corpora/bulk-ham.js';
import { REFERENCE, REFERENCE_BEST, referenceApplies } from '../../corpora/reference.js';
import { curveOf, scoreOf, scoreVerdicts } from '../../corpora/score.js';
import { SmtpClient } from '../../smtp/client.js';
import { TEGAMI_BIN } from '../../targets/tegami.js';
import { freePort } from '../../targets/common.js';
import type { RunContext, LabTarget } from '../context.js';
import { headerValue, waitForDeliveries, type Delivered } from './mailbox.js';
import { replayInDateOrder } from './spam-replay.js';

const ID_HEADER = 'X-Lab-Corpus-Id';

function tagged(m: { id: string; raw: Buffer }): Buffer {
  const s = m.raw.toString('latin1').replace(new RegExp(`^${ID_HEADER}:.*\\r\\n`, 'im'), '');
  return Buffer.from(`${ID_HEADER}: ${m.id}\r\n${s}`, 'latin1');
}

function learn(t: LabTarget, kind: 'spam' | 'ham', msgs: ReadonlyArray<Pick<CorpusMessage, 'raw'>>): string {
  if (!msgs.length) return `learnt no ${kind}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lab-learn-${kind}-`));
  try {
    msgs.forEach((m, i) => fs.writeFileSync(path.join(dir, `${i}.eml`), m.raw));
    const r = spawnSync(process.execPath, [TEGAMI_BIN, 'spam', 'learn', `--${kind}`, dir, '--config', t.configPath!], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`tegami spam learn --${kind}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type Message = { id: string; group: string; label: 'spam' | 'ham'; raw: Buffer };

/** Every message in one SMTP session; refusals are remembered (a refusal at DATA is a spam verdict). */
async function sendBatch(ctx: RunContext, t: LabTarget, messages: Message[], o: { rcpt: string; mailFrom: string; ehlo: string; localAddress?: string }): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  const c = await SmtpClient.connect(t.host, t.port, { timeoutMs: 60_000, transcript: false, localAddress: o.localAddress });
  await c.reply();
  await c.ehlo(o.ehlo);
  for (const [i, m] of messages.entries()) {
    ctx.progress(`${t.name}: replay ${i + 1}/${messages.length}`);
    const mail = await c.cmd(`MAIL FROM:<${o.mailFrom}>`);
    const rc = mail.code === 250 ? await c.cmd(`RCPT TO:<${o.rcpt}>`) : mail;
    if (rc.code !== 250) {
      refused.set(m.id, `${rc.code} ${rc.text}`);
      await c.cmd('RSET');
      continue;
    }
    const end = (await c.data(tagged(m))).end;
    if (end.code >= 500) refused.set(m.id, `${end.code} ${end.text}`);
    else if (end.code !== 250) ctx.notes.push(`${t.name}: ${m.id}: ${end.code} ${end.text}`);
  }
  await c.quit();
  ctx.progressDone();
  return refused;
}

export async function spamCorpus(ctx: RunContext): Promise<() => Promise<void>> {
  const full = ctx.scenario.spam;
  const cut = (n: number) => (ctx.opts.quick ? Math.ceil(n / 4) : n);
  const s = { ...full, train_ham: cut(full.train_ham), train_spam: cut(full.train_spam), eval_ham: cut(full.eval_ham), eval_spam: cut(full.eval_spam), japanese: cut(full.japanese), kfold: ctx.opts.quick ? 0 : full.kfold };
  if (s.replay === 'date-order') ctx.tegamiListen.imap = await freePort();
  return async () => {
    const fold = s.judge_learn_fold === undefined ? undefined : learnHalfFold(s.judge_learn_fold, foldOf);
    if (fold && !fold.ok) throw new Error(fold.reason);
    // judge_learn_fold: a diagnostic inside the learn half (bench/spam-paths.ts); the judged half is not read
    const train = fold?.ok ? { ok: true as const, messages: s.learn ? fold.learnt : [] } : s.learn ? loadSpamAssassin({ split: 'train', ham: s.train_ham, spam: s.train_spam }) : ({ ok: true, messages: [] } as const);
    const evalSet = fold?.ok ? { ok: true as const, messages: fold.judged } : s.eval_ham + s.eval_spam > 0 ? loadSpamAssassin({ split: 'eval', ham: s.eval_ham, spam: s.eval_spam }) : ({ ok: true, messages: [] } as const);
    if (!train.ok || !evalSet.ok) throw new Error(train.ok ? (evalSet as { reason: string }).reason : train.reason);
    if (train.messages.length || evalSet.messages.length) ctx.notes.push(LICENCE_NOTICE);
    const messages: Message[] = [...evalSet.messages, ...japaneseCorpus({ count: s.japanese, seed: 11 }), ...(s.japanese_written ? japaneseWritten() : [])];
    const about = loadRuleSet(undefined, undefined).about;
    const protocol = [
      `Weights: engine/spam/rules/scores.toml, fitted by bench/spam-fit.ts on ${about.fitted_on ?? 'the learn half'}; the judged half (easy_ham_2, hard_ham, spam_2) and the hand-written Japanese set are never fitted on, and this run scores them once. The generated Japanese mail judged here (seed 11) comes from the same templates as 400 fitting messages (seed 101), so its figure is not independent.`,
      s.learn ? `Bayes: ${train.messages.length} messages of the learn half${s.learn_japanese ? ' and the Japanese training mail the weights were fitted with' : ''} learnt through \`tegami spam learn\` before the replay.` : 'Bayes: nothing learnt (a new install): the rules decide alone.',
      'Recall at ham FP ≤ x: the share of spam scoring over the lowest cut-off that leaves at most ⌊x · ham⌋ hams over it (a spam level with a ham is not over); a refusal scores +∞, a message without a verdict −∞. The cut-offs and recall come from the SpamAssassin judged half alone (comparable with the reference filters); the Japanese groups are counted against the same cut-offs.',
      ...(s.replay === 'date-order' ? ['Replay: one message at a time in Date order; the user moves every misfiled message over IMAP (training their own counts) before the next arrives; each verdict is read before its correction.'] : []),
    ];
    for (const t of ctx.targets) {
      ctx.say(`== ${t.name} (${t.host}:${t.port})`);
      if (!t.local || !t.configPath || !t.maildir) {
        ctx.notes.push(`${t.name}: spam-corpus reads verdicts from the mailbox, so it needs a target the lab started; skipped`);
        continue;
      }
      // with learn_japanese, the same Japanese training mail the weights were fitted with (spam-fit's counts)
      const learnt = [...train.messages, ...(s.learn && s.learn_japanese ? [...japaneseCorpus({ count: 400, seed: 101 }), ...japaneseTraining()] : [])];
      ctx.say(learn(t, 'spam', learnt.filter((m) => m.label === 'spam')));
      ctx.say(learn(t, 'ham', learnt.filter((m) => m.label === 'ham')));
      const rcpt = ctx.scenario.targets.user;
      const names = Array.isArray(s.verdict_header) ? s.verdict_header : [s.verdict_header];
      const pattern = new RegExp(s.spam_pattern, 'i');
      const headerOf = (d: Delivered) => names.map((n) => headerValue(d.raw, n)).find((v) => v !== undefined);
      const isSpam = (d: Delivered) => d.folder.toLowerCase() === 'spam' || pattern.test(headerOf(d) ?? '');
      const send = { rcpt, mailFrom: s.mail_from, ehlo: s.ehlo, localAddress: s.client_ip };
      let delivered: Map<string, Delivered>;
      let refused = new Map<string, string>();
      let corrections: number | undefined;
      if (s.replay === 'date-order') {
        const r = await replayInDateOrder(ctx, t, messages, { ...send, idHeader: ID_HEADER, tag: tagged, waitMs: s.deliver_wait, isSpam });
        delivered = new Map([...r.verdicts].filter(([, v]) => v.delivered).map(([id, v]) => [id, v.delivered!]));
        refused = new Map([...r.verdicts].filter(([, v]) => v.refused).map(([id, v]) => [id, v.refused!]));
        corrections = r.corrections;
        if (r.uncorrected.length) ctx.notes.push(`${t.name}: ${r.uncorrected.length} misfiled message(s) not found over IMAP to move, so not corrected: ${r.uncorrected.slice(0, 5).join(', ')}`);
      } else {
        refused = await sendBatch(ctx, t, messages, send);
        delivered = await waitForDeliveries(t.maildir(rcpt), ID_HEADER, messages.length - refused.size, s.deliver_wait);
      }
      const judged = messages.map((m) => {
        if (refused.has(m.id)) return { group: m.group, label: m.label, verdict: 'spam' as const, score: Infinity };
        const d = delivered.get(m.id);
        if (!d) return { group: m.group, label: m.label, verdict: undefined, score: -Infinity };
        const h = headerOf(d);
        const verdict = h === undefined && d.folder.toLowerCase() !== 'spam' ? undefined : isSpam(d) ? ('spam' as const) : ('ham' as const);
        return { group: m.group, label: m.label, verdict, score: scoreOf(h) ?? (verdict === 'spam' ? Infinity : -Infinity) };
      });
      // the cut-offs come from the SpamAssassin judged half alone, so the figures compare with the reference filters'
      const judgedSa = new Set(judged.slice(0, evalSet.messages.length));
      // the tags only a run over SMTP can have (connection and sender-authentication checks): how often they weigh on
      // the judged half, and the ranking with their weights taken out (what the in-process run ranks)
      const withoutConnection = messages.map((m, i) => {
        const d = delivered.get(m.id);
        const h = d ? headerOf(d) : undefined;
        const weights = connectionWeights(h);
        return { ...judged[i]!, score: judged[i]!.score - weights.reduce((a, [, w]) => a + w, 0), weights };
      });
      const weighed = new Map<string, [number, number]>();
      for (const x of withoutConnection.slice(0, evalSet.messages.length)) for (const [tag] of x.weights) (weighed.get(tag) ?? weighed.set(tag, [0, 0]).get(tag)!)[x.label === 'spam' ? 0 : 1]++;
      const saOff = new Set(withoutConnection.slice(0, evalSet.messages.length));
      const curveOff = curveOf(withoutConnection, (i) => saOff.has(i));
      ctx.notes.push(`${t.name}: connection and authentication tags with a weight on the SpamAssassin judged half (spam/ham): ${[...weighed].map(([tag, [sp, hm]]) => `${tag} ${sp}/${hm}`).join(', ') || 'none'}; the ranking without their weights ${pct(curveOff.at_fp_05)} / ${pct(curveOff.at_fp_1)}`);
      if (s.verdicts_file) writeVerdicts(s.verdicts_file, messages, (id) => delivered.get(id), refused, headerOf);
      const score = scoreVerdicts(judged);
      const curve = curveOf(judged, (i) => judgedSa.has(i));
      score.at_fp_05 = curve.at_fp_05;
      score.at_fp_1 = curve.at_fp_1;
      for (const [g, v] of Object.entries(curve.groups)) if (score.groups?.[g]) Object.assign(score.groups[g], v);
      if (judgedSa.size) {
        const sa = scoreVerdicts([...judgedSa]);
        score.split_default = { recall: sa.recall, ham_fp_rate: sa.ham_fp_rate };
      }
      score.protocol = protocol;
      if (corrections !== undefined) score.replay = { order: 'date', corrections };
      if (referenceApplies(evalSet.messages)) score.reference = REFERENCE;
      const rep = ctx.report(t);
      rep.spam = score;
      ctx.say(`${t.name}: ${score.total} messages (${evalSet.messages.length} SpamAssassin judged + ${s.japanese} generated Japanese${s.japanese_written ? ' + the hand-written Japanese set' : ''}); TP ${score.tp} FP ${score.fp} TN ${score.tn} FN ${score.fn} unknown ${score.unknown}; precision ${score.precision} recall ${score.recall} ham FP ${(score.ham_fp_rate * 100).toFixed(2)}%${corrections !== undefined ? `; ${corrections} corrections over IMAP` : ''}`);
      if (score.split_default) ctx.say(`  the SpamAssassin judged half alone, default verdict: recall ${pct(score.split_default.recall)}, ham FP ${pct(score.split_default.ham_fp_rate, 2)}`);
      ctx.say(`  spam recall at ham FP ≤ 0.5%: ${pct(curve.at_fp_05)}, at ≤ 1%: ${pct(curve.at_fp_1)} (cut-offs from ${evalSet.messages.length ? 'the SpamAssassin judged ham' : 'all judged ham'})`);
      for (const [g, v] of Object.entries(score.groups ?? {})) ctx.say(`  ${g} (${v.label}): ${v.judged_spam}/${v.total} judged spam; over the 0.5% cut-off ${v.above_fp_05}, over the 1% cut-off ${v.above_fp_1}`);
      if (score.reference) for (const r of score.reference) ctx.say(`  reference, ${r.filter}: ${r.at_fp_05 === null ? '—' : pct(r.at_fp_05)} / ${r.at_fp_1 === null ? '—' : pct(r.at_fp_1)}`);
      ctx.check(`${t.name}: every replayed message got a verdict`, score.unknown === 0, '0 without a verdict', `${score.unknown} without (delivered ${delivered.size}, refused ${refused.size})`);
      const e = ctx.scenario.expect;
      if (e.min_precision !== undefined) ctx.check(`${t.name}: precision ≥ ${e.min_precision}`, score.precision >= e.min_precision, `≥ ${e.min_precision}`, String(score.precision));
      if (e.min_recall !== undefined) ctx.check(`${t.name}: recall ≥ ${e.min_recall}`, score.recall >= e.min_recall, `≥ ${e.min_recall}`, String(score.recall));
      if (e.max_ham_fp_rate !== undefined) ctx.check(`${t.name}: ham judged spam ≤ ${(e.max_ham_fp_rate * 100).toFixed(2)}%`, score.ham_fp_rate <= e.max_ham_fp_rate, `≤ ${e.max_ham_fp_rate}`, String(score.ham_fp_rate));
      if (e.min_recall_at_fp_05 !== undefined) ctx.check(`${t.name}: recall at ham FP ≤ 0.5% ≥ ${pct(e.min_recall_at_fp_05)}`, curve.at_fp_05 >= e.min_recall_at_fp_05, `≥ ${e.min_recall_at_fp_05}`, String(curve.at_fp_05));
      if (e.min_recall_at_fp_1 !== undefined) ctx.check(`${t.name}: recall at ham FP ≤ 1% ≥ ${pct(e.min_recall_at_fp_1)}`, curve.at_fp_1 >= e.min_recall_at_fp_1, `≥ ${e.min_recall_at_fp_1}`, String(curve.at_fp_1));
      if (e.beat_reference) {
        ctx.check(`${t.name}: ahead of every reference filter at ham FP ≤ 0.5% (best ${pct(REFERENCE_BEST.at_fp_05)})`, curve.at_fp_05 > REFERENCE_BEST.at_fp_05, `> ${REFERENCE_BEST.at_fp_05}`, String(curve.at_fp_05));
        ctx.check(`${t.name}: ahead of every reference filter at ham FP ≤ 1% (best ${pct(REFERENCE_BEST.at_fp_1)})`, curve.at_fp_1 > REFERENCE_BEST.at_fp_1, `> ${REFERENCE_BEST.at_fp_1}`, String(curve.at_fp_1));
      }
      if (e.min_group_recall !== undefined) {
        for (const [g, v] of Object.entries(score.groups ?? {})) if (v.label === 'spam') ctx.check(`${t.name}: ${g} judged spam ≥ ${pct(e.min_group_recall)}`, v.judged_spam / v.total >= e.min_group_recall, `≥ ${e.min_group_recall}`, `${v.judged_spam}/${v.total}`);
      }
    }
    if (s.kfold > 0) await kFoldFigures(ctx, s.kfold);
  };
}

/** k folds over the whole SpamAssassin corpus, in process: per fold, weights refitted and Bayes learnt on the rest. */
async function kFoldFigures(ctx: RunContext, k: number): Promise<void> {
  const all = [loadSpamAssassin({ split: 'train' }), loadSpamAssassin({ split: 'eval' })];
  if (!all[0].ok || !all[1].ok) throw new Error('corpus unavailable');
  ctx.say(`k folds: tagging ${all[0].messages.length + all[1].messages.length} messages through the analyser…`);
  const examples = await examplesOf([...all[0].messages, ...all[1].messages]);
  // the written legitimate bulk mail joins each fold's fits as spam-fit --judge does (protocol.ts NO_BAYES_BULK, WITH_BAYES_BULK)
  const kf = kFold(examples, k, undefined, undefined, await examplesOf([...legitBulk(), ...bulkHam()]));
  const f = kf.combined;
  ctx.say(`${k} folds over the whole corpus (${examples.length} messages; weights refitted and Bayes learnt on each fold's other ${k - 1}): recall at ham FP ≤ 0.5% ${pct(f.at05)}, at ≤ 1% ${pct(f.at1)}, default ${pct(f.recall)} at ham FP ${pct(f.fpRate, 2)}; Bayes alone ${pct(kf.bayes.at05)} / ${pct(kf.bayes.at1)}; per fold at ≤ 0.5%: ${kf.perFold.map((p) => pct(p.at05)).join(', ')}`);
  for (const t of ctx.targets) {
    const rep = ctx.reports.get(t.name);
    if (rep?.spam) rep.spam.kfold = { k, messages: examples.length, at_fp_05: f.at05, at_fp_1: f.at1, recall: f.recall, ham_fp_rate: f.fpRate, bayes_at_fp_05: kf.bayes.at05, bayes_at_fp_1: kf.bayes.at1 };
  }
  const e = ctx.scenario.expect;
  if (e.min_recall_at_fp_05 !== undefined) ctx.check(`${k} folds: recall at ham FP ≤ 0.5% ≥ ${pct(e.min_recall_at_fp_05)}`, f.at05 >= e.min_recall_at_fp_05, `≥ ${e.min_recall_at_fp_05}`, String(f.at05));
  if (e.min_recall_at_fp_1 !== undefined) ctx.check(`${k} folds: recall at ham FP ≤ 1% ≥ ${pct(e.min_recall_at_fp_1)}`, f.at1 >= e.min_recall_at_fp_1, `≥ ${e.min_recall_at_fp_1}`, String(f.at1));
  // no beat_reference check here: the reference filters were measured on the fixed split only, and shuffled folds put
  // newsletters in the learning half, which the fixed split does not; comparing the two would flatter tegami
}

/** The tags of a verdict header that only a run over SMTP can have (connection and sender authentication), with their weights. */
function connectionWeights(header: string | undefined): Array<[string, number]> {
  const tags = header ? /\btags=(\S+)/.exec(header)?.[1] ?? '' : '';
  const out: Array<[string, number]> = [];
  for (const m of tags.matchAll(/([A-Z][A-Z0-9_]*)\((-?\d+(?:\.\d+)?)\)/g)) {
    if (/^(?:SPF_|DKIM_|DMARC_|VAL|DNSBL|CONNECTION_CAP$)/.test(m[1]!) && Number(m[2]) !== 0) out.push([m[1]!, Number(m[2])]);
  }
  return out;
}

/** Each judged message's id, label, folder and verdict header (JSON lines), for bench/spam-paths.ts's per-message diff. */
function writeVerdicts(file: string, messages: Message[], delivered: (id: string) => Delivered | undefined, refused: Map<string, string>, headerOf: (d: Delivered) => string | undefined): void {
  const lines = messages.map((m) => {
    const d = delivered(m.id);
    return JSON.stringify({ id: m.id, group: m.group, label: m.label, folder: d?.folder, header: d ? headerOf(d) : undefined, refused: refused.get(m.id) });
  });
  fs.writeFileSync(file, lines.join('\n') + '\n');
}
