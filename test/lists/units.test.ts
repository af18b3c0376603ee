// Unit tests of the list parts that need no server: names and role addresses, tokens, the copy's headers
// (subject prefix over ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8 subjects, From: rewriting, Reply-To), the
// RFC 3464 reader and the plain-text bounce heuristics (English and Japanese), request commands, post keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { encodedWord } from '../spam/mail.js';
import type { MailingList } from '../../engine/accounts/list-directory.js';
import { checkListAddress, listId, splitListLocal } from '../../engine/lists/names.js';
import { checkRowToken, groupToken, listKey, macMatches, parseBounceToken, rowToken, verpToken } from '../../engine/lists/tokens.js';
import { buildCopy, listFields, prefixedSubject, rewrittenFrom } from '../../engine/lists/copy.js';
import { decodeHeaderValue } from '../../engine/mime/charset.js';
import { readDeliveryStatus, typedAddress } from '../../engine/lists/dsn-reader.js';
import { classify, readPlainBounce, statusIn } from '../../engine/lists/bounce-text.js';
import { readBounce } from '../../engine/lists/bounces.js';
import { parseCommand } from '../../engine/lists/requests.js';
import { postKey } from '../../engine/lists/post.js';
import { rewriteFrom } from '../../engine/lists/dmarc.js';
import { buildDsn } from '../../engine/outbound/dsn.js';
import { checkMemberAddress } from '../../engine/lists/sqlite-lists.js';

const LIST: MailingList = {
  address: 'dev@example.test', name: 'dev', domain: 'example.test', post: 'members', moderated: false, subjectPrefix: '[dev]', replyTo: 'sender',
  maxSize: 0, digest: false, archive: false, dmarcRewrite: 'policy', private: false, created: 0,
};

test('list names: role suffixes are never list names; role addresses split with their tokens', () => {
  assert.deepEqual(checkListAddress('Dev@Example.test'), { ok: true, name: 'dev', domain: 'example.test' });
  for (const bad of ['dev-request@example.test', 'x-owner@example.test', 'postmaster@example.test', '-x@example.test', 'a..b@example.test', 'dev', 'a b@example.test']) {
    assert.equal(checkListAddress(bad).ok, false, bad);
  }
  assert.deepEqual(splitListLocal('dev'), { name: 'dev', role: 'post' });
  assert.deepEqual(splitListLocal('dev-request'), { name: 'dev', role: 'request', token: undefined });
  assert.deepEqual(splitListLocal('Dev-Bounces+m1-abc'), { name: 'dev', role: 'bounces', token: 'm1-abc' });
  assert.equal(splitListLocal('dev+x'), null, 'a post address takes no token');
  assert.equal(splitListLocal('dev-owner+x'), null);
  assert.equal(splitListLocal('dev-request+a.b'), null, 'tokens are [a-z0-9-]');
  assert.equal(listId(LIST), 'dev.example.test');
  assert.equal(checkMemberAddress(' Bob@Remote.Test '), 'bob@remote.test');
  for (const bad of ['bob', 'bob@', 'a%b@remote.test', '<bob@remote.test>', 'bob@[192.0.2.1]', 'bob@localhost']) assert.throws(() => checkMemberAddress(bad), /not an address/, bad);
});

test('tokens: a row token verifies only for its kind, list and id; VERP and group tokens name what they sign', () => {
  const key = listKey(Buffer.alloc(32, 7));
  const other = listKey(Buffer.alloc(32, 8));
  const t = rowToken(key, 'approve', 'dev@example.test', 'abcdefghij');
  assert.match(t, /^abcdefghij-[a-z2-7]{16}$/);
  assert.deepEqual(checkRowToken(key, 'approve', 'dev@example.test', t), { id: 'abcdefghij', valid: true });
  assert.equal(checkRowToken(key, 'reject', 'dev@example.test', t)!.valid, false, 'an approve token is no reject token');
  assert.equal(checkRowToken(key, 'approve', 'ops@example.test', t)!.valid, false, 'nor one of another list');
  assert.equal(checkRowToken(other, 'approve', 'dev@example.test', t)!.valid, false, 'nor one made with another key');
  assert.equal(checkRowToken(key, 'approve', 'dev@example.test', t.replace('abcdefghij', 'abcdefghik'))!.valid, false, 'the id is signed');
  assert.equal(checkRowToken(key, 'approve', 'dev@example.test', 'nonsense'), null);
  const v = verpToken(key, 'dev@example.test', 42, 'bob@remote.test');
  const p = parseBounceToken(v)!;
  assert.equal(p.kind, 'member');
  assert.ok(p.kind === 'member' && p.id === 42 && macMatches(key, p.mac, 'verp', 'dev@example.test', '42', 'bob@remote.test'));
  assert.ok(p.kind === 'member' && !macMatches(key, p.mac, 'verp', 'dev@example.test', '42', 'eve@remote.test'), 'a VERP token is bound to its address');
  const g = parseBounceToken(groupToken(key, 'dev@example.test', 'remote.test'))!;
  assert.ok(g.kind === 'group' && macMatches(key, g.mac, 'group', 'dev@example.test', 'remote.test') && !macMatches(key, g.mac, 'group', 'dev@example.test', 'other.test'));
});

