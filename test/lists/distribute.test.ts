// R4 over real sockets: a member's post to a list reaches every member (remote ones at the lab sink with
// their own VERP envelope sender, the list headers and a DKIM signature of the list's domain that mailauth
// verifies; local ones in their Maildir), and a post from a domain publishing p=reject arrives with From:
// rewritten to the list and the poster in Reply-To, still verifying.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand } from '../helpers/server.js';
import { atSink, cli, dkimResults, header, listLab, logText, mailOf, post, until, type ListLab } from './helpers.js';

let lab: ListLab;

before(async () => {
  lab = await listLab({ users: [{ address: 'alice@example.test', password: 'alice-secret-1' }] });
  lab.dns.add([
    { name: '_dmarc.strict.test', type: 'TXT', data: 'v=DMARC1; p=reject; rua=mailto:dmarc@strict.test' },
    { name: '_dmarc.lax.test', type: 'TXT', data: 'v=DMARC1; p=none' },
  ]);
  cli(lab.srv, ['list', 'create', 'dev@example.test']);
  cli(lab.srv, ['list', 'add', 'dev@example.test', 'alice@example.test', 'carol@remote.test', 'dave@remote.test', 'erin@other.test', 'poster@strict.test', 'lou@lax.test']);
});

after(async () => {
  await lab?.close();
});

test("a member's post reaches every member: VERP senders, list headers, DKIM of the list's domain, local Maildir", async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'carol@remote.test', 'dev@example.test', 'hello list members');
  const copies = await until('five remote copies', () => {
    const got = atSink(lab.sink, /hello list members/);
    return got.length >= 5 ? got : null;
  }, 60_000);
  const rcpts = copies.flatMap((m) => m.to).sort();
  assert.deepEqual(rcpts, ['carol@remote.test', 'dave@remote.test', 'erin@other.test', 'lou@lax.test', 'poster@strict.test']);
  const senders = new Set<string>();
  for (const m of copies) {
    // one member per envelope, each with its own signed bounce address
    assert.equal(m.to.length, 1);
    assert.match(m.from, /^dev-bounces\+m[0-9a-z]+-[a-z2-7]{16}@example\.test$/);
    senders.add(m.from);
    const raw = m.raw.toString('latin1');
    assert.equal(header(raw, 'List-Id'), '<dev.example.test>');
    assert.equal(header(raw, 'List-Post'), '<mailto:dev@example.test>');
    assert.equal(header(raw, 'List-Help'), '<mailto:dev-request@example.test?subject=help>');
    assert.equal(header(raw, 'List-Subscribe'), '<mailto:dev-request@example.test?subject=subscribe>');
    assert.equal(header(raw, 'List-Unsubscribe'), '<mailto:dev-request@example.test?subject=unsubscribe>');
    assert.equal(header(raw, 'List-Owner'), '<mailto:dev-owner@example.test>');
    assert.equal(header(raw, 'Precedence'), 'list');
    assert.equal(header(raw, 'List-Unsubscribe-Post'), undefined, 'no one-click field before the HTTPS endpoint exists');
    assert.equal(header(raw, 'Subject'), '[dev] hello list members');
    assert.equal(header(raw, 'From'), 'carol@remote.test', 'remote.test publishes no DMARC policy: From: kept');
    assert.deepEqual(await dkimResults(lab.dns, m.raw), [{ result: 'pass', domain: 'example.test' }]);
  }
  assert.equal(senders.size, 5, 'each member has its own VERP sender');
  const local = await until("alice's copy", () => mailOf(lab.srv, 'alice@example.test').find((x) => x.includes('hello list members')), 120_000);
  assert.equal(header(local, 'List-Id'), '<dev.example.test>');
  assert.match(header(local, 'Return-Path') ?? '', /^<dev-bounces\+m[0-9a-z]+-[a-z2-7]{16}@example\.test>$/);
  assert.match(logText(lab.srv), /list-distributed.*dev@example\.test/);
});

test('a post from a domain publishing p=reject arrives with From: rewritten to the list, the poster in Reply-To', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'poster@strict.test', 'dev@example.test', 'strict domain post', ['--header', 'From: "Pat Poster" <poster@strict.test>']);
  const copies = await until('the copies', () => {
    const got = atSink(lab.sink, /strict domain post/);
    return got.length >= 5 ? got : null;
  }, 60_000);
  for (const m of copies) {
    const raw = m.raw.toString('latin1');
    assert.equal(header(raw, 'From'), `"'Pat Poster' via dev" <dev@example.test>`);
    assert.equal(header(raw, 'Reply-To'), '"Pat Poster" <poster@strict.test>');
    assert.deepEqual(await dkimResults(lab.dns, m.raw), [{ result: 'pass', domain: 'example.test' }]);
  }
  // p=none keeps From:
  await post(lab.srv, 'lou@lax.test', 'dev@example.test', 'lax domain post');
  const lax = await until('the lax copies', () => {
    const got = atSink(lab.sink, /lax domain post/);
    return got.length >= 5 ? got : null;
  }, 60_000);
  for (const m of lax) assert.equal(header(m.raw.toString('latin1'), 'From'), 'lou@lax.test');
});
