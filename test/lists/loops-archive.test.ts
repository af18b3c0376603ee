// Run-time loops and what never reaches a list, over real sockets: a copy that comes back to its list
// through a member's forward is stopped (X-BeenThere), a post at the hop limit is refused for the list like
// any recipient (5.4.6 notice), and auto-replies (Auto-Submitted, the null sender) are discarded. Also the
// archive (a Maildir under the list's directory) and a digest going out on the housekeeping schedule.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand } from '../helpers/server.js';
import { atSink, cli, header, listLab, logText, mailOf, post, swaks, until, type ListLab } from './helpers.js';

let lab: ListLab;

before(async () => {
  lab = await listLab({
    users: [{ address: 'fwdu@example.test', password: 'fwdu-secret-1' }],
    toml: ['[lists]', 'digest_interval = "2s"', 'check_interval = "1s"'].join('\n'),
  });
  cli(lab.srv, ['list', 'create', 'loop@example.test']);
  cli(lab.srv, ['list', 'add', 'loop@example.test', 'fwdu@example.test', 'carol@remote.test']);
  cli(lab.srv, ['user', 'set', 'fwdu@example.test', '--forward', 'loop@example.test']);
  cli(lab.srv, ['list', 'create', 'arch@example.test', '--archive', '--digest']);
  cli(lab.srv, ['list', 'add', 'arch@example.test', 'carol@remote.test']);
  cli(lab.srv, ['list', 'add', 'arch@example.test', 'daily@remote.test', '--digest']);
});

after(async () => {
  await lab?.close();
});

const distributed = (list: string) => (logText(lab.srv).match(new RegExp(`list-distributed[^\\n]*list=${list.replace('.', '\\.')}`, 'g')) ?? []).length;

test("a copy that comes back through a member's forward is stopped, and sent nowhere again", async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'carol@remote.test', 'loop@example.test', 'round and round');
  await until('the loop stopped in the log', () => /list-loop[^\n]*list=loop@example\.test/.test(logText(lab.srv)), 120_000);
  await until("carol's copy", () => atSink(lab.sink, /round and round/)[0], 120_000);
  assert.equal(distributed('loop@example.test'), 1);
  assert.equal(atSink(lab.sink, /round and round/).length, 1, 'carol got one copy');
  assert.equal(mailOf(lab.srv, 'fwdu@example.test').filter((m) => m.includes('round and round')).length, 1, 'the forwarding member kept one');
});

test('a post at the hop limit reaches no list: refused at the end of DATA with 554 5.4.6', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const received = Array.from({ length: 50 }, (_, i) => ['--add-header', `Received: from hop${i}.remote.test by hop${i + 1}.remote.test; Mon, 1 Jan 2024 00:00:00 +0000`]).flat();
  const out = await swaks(lab.srv, ['--from', 'carol@remote.test', '--to', 'loop@example.test', '--header', 'Subject: fifty hops', '--header', 'From: carol@remote.test', ...received]);
  assert.match(out, /<\*\* +554 5\.4\.6 Too many hops \(50 Received: fields\)/, out);
  assert.equal(distributed('loop@example.test'), 1, 'not distributed');
  // the client was told: no notice afterwards (the after-250 check stays for the other ways in: Sieve, lists)
  assert.equal(lab.sink.messages.filter((m) => /fifty hops/.test(m.raw.toString())).length, 0);
});

test('auto-replies never reach a list: Auto-Submitted and the null sender are discarded', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'carol@remote.test', 'arch@example.test', 'Out of office', ['--header', 'Auto-Submitted: auto-replied']);
  const out = await swaks(lab.srv, ['--from', '<>', '--to', 'arch@example.test', '--header', 'Subject: bounce into the list']);
  assert.match(out, /<- {2}250 /, out);
  await until('both discarded', () => (logText(lab.srv).match(/list-auto-discarded[^\n]*list=arch@example\.test/g) ?? []).length >= 2, 120_000);
  assert.equal(atSink(lab.sink, /Out of office|bounce into the list/).length, 0);
});

test('the archive keeps each post once; digest members get a MIME digest on the schedule', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'carol@remote.test', 'arch@example.test', 'archived post one');
  await post(lab.srv, 'carol@remote.test', 'arch@example.test', 'archived post two');
  const dir = path.join(lab.srv.dataDir, 'lists', 'example.test', 'arch', 'archive', 'new');
  const files = await until('two archived posts', () => {
    const f = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    return f.length >= 2 ? f : null;
  }, 30_000);
  const texts = files.map((f) => fs.readFileSync(path.join(dir, f), 'latin1'));
  assert.ok(texts.some((x) => x.includes('archived post one')) && texts.some((x) => x.includes('archived post two')));
  for (const x of texts) assert.equal(header(x, 'List-Id'), '<arch.example.test>');
  const digest = await until('the digest', () => lab.sink.messages.find((m) => m.to.includes('daily@remote.test') && /Digest, Issue 1/.test(m.raw.toString())), 120_000);
  const raw = digest.raw.toString('latin1');
  assert.match(raw, /multipart\/digest/);
  assert.match(raw, /archived post one/);
  assert.match(raw, /archived post two/);
  assert.match(digest.from, /^arch-bounces\+m[0-9a-z]+-[a-z2-7]{16}@example\.test$/);
  const singles = atSink(lab.sink, /Subject: \[arch\] archived post/).filter((m) => m.to.includes('daily@remote.test') && !/Digest, Issue/.test(m.raw.toString()));
  assert.equal(singles.length, 0, 'no single copies for a digest member');
});