const JA = '開発'; // 開発 ("development")
const SUBJECTS: { charset: string; raw: string }[] = [
  { charset: 'ISO-2022-JP encoded-word', raw: encodedWord(`[${JA}] 会議`, 'ISO-2022-JP') },
  { charset: 'Shift_JIS encoded-word', raw: encodedWord(`[${JA}] 会議`, 'Shift_JIS') },
  { charset: 'UTF-8 encoded-word', raw: `=?UTF-8?B?${Buffer.from(`[${JA}] 会議`).toString('base64')}?=` },
  { charset: 'raw Shift_JIS', raw: iconv.encode(`[${JA}] 会議`, 'shift_jis').toString('latin1') },
  { charset: 'raw EUC-JP', raw: iconv.encode(`[${JA}] 会議の予定について`, 'euc-jp').toString('latin1') },
  { charset: 'raw UTF-8', raw: Buffer.from(`[${JA}] 会議`).toString('latin1') },
];

test('subject prefix: added once, read through every Japanese encoding, the original bytes kept', () => {
  for (const s of SUBJECTS) {
    assert.equal(prefixedSubject(s.raw, `[${JA}]`), s.raw, `${s.charset}: already prefixed`);
    const other = prefixedSubject(s.raw, '[ops]')!;
    assert.equal(other, `[ops] ${s.raw}`, `${s.charset}: the original bytes follow unchanged`);
  }
  // a Japanese prefix before an encoded-word carries its own space (white space between encoded-words is not shown)
  const p = prefixedSubject('=?UTF-8?B?5Lya6K2w?=', `[${JA}]`)!;
  assert.equal(decodeHeaderValue(p).text, `[${JA}] 会議`);
  assert.equal(decodeHeaderValue(prefixedSubject('hello', `[${JA}]`)!).text, `[${JA}] hello`);
  assert.equal(prefixedSubject('Re: [dev] hi', '[dev]'), 'Re: [dev] hi');
  assert.equal(prefixedSubject(undefined, '[dev]'), '[dev]');
  assert.equal(prefixedSubject('hi', ''), 'hi');
});

