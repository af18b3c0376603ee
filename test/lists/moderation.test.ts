// Moderation over real sockets: a non-member's post to a members-only list is held and the moderator told;
// replying to the notice with swaks approves it (it reaches the members); a forged token, an approval token
// replayed, and a reject token turned into an approval are refused and logged; the CLI lists, approves and
// rejects held posts (the running server carries the decision out). A moderator's or member's address of our own
// domain, forged by a stranger on port 25, counts as nobody (security review 3); logged in, it posts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run } from '../helpers/server.js';
import { atSink, cli, header, listLab, logText, mailOf, post, swaks, until, type ListLab } from './helpers.js';

let lab: ListLab;

before(async () => {
  lab = await listLab({
    users: [
      { address: 'moder@example.test', password: 'moder-secret-1' },
      { address: 'alice@example.test', password: 'alice-secret-1' },
    ],
  });
  cli(lab.srv, ['list', 'create', 'team@example.test']);
  cli(lab.srv, ['list', 'set', 'team@example.test', '--admin', 'moder@example.test']);
  cli(lab.srv, ['list', 'add', 'team@example.test', 'alice@example.test', 'carol@remote.test']);
});

after(async () => {
  await lab?.close();
});

function pending(): string[] {
  return cli(lab.srv, ['list', 'pending', 'team@example.test']).split('\n').filter(Boolean);
}

async function noticeFor(subject: string): Promise<string> {
  return until(`the moderation notice for "${subject}"`, () => mailOf(lab.srv, 'moder@example.test').find((m) => m.includes(subject) && /held for approval/.test(m)), 120_000);
}

test("a non-member's post is held, and approved by replying to the notice with swaks", async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  assert.equal(cli(lab.srv, ['list', 'pending', 'team@example.test']), '', 'nothing held: no output');
  await post(lab.srv, 'stranger@remote.test', 'team@example.test', 'outsider question');
  const notice = await noticeFor('outsider question');
  const lines = pending();
  assert.equal(lines.length, 1);
  const [id, sender, subject] = lines[0].split('\t');
  assert.match(id, /^[a-z2-7]{10}$/);
  assert.equal(sender, 'stranger@remote.test');
  assert.equal(subject, 'outsider question');
  const json = JSON.parse(cli(lab.srv, ['list', 'pending', 'team@example.test', '--json'])) as { id: string; reason: string }[];
  assert.equal(json[0].id, id);
  assert.equal(json[0].reason, 'the sender is not a member');
  assert.equal(atSink(lab.sink, /outsider question/).length, 0, 'nothing distributed while held');

  const replyTo = header(notice, 'Reply-To')!.replace(/^<|>$/g, '');
  assert.match(replyTo, new RegExp(`^team-request\\+approve-${id}-[a-z2-7]{16}@example\\.test$`));
  const out = await swaks(lab.srv, ['--from', 'moder@example.test', '--to', replyTo, '--header', `Subject: Re: ${header(notice, 'Subject')}`, '--body', 'OK, approved.']);
  assert.match(out, /<- {2}250 /, out);
  const m = await until('the approved post at the sink', () => atSink(lab.sink, /outsider question/)[0], 120_000);
  assert.deepEqual(m.to, ['carol@remote.test']);
  await until("alice's copy", () => mailOf(lab.srv, 'alice@example.test').find((x) => x.includes('outsider question')), 120_000);
  assert.deepEqual(pending(), []);
  assert.match(logText(lab.srv), /list-moderated.*decision=approve/);

  // the same approval again: refused and logged, nothing sent twice
  await swaks(lab.srv, ['--from', 'moder@example.test', '--to', replyTo, '--header', 'Subject: Re: again']);
  await until('the replay refused in the log', () => /list-token-refused.*already decided, or the token was used before/.test(logText(lab.srv)), 120_000);
  await post(lab.srv, 'carol@remote.test', 'team@example.test', 'marker after replay');
  await until('the marker', () => atSink(lab.sink, /marker after replay/)[0], 120_000);
  assert.equal(atSink(lab.sink, /outsider question/).length, 1, 'the replayed approval distributed nothing');
});

