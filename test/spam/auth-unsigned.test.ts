// The unsigned fast path of DKIM (engine/spam/auth.ts unsignedDkim) answers exactly what mailauth.dkimVerify answers
// for a header section with no DKIM-Signature and no ARC field (its results and the From: addresses DMARC is judged
// on), and leaves every signed or sealed message to mailauth. Header sections in the writings Japanese mail uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mailauth from 'mailauth';
import { signedPart, unsignedDkim } from '../../engine/spam/auth.js';
import { encodeCharset, encodeWords } from '../../lab/corpora/japanese.js';

const noDns = async () => {
  throw Object.assign(new Error('no DNS here'), { code: 'ENOTFOUND' });
};

const sections: [string, Buffer][] = [
  ['plain', Buffer.from('From: a@b.example\r\nTo: c@d.example\r\nSubject: hi\r\n\r\nbody\r\n')],
  ['display name with comma, two addresses', Buffer.from('From: "Yamada, Taro" <t@example.jp>, x@y.example\r\n\r\n')],
  ['ISO-2022-JP encoded word', Buffer.from(`From: ${encodeWords('山田太郎', 'ISO-2022-JP')} <yamada@example.jp>\r\nSubject: ${encodeWords('会議', 'ISO-2022-JP')}\r\n\r\n`)],
  ['raw Shift_JIS name', Buffer.concat([Buffer.from('From: '), encodeCharset('山田', 'Shift_JIS'), Buffer.from(' <s@example.jp>\r\n\r\n')])],
  ['raw EUC-JP name', Buffer.concat([Buffer.from('From: '), encodeCharset('山田', 'EUC-JP'), Buffer.from(' <e@example.jp>\r\n\r\n')])],
  ['raw UTF-8 name', Buffer.from('From: 山田 <u@example.jp>\r\n\r\n')],
  ['group', Buffer.from('from : team: a@b.example, d@e.example;\r\n\r\n')],
  ['two From fields', Buffer.from('From: a@b.example\r\nFrom: d@e.example\r\n\r\n')],
  ['folded', Buffer.from('From:\r\n  folded@x.example\r\n\r\n')],
  ['bare LF', Buffer.from('From: a@b.example\nSubject: x\n\nbody\n')],
  ['LF then CRLF', Buffer.from('From: a@b.example\n\r\nbody')],
  ['no From', Buffer.from('Subject: none\r\n\r\n')],
  ['broken address', Buffer.from('From: bad <<>>@@\r\n\r\n')],
  ['stray CR', Buffer.from('From: a@b.example\r\r\n\r\n')],
];

test('an unsigned header section: the same answer as mailauth, in every writing', async () => {
  for (const [name, raw] of sections) {
    const part = signedPart(raw);
    const fast = unsignedDkim(part);
    assert.ok(fast, `${name}: takes the fast path`);
    const slow = await mailauth.dkimVerify(part, { resolver: noDns, sender: 'x@y.example' });
    assert.deepEqual({ from: fast.headerFrom, results: fast.results }, { from: slow.headerFrom, results: slow.results }, name);
  }
});

test('signed or sealed header sections are left to mailauth', () => {
  for (const head of [
    'DKIM-Signature: v=1; a=rsa-sha256; d=b.example; s=s; h=from; bh=x; b=y\r\nFrom: a@b.example\r\n\r\n',
    'From: a@b.example\r\nDKIM-Signature\r\n : v=1\r\n\r\n', // a field name folded before its colon
    'ARC-Seal: i=1; a=rsa-sha256; cv=none; d=b.example; s=s; b=y\r\nFrom: a@b.example\r\n\r\n',
    'arc-message-signature: i=1\r\nFrom: a@b.example\r\n\r\n',
  ]) {
    assert.equal(unsignedDkim(Buffer.from(head)), null, head);
  }
});