test('the copy: list fields, Reply-To policies, and a DMARC rewrite that keeps the poster reachable', () => {
  const post = Buffer.from('Received: from x\r\nFrom: "Ann" <ann@strict.test>\r\nTo: dev@example.test\r\nSubject: hi\r\nList-Id: <forged.example.org>\r\nPrecedence: bulk\r\nCc: bob@remote.test\r\n\r\nbody line\r\n');
  const poster = { name: 'Ann', address: 'ann@strict.test', local: 'ann', domain: 'strict.test' };
  const copy = buildCopy({ list: LIST, raw: post, poster, rewriteFrom: false, hostname: 'mx.example.test', hopId: 'Lx', now: 0 }).toString('latin1');
  assert.match(copy, /^Received: by mx\.example\.test \(tegami list dev@example\.test\) id Lx;/);
  assert.equal((copy.match(/^List-Id:/gm) ?? []).length, 1);
  assert.match(copy, /^List-Id: <dev\.example\.test>\r$/m);
  assert.match(copy, /^Precedence: list\r$/m);
  assert.doesNotMatch(copy, /Precedence: bulk|forged\.example\.org/);
  assert.match(copy, /^From: "Ann" <ann@strict\.test>\r$/m);
  assert.doesNotMatch(copy, /^Reply-To:/m);
  assert.match(copy, /\r\n\r\nbody line\r\n$/);
  const rw = buildCopy({ list: LIST, raw: post, poster, rewriteFrom: true, hostname: 'h', hopId: 'L', now: 0 }).toString('latin1');
  assert.match(rw, /^From: "'Ann' via dev" <dev@example\.test>\r$/m);
  assert.match(rw, /^Reply-To: "Ann" <ann@strict\.test>\r$/m);
  const toList = buildCopy({ list: { ...LIST, replyTo: 'list' }, raw: post, poster, rewriteFrom: true, hostname: 'h', hopId: 'L', now: 0 }).toString('latin1');
  assert.match(toList, /^Reply-To: <dev@example\.test>\r$/m);
  assert.match(toList, /^Cc: bob@remote\.test, "Ann" <ann@strict\.test>\r$/m, 'the poster in Cc when replies go to the list');
  // List-Archive only for an archiving list with a URL configured; List-Post: NO when only moderators post
  const names = (l: MailingList, url?: string) => listFields(l, url).map((f) => f.raw.trimEnd());
  assert.ok(!names(LIST, 'imap://mx.example.test/{list}').some((f) => f.startsWith('List-Archive')));
  assert.ok(names({ ...LIST, archive: true }, 'imaps://mx.example.test/Lists/{list}').includes('List-Archive: <imaps://mx.example.test/Lists/dev@example.test>'));
  assert.ok(!names({ ...LIST, archive: true }).some((f) => f.startsWith('List-Archive')));
  assert.ok(names({ ...LIST, post: 'moderators' }).includes('List-Post: NO (only moderators post to this list)'));
  // a Japanese display name is encoded
  const ja = rewrittenFrom(LIST, { name: '山田', address: 'y@strict.test', local: 'y', domain: 'strict.test' });
  assert.match(ja, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <dev@example\.test>$/);
  assert.equal(decodeHeaderValue(ja.split(' <')[0]).text, "'山田' via dev");
  assert.equal(rewriteFrom('policy', 'reject'), true);
  assert.equal(rewriteFrom('policy', 'quarantine'), true);
  assert.equal(rewriteFrom('policy', 'unknown'), true, 'a failed lookup counts as strict');
  assert.equal(rewriteFrom('policy', 'none'), false);
  assert.equal(rewriteFrom('always', 'none'), true);
  assert.equal(rewriteFrom('never', 'reject'), false);
});

const POSTFIX_DSN = `Reporting-MTA: dns; mail.remote.test
X-Postfix-Queue-ID: 4Q1
Arrival-Date: Mon, 1 Jan 2024 10:00:00 +0900

Final-Recipient: rfc822; Ghost@Remote.test
Original-Recipient: rfc822;ghost@remote.test
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.remote.test
Diagnostic-Code: smtp; 550 5.1.1 <ghost@remote.test>: Recipient address
    rejected: User unknown in local recipient table

Final-Recipient: rfc822; slow@remote.test
Action: delayed
Status: 4.4.1
`;

test('RFC 3464 reader: per-message and per-recipient fields, folding, typed addresses', () => {
  const r = readDeliveryStatus(POSTFIX_DSN);
  assert.equal(r.reportingMta, 'mail.remote.test');
  assert.equal(r.recipients.length, 2);
  assert.deepEqual(r.recipients[0], {
    finalRecipient: 'ghost@remote.test',
    originalRecipient: 'ghost@remote.test',
    action: 'failed',
    status: '5.1.1',
    diagnostic: '550 5.1.1 <ghost@remote.test>: Recipient address rejected: User unknown in local recipient table',
    remoteMta: 'mx.remote.test',
  });
  assert.equal(r.recipients[1].action, 'delayed');
  assert.equal(typedAddress('utf-8; 山田@例え.jp'), '山田@例え.jp');
  assert.equal(typedAddress('rfc822; not an address'), undefined);
  assert.deepEqual(readDeliveryStatus('').recipients, []);
});

