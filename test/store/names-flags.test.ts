// Maildir file-name info ↔ IMAP flags, and folder names ↔ Maildir++ directories (modified UTF-7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFlags, flagsOf, maildirName, parseMaildirName, sizeFromName } from '../../engine/store/maildir-flags.js';
import { decodeFolder, encodeFolder } from '../../engine/store/maildir-names.js';
import { decodeMutf7, encodeMutf7 } from '../../engine/util/mutf7.js';

test('file names: base and info split; letters sorted; size from S=', () => {
  assert.deepEqual(parseMaildirName('1700.M1P2.host,S=42:2,FS'), { base: '1700.M1P2.host,S=42', info: 'FS' });
  assert.deepEqual(parseMaildirName('1700.M1P2.host'), { base: '1700.M1P2.host', info: null });
  assert.equal(maildirName('b', 'SFRSa'), 'b:2,FRSa');
  assert.equal(sizeFromName('1700.M1P2.host,S=42,W=44'), 42);
  assert.equal(sizeFromName('1700.M1P2.host'), undefined);
});

test('flags: system flags map to DFRST, keywords stay apart, unknown letters survive', () => {
  assert.deepEqual(flagsOf('DFRST', 'todo $Junk'), ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', 'todo', '$Junk']);
  assert.deepEqual(applyFlags('Pa', '', 'add', ['\\SEEN', '\\Recent', '\\Bogus', 'Work', 'work']), { letters: 'PSa', keywords: 'Work' });
  assert.deepEqual(applyFlags('FPS', 'x y', 'replace', ['\\Draft', 'z']), { letters: 'DP', keywords: 'z' });
  assert.deepEqual(applyFlags('FS', 'x Y', 'remove', ['\\Flagged', 'y']), { letters: 'S', keywords: 'x' });
  assert.deepEqual(applyFlags('', '', 'add', ['bad(kw', 'sp ace', '']), { letters: '', keywords: '' }, 'not atoms');
});

test('folder names: Maildir++ dots for the hierarchy, modified UTF-7 for non-ASCII, "." refused', () => {
  assert.equal(encodeFolder('Spam'), 'Spam');
  assert.equal(encodeFolder('a/b/c'), 'a.b.c');
  assert.equal(encodeFolder('迷惑メール'), '&j,dg0TDhMPww6w-');
  assert.equal(encodeFolder('R&D'), 'R&-D');
  assert.equal(encodeFolder('x.y'), null);
  assert.equal(encodeFolder('a//b'), null);
  assert.equal(encodeFolder('tab\there'), null);
  for (const name of ['迷惑メール', 'R&D/日本語', 'Ünïcödé 😀', 'plain']) {
    assert.equal(decodeFolder(encodeFolder(name)!), name);
  }
  assert.equal(encodeMutf7('~peter/mail/台北/日本語'), '~peter/mail/&U,BTFw-/&ZeVnLIqe-', 'RFC 3501 §5.1.3 example');
  assert.equal(decodeMutf7('&U,BTFw-'), '台北');
});
