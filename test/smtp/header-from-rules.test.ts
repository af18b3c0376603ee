// The author rules of engine/smtp/header-from.ts on their own (the end-to-end cases over sockets are in
// header-from.test.ts): what a logged-in user, an allow_ips host and anyone else may write in From:/Sender:,
// which domain may then sign, and the bounded read of the header section off a dripping stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountDirectory, User } from '../../engine/accounts/directory.js';
import { parseConfigText } from '../../engine/config/load.js';
import { Logger } from '../../engine/log/logger.js';
import { HEADER_LIMIT, judgeAuthor, readHeaderSection, screenHeaderFrom } from '../../engine/smtp/header-from.js';

const alice: User = {
  address: 'alice@example.test', local: 'alice', domain: 'example.test', fullName: 'Alice', replyTo: '', forward: [], keepCopy: false,
  disabled: false, cannotChangePassword: false, webAccess: true, hostAdmin: false, listAdmin: false, systemAdmin: false,
  hostAdminOf: [], listAdminOf: [], quota: { bytes: 0, messages: 0 },
};
const admin: User = { ...alice, address: 'root@example.test', local: 'root', systemAdmin: true };

// example.test and other.test are ours; mail.example.test is a host alias of example.test; boss@other.test → alice
const directory = {
  localDomain: (d: string) => ({ 'example.test': 'example.test', 'mail.example.test': 'example.test', 'other.test': 'other.test' })[d.toLowerCase()] ?? null,
  senderAddresses: (u: User) => new Set(u === alice ? ['alice@example.test', 'alice@mail.example.test', 'boss@other.test'] : [u.address]),
} as unknown as AccountDirectory;

const config = (toml = '') => parseConfigText(`[relay]\nmode = "addresses"\nallow_ips = ["10.0.0.0/8"]\n${toml}`, '/tmp/tegami-test.toml');
const deps = (toml = '') => ({ config: config(toml), directory, logger: new Logger({ stdout: false, files: false }) });
const head = (h: string) => ({ head: Buffer.from(h.replace(/\n/g, '\r\n') + '\r\n\r\n'), complete: true });
const asAlice = { sid: 's', ip: '192.0.2.9', user: alice };

test('a logged-in user writes as himself or his aliases, and that domain may sign', () => {
  for (const [from, domain] of [
    ['Alice <alice@example.test>', 'example.test'],
    ['"Alice, A." <ALICE@Example.Test>', 'example.test'],
    ['alice@mail.example.test', 'mail.example.test'],
    ['=?UTF-8?B?5bGx55Sw?= <boss@other.test>', 'other.test'],
  ]) {
    const v = judgeAuthor(head(`From: ${from}\nSubject: x`), asAlice, deps());
    assert.equal(v.refusal, undefined, from);
    assert.deepEqual(v.origin, { kind: 'author', domain, by: 'login' }, from);
  }
  // two of his own addresses in two domains: accepted, but no single domain to sign as
  const two = judgeAuthor(head('From: alice@example.test, boss@other.test'), asAlice, deps());
  assert.equal(two.refusal, undefined);
  assert.deepEqual(two.origin, { kind: 'relayed' });
});

test("anyone else's address in From: or Sender: is refused with 550 5.7.1", () => {
  for (const h of [
    'From: boss@example.test',
    'From: ceo@other.test',
    'From: alice@example.test, ceo@other.test',
    'From: "alice@example.test" <ceo@other.test>',
    'From: alice@example.test\nFrom: ceo@other.test',
    'From: alice@example.test\nSender: ceo@other.test',
    'From: alice@elsewhere.test',
    'From: =?utf-8?q?alice=40example.test?=@other.test',
    'From: Alice <alice@example.test',
  ]) {
    const v = judgeAuthor(head(h), asAlice, deps());
    assert.equal(v.refusal?.code, 550, h);
    assert.equal(v.refusal?.status, '5.7.1', h);
    assert.deepEqual(v.origin, { kind: 'relayed' }, h);
  }
  const big = judgeAuthor({ head: Buffer.alloc(10), complete: false }, asAlice, deps());
  assert.equal(big.refusal?.code, 552);
});