test('a forged approval, and a reject token used as an approval, are refused and logged; the post stays held', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'stranger@remote.test', 'team@example.test', 'held for forgery');
  const notice = await noticeFor('held for forgery');
  const id = pending().find((l) => l.includes('held for forgery'))!.split('\t')[0];
  const forged = `team-request+approve-${id}-aaaaaaaaaaaaaaaa@example.test`;
  let out = await swaks(lab.srv, ['--from', 'stranger@remote.test', '--to', forged]);
  assert.match(out, /<- {2}250 /, out);
  const rejectAddr = /team-request\+reject-([a-z2-7]{10}-[a-z2-7]{16})@example\.test/.exec(notice)![1];
  out = await swaks(lab.srv, ['--from', 'stranger@remote.test', '--to', `team-request+approve-${rejectAddr}@example.test`]);
  assert.match(out, /<- {2}250 /, out);
  await until('both refusals in the log', () => (logText(lab.srv).match(/list-token-refused [^\n]*action=approve problem="forged or damaged token"/g) ?? []).length >= 2, 120_000);
  assert.ok(pending().some((l) => l.includes('held for forgery')), 'still held');
  assert.equal(atSink(lab.sink, /held for forgery/).length, 0);
  // a reject by the CLI drops it without distributing
  const r = lab.srv.cli(['list', 'reject', 'team@example.test', id]);
  assert.equal(r.status, 0, r.stderr);
  await until('the rejected post gone', () => !pending().some((l) => l.includes('held for forgery')), 120_000);
  assert.equal(atSink(lab.sink, /held for forgery/).length, 0);
});

test('tegami list approve distributes a held post through the running server', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'stranger@remote.test', 'team@example.test', 'approved by cli');
  await noticeFor('approved by cli');
  const id = pending().find((l) => l.includes('approved by cli'))!.split('\t')[0];
  assert.match(cli(lab.srv, ['list', 'approve', 'team@example.test', id]), /approved/);
  await until('distributed', () => atSink(lab.sink, /approved by cli/)[0], 120_000);
  const again = lab.srv.cli(['list', 'approve', 'team@example.test', id]);
  assert.equal(again.status, 1, 'a decided post cannot be approved again (a refusal: exit 1)');
  assert.match(again.stderr, /no held post|decided already/);
});

test("a stranger forging a local moderator's (or member's) From: and MAIL FROM is held; the moderator logged in posts", async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  cli(lab.srv, ['list', 'create', 'news@example.test']);
  cli(lab.srv, ['list', 'set', 'news@example.test', '--post', 'moderators', '--admin', 'moder@example.test']);
  cli(lab.srv, ['list', 'add', 'news@example.test', 'alice@example.test', 'carol@remote.test']);
  // port 25, no login: the announcement list's moderator forged in the envelope and the header
  await post(lab.srv, 'moder@example.test', 'news@example.test', '緊急のお知らせ forged announcement');
  await until('held', () => cli(lab.srv, ['list', 'pending', 'news@example.test']).includes('forged announcement') || undefined, 120_000);
  assert.match(logText(lab.srv), /list-sender-unproven[^\n]*list=news@example\.test[^\n]*claimed=moder@example\.test/);
  // a members-only list and a forged local member: held as well (team@ has alice as a member)
  await post(lab.srv, 'alice@example.test', 'team@example.test', 'forged member post');
  await until('held', () => pending().some((l) => l.includes('forged member post')) || undefined, 120_000);
  // held for what it is: a local member's address without a login, not "the sender is not a member"
  const held = JSON.parse(cli(lab.srv, ['list', 'pending', 'team@example.test', '--json'])) as { subject: string; reason: string }[];
  assert.match(held.find((h) => h.subject.includes('forged member post'))?.reason ?? '', /^the sender is of our own domains but did not log in to send(;|$)/);
  // the real moderator, logged in on the submission port: distributed at once
  const out = await run('swaks', ['--server', `127.0.0.1:${lab.srv.ports.submission}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'moder@example.test', '--auth-password', 'moder-secret-1',
    '--from', 'moder@example.test', '--to', 'news@example.test', '--header', 'From: moder@example.test', '--header', 'Subject: real announcement', '--timeout', '30']);
  assert.match(out.stdout + out.stderr, /<- {2}250 /, out.stdout + out.stderr);
  await until('the real announcement at the sink', () => atSink(lab.sink, /real announcement/)[0], 120_000);
  assert.equal(atSink(lab.sink, /forged announcement|forged member post/).length, 0, 'no forged post went out');
  assert.equal(mailOf(lab.srv, 'alice@example.test').filter((m) => /forged announcement/.test(m)).length, 0);
});
