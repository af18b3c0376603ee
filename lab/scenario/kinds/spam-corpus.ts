// spam-corpus: trains a lab-started tegami on the SpamAssassin train split (`tegami spam learn`), replays
// an evaluation sample plus generated Japanese ham and spam over SMTP, and scores the verdicts it wrote
// (verdict header, or a refusal at DATA) into precision, recall and a confusion matrix.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadSpamAssassin, LICENCE_NOTICE, type CorpusMessage } from '../../corpora/spamassassin.js';
import { japaneseCorpus } from '../../corpora/japanese.js';
import { scoreVerdicts } from '../../corpora/score.js';
import { SmtpClient } from '../../smtp/client.js';
import { TEGAMI_BIN } from '../../targets/tegami.js';
import type { RunContext, LabTarget } from '../context.js';
import { headerValue, waitForDeliveries } from './mailbox.js';

const ID_HEADER = 'X-Lab-Corpus-Id';

function tagged(m: { id: string; raw: Buffer }): Buffer {
  const s = m.raw.toString('latin1').replace(new RegExp(`^${ID_HEADER}:.*\\r\\n`, 'im'), '');
  return Buffer.from(`${ID_HEADER}: ${m.id}\r\n${s}`, 'latin1');
}

function learn(t: LabTarget, kind: 'spam' | 'ham', msgs: CorpusMessage[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lab-learn-${kind}-`));
  try {
    msgs.forEach((m, i) => fs.writeFileSync(path.join(dir, `${i}.eml`), m.raw));
    const r = spawnSync(process.execPath, [TEGAMI_BIN, 'spam', 'learn', `--${kind}`, dir, '--config', t.configPath!], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`tegami spam learn --${kind}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout.trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function spamCorpus(ctx: RunContext): Promise<() => Promise<void>> {
  const full = ctx.scenario.spam;
  const cut = (n: number) => (ctx.opts.quick ? Math.ceil(n / 4) : n);
  const s = { ...full, train_ham: cut(full.train_ham), train_spam: cut(full.train_spam), eval_ham: cut(full.eval_ham), eval_spam: cut(full.eval_spam), japanese: cut(full.japanese) };
  return async () => {
    ctx.notes.push(LICENCE_NOTICE);
    const train = loadSpamAssassin({ split: 'train', ham: s.train_ham, spam: s.train_spam });
    const evalSet = loadSpamAssassin({ split: 'eval', ham: s.eval_ham, spam: s.eval_spam });
    if (!train.ok || !evalSet.ok) throw new Error(train.ok ? (evalSet as { reason: string }).reason : train.reason);
    const messages: Array<{ id: string; group: string; label: 'spam' | 'ham'; raw: Buffer }> = [...evalSet.messages, ...japaneseCorpus({ count: s.japanese, seed: 11 })];
    for (const t of ctx.targets) {
      ctx.say(`== ${t.name} (${t.host}:${t.port})`);
      if (!t.local || !t.configPath || !t.maildir) {
        ctx.notes.push(`${t.name}: spam-corpus reads verdicts from the mailbox, so it needs a target the lab started; skipped`);
        continue;
      }
      ctx.say(learn(t, 'spam', train.messages.filter((m) => m.label === 'spam')));
      ctx.say(learn(t, 'ham', train.messages.filter((m) => m.label === 'ham')));
      const rcpt = ctx.scenario.targets.user;
      const refused = new Map<string, string>();
      const c = await SmtpClient.connect(t.host, t.port, { timeoutMs: 30_000, transcript: false });
      await c.reply();
      await c.ehlo('corpus.lab.example.test');
      for (const [i, m] of messages.entries()) {
        ctx.progress(`${t.name}: replay ${i + 1}/${messages.length}`);
        const mail = await c.cmd('MAIL FROM:<corpus@lab.example.test>');
        const rc = mail.code === 250 ? await c.cmd(`RCPT TO:<${rcpt}>`) : mail;
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
      const delivered = await waitForDeliveries(t.maildir(rcpt), ID_HEADER, messages.length - refused.size, s.deliver_wait);
      const pattern = new RegExp(s.spam_pattern, 'i');
      const verdicts = messages.map((m) => {
        if (refused.has(m.id)) return { group: m.group, label: m.label, verdict: 'spam' as const };
        const d = delivered.get(m.id);
        if (!d) return { group: m.group, label: m.label, verdict: undefined };
        const names = Array.isArray(s.verdict_header) ? s.verdict_header : [s.verdict_header];
        const h = names.map((n) => headerValue(d.raw, n)).find((v) => v !== undefined);
        if (h === undefined) return { group: m.group, label: m.label, verdict: d.folder.toLowerCase() === 'spam' ? ('spam' as const) : undefined };
        return { group: m.group, label: m.label, verdict: pattern.test(h) || d.folder.toLowerCase() === 'spam' ? ('spam' as const) : ('ham' as const) };
      });
      const score = scoreVerdicts(verdicts);
      const rep = ctx.report(t);
      rep.spam = score;
      ctx.say(`${t.name}: ${score.total} messages (${evalSet.messages.length} SpamAssassin eval + ${s.japanese} Japanese); TP ${score.tp} FP ${score.fp} TN ${score.tn} FN ${score.fn} unknown ${score.unknown}; precision ${score.precision} recall ${score.recall} ham FP ${(score.ham_fp_rate * 100).toFixed(2)}%`);
      for (const [g, v] of Object.entries(score.groups ?? {})) ctx.say(`  ${g} (${v.label}): ${v.judged_spam}/${v.total} judged spam`);
      ctx.check(`${t.name}: every replayed message got a verdict`, score.unknown === 0, '0 without a verdict', `${score.unknown} without (delivered ${delivered.size}, refused ${refused.size})`);
      if (ctx.scenario.expect.min_precision !== undefined) ctx.check(`${t.name}: precision ≥ ${ctx.scenario.expect.min_precision}`, score.precision >= ctx.scenario.expect.min_precision, `≥ ${ctx.scenario.expect.min_precision}`, String(score.precision));
      if (ctx.scenario.expect.min_recall !== undefined) ctx.check(`${t.name}: recall ≥ ${ctx.scenario.expect.min_recall}`, score.recall >= ctx.scenario.expect.min_recall, `≥ ${ctx.scenario.expect.min_recall}`, String(score.recall));
      const maxFp = ctx.scenario.expect.max_ham_fp_rate;
      if (maxFp !== undefined) ctx.check(`${t.name}: ham judged spam ≤ ${(maxFp * 100).toFixed(2)}%`, score.ham_fp_rate <= maxFp, `≤ ${maxFp}`, String(score.ham_fp_rate));
    }
  };
}
