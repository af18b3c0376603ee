// [lists] verp = "domain" over real sockets (security review 3, follow-up). One copy goes to every member at a
// provider, with one bounce address; a member there (mallory) reads it from her copy and sends forged DSNs naming
// another member (bob) with swaks. On the old code bob was disabled at bounce_threshold; now the threshold only
// sends bob a probe with his own VERP sender, which mallory never sees, and bob stays a member because the probe
// arrives. A member whose address really fails (ghost, refused 5.1.1 by the remote server) bounces the probe too
// and is disabled, as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildDsn } from '../../engine/outbound/dsn.js';
import { requireCommand } from '../helpers/server.js';
import { cli, listLab, logText, post, swaks, until, type ListLab } from './helpers.js';

let lab: ListLab;

before(async () => {
  lab = await listLab({
    sink: { permFail: ['ghost@remote.test'] },
    toml: ['[lists]', 'verp = "domain"', 'bounce_threshold = 2', 'bounce_interval = "0s"'].join('\n'),
  });
  cli(lab.srv, ['list', 'create', 'dev@example.test']);
  cli(lab.srv, ['list', 'add', 'dev@example.test', 'mallory@remote.test', 'bob@remote.test', 'ghost@remote.test']);
});

after(async () => {
  await lab?.close();
});

type Member = { address: string; disabled: boolean; disabled_reason: string | null };
const member = (a: string) => (JSON.parse(cli(lab.srv, ['list', 'members', 'dev@example.test', '--json'])) as Member[]).find((m) => m.address === a)!;
const copyTo = (a: string, subject: string) => lab.sink.messages.find((m) => m.to.includes(a) && m.raw.toString('latin1').includes(`Subject: [dev] ${subject}`));

test('forged bounces from a member at the same provider only send a probe; a real failure still disables', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'mallory@remote.test', 'dev@example.test', 'first post');
  const copy = await until("mallory's copy", () => copyTo('mallory@remote.test', 'first post'), 120_000);
  assert.ok(copy.to.includes('bob@remote.test'), 'one copy for the whole domain');
  const shared = copy.from;
  assert.match(shared, /^dev-bounces\+g-[a-z2-7]+@example\.test$/);

  // mallory forges DSNs naming bob, to the bounce address of her own copy
  const file = path.join(lab.srv.dir, 'forged.eml');
  const forged = buildDsn({
    action: 'failed',
    hostname: 'mx.remote.test',
    envelope: { id: 'Q', time: 0, mailFrom: shared, rcptTo: [], client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } },
    recipients: [{ address: 'bob@remote.test', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 user unknown', fromRemote: true }],
    original: Buffer.alloc(0),
  })!.raw;
  fs.writeFileSync(file, forged);
  for (let i = 1; i <= 3; i++) {
    const out = await swaks(lab.srv, ['--from', '<>', '--to', shared, '--data', file]);
    assert.match(out, /<- {2}250 /, out);
    await until(`forged bounce ${i} counted`, () => (logText(lab.srv).match(/list-bounce [^\n]*member=bob@remote\.test[^\n]*counted=true/g) ?? []).length >= i || undefined, 120_000);
  }
  await until('the probe logged', () => /list-bounce-probe[^\n]*member=bob@remote\.test/.test(logText(lab.srv)) || undefined, 120_000);
  const probe = await until('the probe to bob', () => lab.sink.messages.find((m) => m.to.includes('bob@remote.test') && /Subject: Checking your address/.test(m.raw.toString('latin1'))), 120_000);
  assert.match(probe.from, /^dev-bounces\+m\w*-?[a-z2-7]+@example\.test$/, `the probe has bob's own sender: ${probe.from}`);
  assert.notEqual(probe.from, shared);
  assert.deepEqual(probe.to, ['bob@remote.test'], 'the probe goes to bob alone');
  assert.equal(member('bob@remote.test').disabled, false, 'bob is still a member');

  // ghost's address really fails: the shared copies bounce (tegami's own DSNs), the probe bounces, ghost is disabled
  await post(lab.srv, 'mallory@remote.test', 'dev@example.test', 'second post');
  await until('ghost disabled', () => member('ghost@remote.test').disabled_reason === 'bounce' || undefined, 120_000);
  assert.match(logText(lab.srv), /list-bounce-probe[^\n]*member=ghost@remote\.test/);
  assert.equal(member('bob@remote.test').disabled, false);
  assert.equal(member('mallory@remote.test').disabled, false);
});
