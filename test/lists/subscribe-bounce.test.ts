// Subscriptions and bounces over real sockets. Subscribing by mail is double opt-in: "subscribe" to
// NAME-request@ gets a confirmation, and only a reply to it (swaks) makes a member; a replayed confirmation
// is refused and logged; a private list then asks its moderator. A member whose address the remote server
// refuses with 550 5.1.1 is disabled after bounce_threshold bounces (tegami's own DSNs to the VERP address),
// one refused with 550 5.7.1 (policy) is not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { requireCommand } from '../helpers/server.js';
import { atSink, cli, header, listLab, logText, mailOf, post, swaks, until, type ListLab } from './helpers.js';

let lab: ListLab;
/** A remote server refusing everything as a policy matter (550 5.7.1). */
let strict: Sink;

before(async () => {
  strict = await startSink({
    server: {
      onRcptTo(_a: SMTPServerAddress, _s: SMTPServerSession, cb: (e?: Error | null) => void) {
        cb(Object.assign(new Error('5.7.1 Message rejected as spam by content filter'), { responseCode: 550 }));
      },
    },
  });
  lab = await listLab({
    users: [{ address: 'moder@example.test', password: 'moder-secret-1' }],
    sink: { permFail: ['ghost@remote.test'] },
    toml: ['[lists]', 'bounce_threshold = 3', 'bounce_interval = "0s"', '[[route]]', 'domain = "policy.test"', `to = "${strict.address}"`].join('\n'),
  });
  cli(lab.srv, ['list', 'create', 'news@example.test']);
  cli(lab.srv, ['list', 'set', 'news@example.test', '--admin', 'moder@example.test']);
  cli(lab.srv, ['list', 'add', 'news@example.test', 'carol@remote.test', 'ghost@remote.test', 'picky@policy.test']);
  cli(lab.srv, ['list', 'create', 'inner@example.test', '--private']);
  cli(lab.srv, ['list', 'set', 'inner@example.test', '--admin', 'moder@example.test']);
});

after(async () => {
  await lab?.close();
  await strict?.close();
});

type Member = { address: string; disabled: boolean; disabled_reason: string | null };
function members(list: string): Member[] {
  return JSON.parse(cli(lab.srv, ['list', 'members', list, '--json'])) as Member[];
}

const to = (address: string, subject: RegExp) => () => lab.sink.messages.find((m) => m.to.includes(address) && subject.test(m.raw.toString('latin1')));

