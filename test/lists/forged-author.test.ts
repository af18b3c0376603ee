// Security review 4: a list anyone may post to took a stranger's From: boss@example.test (port 25, no login) and
// sent it to every member as it was, signed with the list's key (d=example.test): the copy passed DKIM and DMARC
// for a boss who never wrote it, because example.test publishes no strict policy (the list rewrites From: only
// for posters whose domain asks). An author of our own domains that is not proven (no login, no relay host) now
// gets the list's address in From:, whatever the domain publishes; one logged in keeps his From:.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run } from '../helpers/server.js';
import { atSink, cli, dkimResults, header, listLab, logText, post, until, type ListLab } from './helpers.js';

let lab: ListLab;

before(async () => {
  lab = await listLab({ users: [{ address: 'boss@example.test', password: 'boss-secret-1' }] });
  cli(lab.srv, ['list', 'create', 'open@example.test']);
  cli(lab.srv, ['list', 'set', 'open@example.test', '--post', 'anyone']);
  cli(lab.srv, ['list', 'add', 'open@example.test', 'carol@remote.test']);
});

after(async () => {
  await lab?.close();
});

test("a stranger's From: of our own domain goes out under the list's address; the owner logged in keeps his", async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'boss@example.test', 'open@example.test', '至急 forged by a stranger');
  const forged = await until('the forged post at the sink', () => atSink(lab.sink, /forged by a stranger/)[0], 120_000);
  const raw = forged.raw.toString('latin1');
  assert.doesNotMatch(header(raw, 'From') ?? '', /<?boss@example\.test>?\s*$/, `From: ${header(raw, 'From')}`);
  assert.match(header(raw, 'From') ?? '', /open@example\.test/);
  assert.ok((await dkimResults(lab.dns, forged.raw)).some((r) => r.result === 'pass' && r.domain === 'example.test'), 'still signed by the list');
  assert.match(logText(lab.srv), /list-sender-unproven[^\n]*claimed=boss@example\.test[^\n]*From: rewritten/);

  const out = await run('swaks', ['--server', `127.0.0.1:${lab.srv.ports.submission}`, '--tls', '--auth', 'PLAIN', '--auth-user', 'boss@example.test', '--auth-password', 'boss-secret-1',
    '--from', 'boss@example.test', '--to', 'open@example.test', '--header', 'From: boss@example.test', '--header', 'Subject: written by the boss', '--timeout', '30']);
  assert.match(out.stdout + out.stderr, /<- {2}250 /, out.stdout + out.stderr);
  const real = await until('the real post at the sink', () => atSink(lab.sink, /written by the boss/)[0], 120_000);
  assert.match(header(real.raw.toString('latin1'), 'From') ?? '', /boss@example\.test/);
});

test('held and then approved by a moderator, the forged From: still goes out under the list address', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  cli(lab.srv, ['list', 'create', 'staff@example.test']);
  cli(lab.srv, ['list', 'set', 'staff@example.test', '--post', 'members']);
  cli(lab.srv, ['list', 'add', 'staff@example.test', 'boss@example.test', 'carol@remote.test']);
  await post(lab.srv, 'boss@example.test', 'staff@example.test', 'forged member, approved');
  const line = await until('held', () => cli(lab.srv, ['list', 'pending', 'staff@example.test']).split('\n').find((l) => l.includes('forged member, approved')), 120_000);
  const held = JSON.parse(cli(lab.srv, ['list', 'pending', 'staff@example.test', '--json'])) as { reason: string }[];
  assert.match(held[0].reason, /the sender is of our own domains but did not log in to send; From: an address of ours its owner did not send from/);
  cli(lab.srv, ['list', 'approve', 'staff@example.test', line.split('\t')[0]]);
  const m = await until('the approved post at the sink', () => atSink(lab.sink, /forged member, approved/)[0], 120_000);
  assert.match(header(m.raw.toString('latin1'), 'From') ?? '', /staff@example\.test/);
});
