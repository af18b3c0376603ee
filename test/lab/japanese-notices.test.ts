// The Japanese account notices written for the training ham (lab/corpora/japanese-notices.ts, spam19): six kinds in
// four charsets that decode to what was written, the same mail from the same seed, none filed by a new install (the
// real analyser with the shipped weights, no Bayes), and left out of the training set unless FIT_JA_NOTICES asks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { parseConfigText } from '../../engine/config/load.js';
import { Analyser } from '../../engine/spam/pipeline.js';
import { japaneseNotices, NOTICE_ID } from '../../lab/corpora/japanese-notices.js';
import { japaneseTraining } from '../../lab/corpora/japanese-training.js';

test('Japanese account notices: 20 of each of six kinds, all ham, four charsets, each decodes to Japanese text', async () => {
  const msgs = japaneseNotices();
  assert.equal(msgs.length, 120);
  assert.ok(msgs.every((m) => m.label === 'ham' && m.group === 'japanese-train' && NOTICE_ID.test(m.id)));
  const kinds = new Map<string, number>();
  for (const m of msgs) kinds.set(m.id.split('-')[1], (kinds.get(m.id.split('-')[1]) ?? 0) + 1);
  assert.deepEqual([...kinds].sort(), [['chg', 20], ['maint', 20], ['pay', 20], ['ship', 20], ['stmt', 20], ['xfer', 20]]);
  const charsets = new Set<string>();
  for (const m of msgs) {
    const head = m.raw.toString('latin1', 0, m.raw.indexOf('\r\n\r\n'));
    const cs = /charset=([\w-]+)/.exec(m.raw.toString('latin1'))![1];
    charsets.add(cs);
    if (cs === 'ISO-2022-JP') assert.ok([...m.raw].every((b) => b < 0x80), `${m.id}: ISO-2022-JP mail is 7-bit`);
    const p = await simpleParser(m.raw);
    assert.match(p.subject ?? '', /[\p{Script=Han}\p{Script=Katakana}]/u, `${m.id} subject: ${head}`);
    const body = p.text ?? (p.html || '');
    assert.match(body, /(様|各位|皆さま|さん|ありがとう)/, `${m.id} (${cs}) decodes`);
    assert.ok(!body.includes('\ufffd'), `${m.id} (${cs}): no replacement characters`);
  }
  assert.deepEqual([...charsets].sort(), ['EUC-JP', 'ISO-2022-JP', 'Shift_JIS', 'UTF-8']);
  // what the notices are about: a statement posted, a change confirmed with whom to call if it was not you
  assert.ok(msgs.some((m) => m.id.startsWith('jt-chg-')));
  const again = japaneseNotices();
  assert.deepEqual(again.map((m) => m.raw.toString('base64')), msgs.map((m) => m.raw.toString('base64')));
  assert.notDeepEqual(japaneseNotices(20).map((m) => m.raw.toString('base64')), msgs.map((m) => m.raw.toString('base64')));
});

test('a new install (no Bayes, the shipped weights) files none of the notices; the training set leaves them out by default', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-notices-'));
  try {
    const a = new Analyser(parseConfigText(`data_dir = ${JSON.stringify(dir)}\nhostname = "mx.tegami.test"\n[log]\nfiles = false\n[spam]\ndkim_dmarc = false\n`, path.join(dir, 'tegami.toml')));
    const env = { mailFrom: 'notice@lab.example.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.1', helo: 'corpus.lab.example.test' };
    for (const m of japaneseNotices()) {
      const r = await a.analyse(m.raw, env, undefined);
      assert.ok(r.score < 5, `${m.id} scored ${r.score}: ${r.tags.join(' ')}`);
    }
    await a.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.FIT_JA_NOTICES === undefined) assert.ok(!japaneseTraining().some((m) => NOTICE_ID.test(m.id)), 'off unless FIT_JA_NOTICES');
});
