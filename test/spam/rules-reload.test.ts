// What the content rules keep between messages (docs/benchmarks.md, eleventh round): the plan evaluate() runs, worked
// out once per rule set, and the scratch buffer the ASCII match views are made in. An admin's edited rules_file is a
// new rule set with its own plan (a tag whose test changed kind, a disabled rule, a new unless_header, an `all` rule
// over other tags), while an analyser built on the old file keeps the old one; and a message's verdict does not
// depend on a longer or shorter message analysed before it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseMessage } from '../../engine/spam/message.js';
import { Analyser } from '../../engine/spam/pipeline.js';
import { ruleInput } from '../../engine/spam/rules/input.js';
import { configFrom, removeTempDirs, tempDir } from './helpers.js';
import { rawMail } from './mail.js';

const analysers: Analyser[] = [];
after(async () => {
  await Promise.all(analysers.map((a) => a.close()));
  removeTempDirs();
});

function analyser(dir: string): Analyser {
  const a = new Analyser(configFrom('[log]\nfiles = false\n[spam]\ndkim_dmarc = false\nbayes = false\nrules_file = "r.toml"\n', dir));
  analysers.push(a);
  return a;
}

const env = { mailFrom: 'sender@sender.example', rcptTo: ['user@tegami.test'], ip: '192.0.2.10', helo: 'mx.sender.example' };
const LOCAL = (tags: string[]) => tags.filter((t) => t.startsWith('LOCAL_') || t === 'SUBJ_ADV').sort();

test('an edited rules_file is a new plan in the next analyser (tests that changed kind, disable, unless_header, all); one built before keeps the old', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'r.toml');
  // v1: SUBJ_ADV (a default, an `any` in the subject) replaced by a header_absent test; LOCAL_ALL needs LOCAL_A and SUBJ_ADV
  fs.writeFileSync(
    file,
    '[[rule]]\ntag = "SUBJ_ADV"\nheader_absent = "X-Foo"\n' +
      '[[rule]]\ntag = "LOCAL_A"\nin = "body"\nany = ["alpha offer"]\n' +
      '[[rule]]\ntag = "LOCAL_U"\nuri_host = ["one.example"]\n' +
      '[[rule]]\ntag = "LOCAL_ALL"\nall = ["LOCAL_A", "SUBJ_ADV"]\n',
  );
  fs.utimesSync(file, 1_700_000_000, 1_700_000_000);
  const v1 = analyser(dir);
  const mail = (headers: string[] = []) => rawMail({ subject: 'zebra news', headers, body: 'an alpha offer: http://two.example/x\r\n' });
  const tags = async (a: Analyser, headers?: string[]) => LOCAL((await a.analyse(mail(headers), env, undefined)).tags);
  assert.deepEqual(await tags(v1), ['LOCAL_A', 'LOCAL_ALL', 'SUBJ_ADV']);
  assert.deepEqual(await tags(v1, ['X-Foo: 1']), ['LOCAL_A'], 'header_absent');

  // v2: SUBJ_ADV back to an `any` (with an unless_header), LOCAL_A disabled, LOCAL_U another host, LOCAL_ALL over SUBJ_ADV
  fs.writeFileSync(
    file,
    'disable = ["LOCAL_A"]\n' +
      '[[rule]]\ntag = "SUBJ_ADV"\nin = "subject"\nany = ["zebra"]\nunless_header = ["X-Bar"]\n' +
      '[[rule]]\ntag = "LOCAL_A"\nin = "body"\nany = ["alpha offer"]\n' +
      '[[rule]]\ntag = "LOCAL_U"\nuri_host = ["two.example"]\n' +
      '[[rule]]\ntag = "LOCAL_ALL"\nall = ["SUBJ_ADV"]\n',
  );
  fs.utimesSync(file, 1_700_000_100, 1_700_000_100);
  const v2 = analyser(dir);
  assert.notEqual(v2.rules, v1.rules, 'a new rule set for the edited file');
  assert.deepEqual(await tags(v2), ['LOCAL_ALL', 'LOCAL_U', 'SUBJ_ADV']);
  assert.deepEqual(await tags(v2, ['X-Foo: 1']), ['LOCAL_ALL', 'LOCAL_U', 'SUBJ_ADV'], 'no header_absent test left');
  assert.deepEqual(await tags(v2, ['X-Bar: 1']), ['LOCAL_U'], 'unless_header excuses SUBJ_ADV, so LOCAL_ALL too');
  // the analyser built on v1 (analyses in flight when the config moved) still runs v1's plan
  assert.deepEqual(await tags(v1), ['LOCAL_A', 'LOCAL_ALL', 'SUBJ_ADV']);
  assert.deepEqual(await tags(v1, ['X-Bar: 1']), ['LOCAL_A', 'LOCAL_ALL', 'SUBJ_ADV']);
  // and an analyser built on v2 again shares its rule set (cached per file and modification time)
  assert.equal(analyser(dir).rules, v2.rules);
});

test('a verdict is the same whatever longer or shorter message came before it (the ASCII views share one scratch buffer)', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'r.toml'), '[[rule]]\ntag = "LOCAL_TAIL"\nin = "body"\nany = ["tailword zq"]\n[[rule]]\ntag = "LOCAL_HEAD"\nin = "body"\nany = ["headword"]\n');
  const a = analyser(dir);
  // the long body says tailword zq all along (within part_scan_size), the short one never: views made from stale bytes
  // of the scratch buffer, or read past the short text's end, would find it in the short one
  const long = 'tailword zq, and filler text line after line; '.repeat(1200) + '\r\nheadword\r\n';
  const short = 'headword and a few words of plain ASCII text.\r\n';
  const judge = async (body: string) => {
    const r = await a.analyse(rawMail({ subject: 'hello', body }), env, undefined);
    return { tags: r.tags, score: r.score, headers: r.headers };
  };
  const s1 = await judge(short);
  const l1 = await judge(long);
  const s2 = await judge(short);
  const l2 = await judge(long);
  assert.deepEqual(LOCAL(s1.tags), ['LOCAL_HEAD']);
  assert.deepEqual(LOCAL(l1.tags), ['LOCAL_HEAD', 'LOCAL_TAIL']);
  assert.deepEqual(s2, s1, 'the short message after the long one');
  assert.deepEqual(l2, l1, 'the long message after the short one');
  // the long one's rule input, kept while a short one is analysed, still reads as it did
  const kept = ruleInput(parseMessage(rawMail({ subject: 'hello', body: long })), [], []);
  const words = kept.body.words.slice(0, 40) + kept.body.words.slice(-40);
  await judge(short);
  assert.equal(kept.body.words.slice(0, 40) + kept.body.words.slice(-40), words);
  assert.deepEqual(a.rules.evaluate(kept).filter((h) => h.tag.startsWith('LOCAL_')).map((h) => h.tag).sort(), ['LOCAL_HEAD', 'LOCAL_TAIL']);
});