test('bounce kinds: specific codes decide, 5.7.x and spam words are policy, Japanese free text is read', () => {
  assert.equal(classify('5.1.1', 'whatever'), 'hard');
  assert.equal(classify('5.7.1', 'user unknown'), 'policy');
  assert.equal(classify('5.0.0', '550 rejected as spam'), 'policy');
  assert.equal(classify('5.0.0', 'DMARC policy of the sender'), 'policy');
  assert.equal(classify('4.2.2', 'mailbox full'), 'soft');
  assert.equal(classify('', 'no such user here'), 'hard');
  assert.equal(classify('', 'thank you for your mail'), 'unknown');
  assert.equal(statusIn('550-5.1.1 x\n550 5.7.1 y'), '5.7.1', 'a policy code anywhere wins');
  assert.equal(statusIn('remote said: 550 Requested action not taken'), '5.0.0');
  const qmail = readPlainBounce(`Hi. This is the qmail-send program at remote.test.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<ghost@remote.test>:
Sorry, no mailbox here by that name. (#5.1.1)
`);
  assert.deepEqual(qmail, { kind: 'hard', status: '5.1.1', addresses: ['ghost@remote.test'] });
  const exim = readPlainBounce(`This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  picky@policy.test
    host mx.policy.test [192.0.2.9]
    SMTP error from remote mail server after end of data:
    550 Message rejected because it looks like spam
`);
  assert.equal(exim.kind, 'policy');
  assert.deepEqual(exim.addresses, ['picky@policy.test']);
  const ja = readPlainBounce('以下のアドレスへの配送に失敗しました。\n\nnobody@example.jp\n宛先不明のため配送できませんでした。\n');
  assert.equal(ja.kind, 'hard');
  assert.deepEqual(ja.addresses, ['nobody@example.jp']);
  assert.equal(readPlainBounce('迷惑メールと判定されたため受信を拒否しました。').kind, 'policy');
  // hostile input stays linear: a long run of near-matches is read quickly enough to finish at all
  assert.equal(readPlainBounce('a'.repeat(200_000) + '@' + 'b.'.repeat(100_000)).kind, 'unknown');
});

test('readBounce: mailparser finds the delivery-status part of a real DSN; an auto-reply is recognised', async () => {
  const dsn = buildDsn({
    action: 'failed', hostname: 'mx.example.test',
    envelope: { id: 'X1', time: 0, mailFrom: 'dev-bounces+m1-aaaaaaaaaaaaaaaa@example.test', rcptTo: [], client: { ip: '127.0.0.1', helo: 'h', protocol: 'LOCAL', listener: 'list' } },
    recipients: [{ address: 'ghost@remote.test', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 Mailbox unavailable', fromRemote: true, remoteMta: 'sink' }],
    original: Buffer.from('Subject: x\r\n\r\nbody\r\n'),
  })!;
  const r = await readBounce(dsn.raw);
  assert.equal(r.dsn, true);
  assert.deepEqual(r.evidence, [{ address: 'ghost@remote.test', status: '5.1.1', kind: 'hard' }]);
  const vacation = await readBounce(Buffer.from('From: a@remote.test\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nI am away until Monday.\r\n'));
  assert.equal(vacation.autoReply, true);
  assert.equal(vacation.dsn, false);
});

test('request commands: subject or body line; tokens anywhere in a reply subject', () => {
  assert.deepEqual(parseCommand('subscribe'), { verb: 'subscribe', digest: false });
  assert.deepEqual(parseCommand('  Subscribe digest'), { verb: 'subscribe', digest: true });
  assert.deepEqual(parseCommand('UNSUBSCRIBE'), { verb: 'unsubscribe' });
  assert.deepEqual(parseCommand('leave'), { verb: 'unsubscribe' });
  assert.deepEqual(parseCommand('help me'), { verb: 'help' });
  assert.deepEqual(parseCommand('Re: Confirm subscription to dev@example.test (confirm abcdefghij-abcdefghijklmnop)'), { verb: 'confirm', token: 'abcdefghij-abcdefghijklmnop' });
  assert.equal(parseCommand('please add me'), null);
  assert.equal(parseCommand('subscribers are great'), null);
});

test('post keys: the Message-ID names a post; without one, its bytes', () => {
  const a = Buffer.from('Subject: a\r\n\r\nx');
  assert.equal(postKey(a, '<1@x>'), postKey(Buffer.from('other'), ' <1@x> '));
  assert.notEqual(postKey(a, '<1@x>'), postKey(a, '<2@x>'));
  assert.equal(postKey(a, undefined), postKey(Buffer.from(a), 'garbage'));
  assert.notEqual(postKey(a, undefined), postKey(Buffer.from('Subject: b\r\n\r\nx'), undefined));
});
