// The verdict summary line prints the total score finely enough that distinct scores stay distinct for whoever
// ranks mail by it (the lab over SMTP, Sieve spamtest), and the older one-decimal form where that is exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmt, fmtTotal, summaryLine } from '../../engine/spam/headers.js';
import { scoreOf } from '../../lab/corpora/score.js';

test('summary line: the total to two decimals, a trailing zero dropped; tags and threshold at one', () => {
  assert.equal(fmtTotal(6), '6.0');
  assert.equal(fmtTotal(6.2), '6.2');
  assert.equal(fmtTotal(6.234), '6.23');
  assert.equal(fmtTotal(-1.005), '-1.0');
  assert.equal(fmtTotal(-0.046), '-0.05');
  assert.equal(fmt(6.234), '6.2');
  const line = summaryLine(6.234, 5, 'spam', [{ tag: 'BAYES_99', score: 3.456 }]);
  assert.equal(line, 'X-IMAIL-SPAM: score=6.23 threshold=5.0 verdict=spam tags=BAYES_99(3.5)');
  // two scores one decimal made equal are read back apart
  const a = scoreOf(summaryLine(6.04, 5, 'spam', []).replace(/^[^:]*: /, ''));
  const b = scoreOf(summaryLine(6.06, 5, 'spam', []).replace(/^[^:]*: /, ''));
  assert.ok(a !== undefined && b !== undefined && a < b, `${a} < ${b}`);
});
