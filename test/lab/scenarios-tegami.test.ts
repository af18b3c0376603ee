// The shipped scenarios run with `tegami lab run` against a tegami the lab starts: each must pass (exit 0)
// and write its JSON and HTML report; `tegami lab report` re-renders. Each run starts its own tegami and writes
// its own <scenario>-<time> report, so three run at once (they mostly wait on their servers); auth-abuse, which
// compares reply times, runs alone first.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tegamiLab } from './helpers.js';
import type { Report } from '../../lab/report/model.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-run-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function reportOf(out: string): Report {
  const m = /report: (\S+\.json)/.exec(out);
  assert.ok(m, out);
  assert.ok(fs.existsSync(m![1].replace(/\.json$/, '.html')));
  return JSON.parse(fs.readFileSync(m![1], 'utf8')) as Report;
}

test('auth-abuse: control login, forged senders refused, guessing slowed down', async () => {
  const r = await tegamiLab(['run', 'auth-abuse', '--report-dir', dir]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /PASS tegami: after 5 failures, further guesses are slowed down or refused/);
});

describe('relay-abuse, japanese and spam-corpus at once', { concurrency: true }, () => {
  test('relay-abuse: every probe refused by tegami', async () => {
    const r = await tegamiLab(['run', 'scenarios/relay-abuse.toml', '--report-dir', dir]);
    assert.equal(r.code, 0, r.out);
    assert.ok((r.out.match(/^\S+\s+refused\s/gm) ?? []).length >= 29, r.out);
    assert.doesNotMatch(r.out, /RELAYED/);
    const rep = reportOf(r.out);
    assert.equal(rep.ok, true);
    assert.ok(rep.targets.tegami.probes!.length >= 29);
    const again = await tegamiLab(['report', /report: (\S+\.json)/.exec(r.out)![1]]);
    assert.equal(again.code, 0, again.out);
  });

  test('japanese: four charsets round-trip intact', async () => {
    const r = await tegamiLab(['run', 'japanese', '--report-dir', dir]);
    assert.equal(r.code, 0, r.out);
    for (const cs of ['ISO-2022-JP', 'Shift_JIS', 'EUC-JP', 'UTF-8']) assert.match(r.out, new RegExp(`PASS tegami: jp-\\d+ \\(${cs}, \\w+\\) round-trips intact`));
  });

  test('spam-corpus (quick): verdicts scored into precision and recall', async () => {
    const r = await tegamiLab(['run', 'spam-corpus', '--quick', '--report-dir', dir]);
    assert.equal(r.code, 0, r.out);
    const rep = reportOf(r.out);
    const s = rep.targets.tegami.spam!;
    assert.equal(s.tp + s.fp + s.tn + s.fn + s.unknown, s.total);
    assert.ok(s.total >= 20);
    assert.ok(s.at_fp_05! >= 0 && s.at_fp_05! <= s.at_fp_1! && s.at_fp_1! <= 1, 'recall at ham FP ≤ 0.5% and ≤ 1% from the verdict scores');
    assert.ok(s.protocol!.some((l) => /never fitted on/.test(l)));
    assert.match(r.out, /spam recall at ham FP ≤ 0\.5%: \d/);
    assert.match(r.out, /Public Domain Dedication/);
    const dns = /stand-in DNS answered (\d+) queries/.exec(r.out);
    assert.ok(dns && Number(dns[1]) > 0, `tegami resolved through the stand-in DNS: ${r.out}`);
  });
});
