// The lab report's spam section: recall at ham FP ≤ 0.5% / ≤ 1% beside the default verdict, the k-fold rows, the
// reference filters marked as such, per-group counts over each cut-off and the protocol lines; text escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from '../../lab/report/html.js';
import { emptyTarget, machineInfo, type Report, type SpamScore } from '../../lab/report/model.js';
import { REFERENCE } from '../../lab/corpora/reference.js';

function reportWith(spam: SpamScore): Report {
  const t = { ...emptyTarget('tegami', '127.0.0.1:2525', 'tegami'), spam };
  return { kind: 'tegami-lab-report', version: 1, scenario: { name: 'spam-corpus', file: 'x.toml', description: '' }, generated_at: new Date(0).toISOString(), duration_s: 1, machine: machineInfo(), ok: true, checks: [], targets: { tegami: t }, notes: [] };
}

const rows = (html: string) => [...html.matchAll(/<tr[^>]*><th>([^<]*)<\/th>((?:<td[^>]*>[^<]*<\/td>)+)<\/tr>/g)].map((m) => [m[1], ...[...m[2].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1])]);

const base: SpamScore = { total: 10, tp: 4, fp: 1, tn: 4, fn: 1, unknown: 0, precision: 0.8, recall: 0.8, ham_fp_rate: 0.2, groups: { spam_2: { label: 'spam', total: 5, judged_spam: 4, unknown: 0 } } };

test('spam section without curve figures: the confusion matrix and groups only, as before', () => {
  const html = renderHtml(reportWith(base));
  assert.doesNotMatch(html, /recall at ham FP/);
  assert.deepEqual(rows(html).find((r) => r[0] === 'spam_2'), ['spam_2', 'spam', '5', '4', '80%']);
});

test('spam section with the curve, k folds, date-order replay and the reference filters', () => {
  const html = renderHtml(
    reportWith({
      ...base,
      groups: { spam_2: { label: 'spam', total: 5, judged_spam: 4, unknown: 0, above_fp_05: 3, above_fp_1: 4 } },
      at_fp_05: 0.912,
      at_fp_1: 0.934,
      split_default: { recall: 0.75, ham_fp_rate: 0.25 },
      protocol: ['Weights fitted on the learn half <only>.'],
      kfold: { k: 5, messages: 6046, at_fp_05: 0.9, at_fp_1: 0.95, recall: 0.93, ham_fp_rate: 0.004, bayes_at_fp_05: 0.8, bayes_at_fp_1: 0.85 },
      replay: { order: 'date', corrections: 17 },
      reference: REFERENCE,
    }),
  );
  const r = rows(html);
  assert.deepEqual(r.find((x) => x[0].startsWith('tegami over SMTP')), ['tegami over SMTP, SpamAssassin judged half, Date order, 17 corrections', '91.2%', '93.4%', '75% / 25%']);
  assert.deepEqual(r.find((x) => x[0].startsWith('tegami, 5 folds')), ['tegami, 5 folds in process (6046 messages)', '90%', '95%', '93% / 0.4%']);
  assert.deepEqual(r.find((x) => x[0].startsWith('tegami Bayes alone')), ['tegami Bayes alone, 5 folds', '80%', '85%', '—']);
  assert.deepEqual(r.find((x) => x[0].startsWith('SpamAssassin Bayes alone')), ['SpamAssassin Bayes alone (reference)', '54.1%', '62.8%', '—']);
  assert.deepEqual(r.find((x) => x[0].startsWith('bogofilter')), ['bogofilter 1.2.5 (reference)', '58.6%', '69.6%', '42.6% / 0.18%']);
  assert.equal(r.filter((x) => x[0].endsWith('(reference)')).length, REFERENCE.length);
  assert.deepEqual(r.find((x) => x[0] === 'spam_2'), ['spam_2', 'spam', '5', '4', '80%', '3', '4']);
  assert.match(html, /Weights fitted on the learn half &lt;only&gt;\./);
});