test('restrict_header_from = false accepts, but what is not his is never signed; admins follow admins_may_send_as_anyone', () => {
  const off = judgeAuthor(head('From: ceo@other.test'), asAlice, deps('[smtp]\nrestrict_header_from = false'));
  assert.equal(off.refusal, undefined);
  assert.deepEqual(off.origin, { kind: 'relayed' });
  const asAdmin = { sid: 's', ip: '192.0.2.9', user: admin };
  const free = judgeAuthor(head('From: ceo@other.test'), asAdmin, deps('[smtp]\nadmins_may_send_as_anyone = true'));
  assert.equal(free.refusal, undefined);
  assert.deepEqual(free.origin, { kind: 'relayed' }, 'an admin may send as anyone, but it is not signed as them');
  assert.equal(judgeAuthor(head('From: ceo@other.test'), asAdmin, deps('[smtp]\nadmins_may_send_as_anyone = false')).refusal?.code, 550);
});

test('an allow_ips host may sign as our domains only; no From: means nothing to sign', () => {
  const host = { sid: 's', ip: '10.1.2.3' };
  assert.deepEqual(judgeAuthor(head('From: billing@other.test'), host, deps()).origin, { kind: 'author', domain: 'other.test', by: 'relay-host' });
  assert.deepEqual(judgeAuthor(head('From: someone@elsewhere.test'), host, deps()).origin, { kind: 'relayed' });
  assert.deepEqual(judgeAuthor(head('Subject: no author'), asAlice, deps()).origin, { kind: 'relayed' });
  assert.equal(judgeAuthor(head('Subject: no author'), asAlice, deps()).refusal, undefined);
});

async function* drip(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(c);
  return Buffer.concat(out);
}

test('the header section is read off the stream as it comes, bounded, and the message passes on whole', async () => {
  const msg = Buffer.from('From: alice@example.test\r\nSubject: dripped\r\n\r\nbody line\r\nFrom: not-a-header@x\r\n');
  const s = await readHeaderSection(drip(msg, 1));
  assert.equal(s.complete, true);
  assert.equal(s.head.toString(), 'From: alice@example.test\r\nSubject: dripped\r\n\r\n');
  assert.deepEqual(await collect(s.message), msg);
  // bare LF line ends, and a message that is only headers
  const lf = await readHeaderSection(drip(Buffer.from('From: a@b.test\nX: y\n\nbody'), 7));
  assert.equal(lf.head.toString(), 'From: a@b.test\nX: y\n\n');
  const only = await readHeaderSection(drip(Buffer.from('From: a@b.test\r\n'), 4));
  assert.equal(only.complete, true);
  // a header section over the limit stops the reading at the limit; the rest still flows through
  const huge = Buffer.concat([Buffer.from('X-Pad: ' + 'a'.repeat(HEADER_LIMIT) + '\r\nFrom: ceo@other.test\r\n\r\nbody')]);
  const h = await readHeaderSection(drip(huge, 4096));
  assert.equal(h.complete, false);
  assert.ok(h.head.length <= HEADER_LIMIT);
  assert.deepEqual(await collect(h.message), huge);
  // unauthenticated mail from elsewhere is not read at all before it is spooled
  const unread = await screenHeaderFrom(drip(msg, 5), { sid: 's', ip: '192.0.2.1' }, deps());
  assert.deepEqual(unread.origin, { kind: 'relayed' });
  assert.deepEqual(await collect(unread.message), msg);
  const refused = await screenHeaderFrom(drip(Buffer.from('From: ceo@other.test\r\n\r\nhi\r\n'), 3), asAlice, deps());
  assert.equal(refused.refusal?.code, 550);
  assert.equal((await collect(refused.message)).toString(), 'From: ceo@other.test\r\n\r\nhi\r\n');
});
