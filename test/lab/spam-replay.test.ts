// The spam-corpus kind's date-order replay (lab/scenario/kinds/spam-replay.ts) and its new-install options, run with
// `tegami lab run` against a tegami the lab starts: each mistake is corrected over IMAP before the next message
// arrives, and the figures (recall at ham FP, per group, corrections) reach the report. MaildirWatch sees each
// delivered or moved file once.
import { test, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tegamiLab } from './helpers.js';
import net from 'node:net';
import { ImapMover, MaildirWatch } from '../../lab/scenario/kinds/spam-replay.js';
import type { Report } from '../../lab/report/model.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-spam-replay-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function reportOf(out: string): Report {
  const m = /report: (\S+\.json)/.exec(out);
  assert.ok(m, out);
  return JSON.parse(fs.readFileSync(m![1], 'utf8')) as Report;
}

test('MaildirWatch: a new message once, the same message again only when moved to another folder', () => {
  const md = path.join(dir, 'Maildir');
  for (const d of ['new', 'cur', 'tmp', '.Spam/new', '.Spam/cur', '.Spam/tmp']) fs.mkdirSync(path.join(md, d), { recursive: true });
  const w = new MaildirWatch(md);
  assert.deepEqual(w.poll(), []);
  fs.writeFileSync(path.join(md, 'new', '1.a.host'), 'Subject: one\r\n\r\nx');
  assert.deepEqual(w.poll().map((d) => [d.folder, d.raw.toString().split('\r\n')[0]]), [['INBOX', 'Subject: one']]);
  // seen (new → cur with flags) is the same message in the same folder
  fs.renameSync(path.join(md, 'new', '1.a.host'), path.join(md, 'cur', '1.a.host:2,S'));
  assert.deepEqual(w.poll(), []);
  fs.renameSync(path.join(md, 'cur', '1.a.host:2,S'), path.join(md, '.Spam', 'cur', '1.a.host:2,S'));
  assert.deepEqual(w.poll().map((d) => d.folder), ['Spam']);
  assert.deepEqual(new MaildirWatch(path.join(dir, 'missing')).poll(), []);
});

test('ImapMover: replies in pieces over many commands, no timer left behind, a move found by its header', { timeout: 60_000 }, async () => {
  // a stand-in IMAP server that answers every command in three pieces, the tagged line last
  const server = net.createServer((sock) => {
    sock.write('* OK ready\r\n');
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, cmd] = line.split(' ');
        const untagged = cmd === 'UID' && line.includes('SEARCH') ? (line.includes('"wanted"') ? '* SEARCH 7 9\r\n' : '* SEARCH\r\n') : '* 3 EXISTS\r\n';
        sock.write(untagged.slice(0, 4));
        setImmediate(() => {
          sock.write(untagged.slice(4));
          setImmediate(() => sock.write(`${tag} OK done\r\n`));
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const m = await ImapMover.connect('127.0.0.1', (server.address() as net.AddressInfo).port);
  await m.login('alice@example.test', 'pw"1');
  // one deadline timer per command, cleared when its reply is complete: a waiter re-armed on every piece (the old
  // code) multiplied timers with each reply until a long replay stalled
  const timers = mock.method(globalThis, 'setTimeout');
  const cleared = mock.method(globalThis, 'clearTimeout');
  for (let i = 0; i < 60; i++) assert.match(await m.cmd('NOOP'), /^r\d+ OK done/m);
  assert.ok(timers.mock.callCount() <= 60, `${timers.mock.callCount()} timers for 60 commands`);
  assert.equal(cleared.mock.callCount(), timers.mock.callCount());
  mock.restoreAll();
  assert.equal(await m.move('X-Lab-Corpus-Id', 'wanted', 'INBOX', 'Spam'), true);
  await m.close();
  server.close();
});

test('spam-corpus in Date order, nothing learnt: every misfiled message is moved over IMAP, and counted', async () => {
  const toml = path.join(dir, 'replay.toml');
  fs.writeFileSync(
    toml,
    `name = "spam-replay-test"
kind = "spam-corpus"
[targets]
start = ["tegami"]
[dns]
records = [ { name = "lab.example.test", type = "TXT", data = "v=spf1 ip4:127.0.0.0/8 -all" }, { name = "corpus.lab.example.test", type = "A", data = "127.0.0.1" } ]
[spam]
learn = false
eval_ham = 15
eval_spam = 25
japanese = 8
replay = "date-order"
verdict_header = ["X-Tegami-Spam-Status", "X-IMAIL-SPAM"]
spam_pattern = "verdict=spam"
deliver_wait = "60s"
`,
  );
  const r = await tegamiLab(['run', toml, '--report-dir', dir], 300_000);
  assert.equal(r.code, 0, r.out);
  const s = reportOf(r.out).targets.tegami.spam!;
  assert.equal(s.total, 48);
  assert.equal(s.unknown, 0, r.out);
  // a new install misses SpamAssassin spam that no rule names: those are the user's corrections, all of them made
  assert.ok(s.fn + s.fp > 0, r.out);
  assert.deepEqual(s.replay, { order: 'date', corrections: s.fn + s.fp });
  assert.match(r.out, new RegExp(`; ${s.fn + s.fp} corrections over IMAP`));
  assert.ok(typeof s.at_fp_05 === 'number' && typeof s.at_fp_1 === 'number');
  assert.ok(s.protocol!.some((l) => /Date order/.test(l)) && s.protocol!.some((l) => /nothing learnt/.test(l)));
  assert.equal(s.reference, undefined, 'a sample is not comparable with the reference filters');
});

test('spam-day-one: a new install from an unresolvable peer files the Japanese spam and no ham', async () => {
  const r = await tegamiLab(['run', 'scenarios/spam-day-one.toml', '--report-dir', dir], 300_000);
  assert.equal(r.code, 0, r.out);
  const s = reportOf(r.out).targets.tegami.spam!;
  assert.equal(s.fp, 0, r.out);
  assert.ok(s.groups!['japanese-written spam'].total > 0 && s.groups!['japanese-written ham'].total > 0);
  assert.match(r.out, /PASS tegami: japanese-written spam judged spam ≥ 80\.0%/);
  assert.doesNotMatch(r.out, /Public Domain Dedication/, 'no SpamAssassin mail was used');
});