test('subscribe by mail: a confirmation first, the reply to it makes the member; a replayed confirmation is refused', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const out = await swaks(lab.srv, ['--from', 'newbie@remote.test', '--to', 'news-request@example.test', '--header', 'From: newbie@remote.test', '--header', 'Subject: subscribe']);
  assert.match(out, /<- {2}250 /, out);
  const confirmation = await until('the confirmation', to('newbie@remote.test', /Subject: Confirm subscription/), 120_000);
  assert.ok(!members('news@example.test').some((m) => m.address === 'newbie@remote.test'), 'not a member before confirming');
  const raw = confirmation.raw.toString('latin1');
  assert.match(header(raw, 'Auto-Submitted') ?? '', /^auto-replied/);
  const confirmAt = header(raw, 'Reply-To')!.replace(/^<|>$/g, '');
  assert.match(confirmAt, /^news-request\+confirm-[a-z2-7]{10}-[a-z2-7]{16}@example\.test$/);
  await swaks(lab.srv, ['--from', 'newbie@remote.test', '--to', confirmAt, '--header', `Subject: Re: ${header(raw, 'Subject')}`]);
  await until('the welcome', to('newbie@remote.test', /Subject: Welcome to news@example\.test/), 120_000);
  assert.ok(members('news@example.test').some((m) => m.address === 'newbie@remote.test' && !m.disabled));
  await swaks(lab.srv, ['--from', 'newbie@remote.test', '--to', confirmAt]);
  await until('the replay refused', () => /list-token-refused[^\n]*action=confirm problem="no request/.test(logText(lab.srv)), 120_000);
  // a forged confirmation for someone else is refused too
  await swaks(lab.srv, ['--from', 'mallory@remote.test', '--to', confirmAt.replace(/-[a-z2-7]{16}@/, '-aaaaaaaaaaaaaaaa@')]);
  await until('the forgery refused', () => /list-token-refused[^\n]*action=confirm problem="forged/.test(logText(lab.srv)), 120_000);
  // help
  await swaks(lab.srv, ['--from', 'newbie@remote.test', '--to', 'news-request@example.test', '--header', 'Subject: help']);
  await until('the help text', to('newbie@remote.test', /Subject: Help for news@example\.test/), 120_000);
});

test('a private list: the confirmed subscriber waits for the moderator, who admits by replying', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await swaks(lab.srv, ['--from', 'joiner@remote.test', '--to', 'inner-request@example.test', '--header', 'Subject: please', '--body', 'subscribe\n-- \nJoiner']);
  const c = await until('the confirmation', to('joiner@remote.test', /Subject: Confirm subscription to inner/), 120_000);
  await swaks(lab.srv, ['--from', 'joiner@remote.test', '--to', header(c.raw.toString('latin1'), 'Reply-To')!.replace(/^<|>$/g, '')]);
  const ask = await until('the request to the moderator', () => mailOf(lab.srv, 'moder@example.test').find((m) => m.includes('joiner@remote.test asks to join')), 120_000);
  assert.ok(!members('inner@example.test').length, 'not a member before the moderator admits');
  await swaks(lab.srv, ['--from', 'moder@example.test', '--to', header(ask, 'Reply-To')!.replace(/^<|>$/g, '')]);
  await until('admitted', () => members('inner@example.test').some((m) => m.address === 'joiner@remote.test'), 120_000);
});

test('repeated 5.1.1 bounces disable a member (and tell them); 5.7.1 policy refusals do not count', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  for (let i = 1; i <= 3; i++) {
    await post(lab.srv, 'carol@remote.test', 'news@example.test', `issue ${i} of the news`);
    await until(`bounce ${i} of ghost counted`, () => (logText(lab.srv).match(/list-bounce [^\n]*member=ghost@remote\.test status=5\.1\.1 kind=hard counted=true/g) ?? []).length >= i, 120_000);
    await until(`bounce ${i} of picky seen`, () => (logText(lab.srv).match(/list-bounce [^\n]*member=picky@policy\.test status=5\.7\.1 kind=policy counted=false/g) ?? []).length >= i, 120_000);
  }
  await until('ghost disabled', () => members('news@example.test').find((m) => m.address === 'ghost@remote.test')?.disabled_reason === 'bounce', 120_000);
  const picky = members('news@example.test').find((m) => m.address === 'picky@policy.test')!;
  assert.equal(picky.disabled, false, 'policy refusals never disable');
  assert.match(logText(lab.srv), /list-member-disabled[^\n]*member=ghost@remote\.test/);
  // they were told (the notice bounces too: to the plain bounce address, where it is only logged)
  await until('the suspension notice tried', () => lab.sink.events.some((e) => e.stage === 'rcpt' && e.arg === 'ghost@remote.test') && /list-bounce-unmatched[^\n]*no token/.test(logText(lab.srv)), 120_000);
  // the next post goes to the others only
  await post(lab.srv, 'carol@remote.test', 'news@example.test', 'issue 4 of the news');
  await until('issue 4 at carol', () => atSink(lab.sink, /issue 4 of the news/).find((m) => m.to.includes('carol@remote.test')), 120_000);
  const lines = logText(lab.srv).split('\n').filter((l) => /list-distributed[^\n]*list=news@example\.test/.test(l));
  const count = (l: string) => Number(/ members=(\d+) /.exec(l)![1]);
  assert.equal(count(lines[lines.length - 1]), count(lines[lines.length - 2]) - 1, 'issue 4 went to one member less: not to ghost');
});
