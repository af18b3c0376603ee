// Unit tests for the IMAP protocol layer: framing with literals and limits, tokens, sequence sets,
// modified UTF-7, and argument shapes checked as data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDateTime, validateArgs } from '../../engine/imap/command.js';
import { CommandReader } from '../../engine/imap/protocol/reader.js';
import { decodeMutf7, encodeMutf7 } from '../../engine/util/mutf7.js';
import { formatSet, parseSequenceSet, resolveSeq, resolveUid } from '../../engine/imap/protocol/sequence.js';
import { parseCommand } from '../../engine/imap/protocol/tokens.js';

const limits = { maxLine: 100, maxLiteral: 50, maxCommand: 400 };

test('reader frames lines and literals, asks for "+" only for synchronizing literals', () => {
  const r = new CommandReader(limits);
  r.push(Buffer.from('a1 APPEND INBOX {5}\r\nhel'));
  assert.equal(r.take('command'), null);
  assert.equal(r.continuationWanted, true);
  r.push(Buffer.from('lo\r\na2 NOOP\r\na3 LOGIN {3+}\r\nbob x\r\n'));
  const ev = r.take('command');
  assert.equal(ev?.kind, 'command');
  if (ev?.kind !== 'command') return;
  assert.equal(ev.segments.length, 3);
  const lit = ev.segments[1];
  assert.equal(lit.kind === 'literal' && lit.data.toString(), 'hello');
  const p = parseCommand(ev.segments);
  assert.ok(p.ok);
  if (!p.ok) return;
  assert.equal(p.cmd.name, 'APPEND');
  assert.deepEqual(p.cmd.args.map((t) => t.t), ['atom', 'string']);
  assert.equal(r.take('command')?.kind, 'command');
  const third = r.take('command');
  assert.equal(r.continuationWanted, false);
  assert.ok(third?.kind === 'command');
  const p3 = parseCommand(third.segments);
  assert.ok(p3.ok && p3.cmd.args.length === 2);
});

test('reader refuses oversized literals and lines, then keeps going', () => {
  const r = new CommandReader(limits);
  r.push(Buffer.from('a1 APPEND INBOX {51}\r\na2 NOOP\r\n'));
  const e1 = r.take('command');
  assert.deepEqual(e1 && e1.kind === 'error' && [e1.tag, e1.fatal], ['a1', false]);
  assert.equal(r.take('command')?.kind, 'command');
  r.push(Buffer.from('a3 NOOP ' + 'x'.repeat(300)));
  assert.equal(r.take('command'), null);
  assert.ok(r.bufferedBytes < 200, 'an overlong line is discarded, not buffered');
  r.push(Buffer.from('yyy\r\na4 NOOP\r\n'));
  const e2 = r.take('command');
  assert.ok(e2?.kind === 'error' && e2.tag === 'a3' && /too long/.test(e2.text));
  assert.equal(r.take('command')?.kind, 'command');
  r.push(Buffer.from('a5 APPEND INBOX {99999999999+}\r\n'));
  const e3 = r.take('command');
  assert.ok(e3?.kind === 'error' && e3.fatal, 'a non-synchronizing literal over the limit ends the session');
});

test('tokens: quoted strings, lists, sections, NUL and bad quoting are errors', () => {
  const seg = (s: string) => [{ kind: 'line' as const, data: Buffer.from(s, 'latin1') }];
  const p = parseCommand(seg('x FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>) "a\\"b"'));
  assert.ok(p.ok);
  if (!p.ok) return;
  assert.equal(p.cmd.args[1].t, 'list');
  const list = p.cmd.args[1];
  assert.ok(list.t === 'list' && list.v[1].t === 'atom' && list.v[1].v === 'BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>');
  const q = p.cmd.args[2];
  assert.ok(q.t === 'string' && q.v.toString() === 'a"b');
  assert.equal(parseCommand(seg('x LOGIN "a\0b" c')).ok, false);
  assert.equal(parseCommand(seg('x LOGIN "abc')).ok, false);
  assert.equal(parseCommand(seg('x FETCH 1 (FLAGS')).ok, false);
  const noTag = parseCommand(seg('\x01\x02garbage'));
  assert.ok(!noTag.ok && noTag.tag === undefined);
});

test('sequence sets: ranges, "*", UID resolution and compression', () => {
  assert.deepEqual(resolveSeq(parseSequenceSet('2:4,9,*')!, 6), [2, 3, 4, 6]);
  assert.deepEqual(resolveSeq(parseSequenceSet('5:*')!, 3), [3]);
  assert.deepEqual(resolveUid(parseSequenceSet('10:*')!, [3, 7, 8]), [3], 'N:* includes the last message even when N is above it');
  assert.deepEqual(resolveUid(parseSequenceSet('4:7')!, [3, 7, 8]), [2]);
  assert.deepEqual(resolveUid(parseSequenceSet('5:6,100:1,200:*')!, [1, 3, 50, 150, 300]), [1, 2, 3, 5], 'overlapping, reversed ranges');
  const many = Array.from({ length: 5000 }, (_, i) => String(i * 2 + 1)).join(',');
  // linear, not ranges × messages: counted in reads of the UID list (a clock would measure the machine's load)
  const list = Array.from({ length: 10000 }, (_, i) => i + 1);
  let reads = 0;
  const counted = new Proxy(list, { get: (o, k, r) => (typeof k === 'string' && /^\d+$/.test(k) && reads++, Reflect.get(o, k, r)) });
  assert.equal(resolveUid(parseSequenceSet(many)!, counted).length, 5000);
  assert.ok(reads <= 10 * (list.length + 5000), `linear, not ranges × messages: ${reads} reads of the UID list`);
  assert.equal(parseSequenceSet('0'), null);
  assert.equal(parseSequenceSet('1:x'), null);
  assert.equal(formatSet([1, 2, 3, 5, 7, 8]), '1:3,5,7:8');
});

test('modified UTF-7 mailbox names', () => {
  assert.equal(encodeMutf7('日本語'), '&ZeVnLIqe-');
  assert.equal(decodeMutf7('&ZeVnLIqe-/a&-b'), '日本語/a&b');
  assert.equal(encodeMutf7('Entwürfe'), 'Entw&APw-rfe');
  assert.equal(decodeMutf7('&Zz-x&'), null);
});

test('argument shapes are checked before a handler runs', () => {
  const specs = [
    { name: 'mailbox', type: 'mailbox' as const },
    { name: 'flags', type: 'flags' as const, optional: true },
    { name: 'date', type: 'datetime' as const, optional: true },
    { name: 'message', type: 'bytes' as const },
  ];
  const lit = { t: 'string' as const, v: Buffer.from('x'), literal: true };
  const ok = validateArgs(specs, [{ t: 'atom', v: 'inbox' }, { t: 'list', v: [{ t: 'atom', v: '\\Seen' }] }, lit]);
  assert.ok(ok.ok && ok.args.mailbox === 'INBOX' && (ok.args.flags as string[])[0] === '\\Seen');
  assert.equal(validateArgs(specs, [{ t: 'atom', v: 'inbox' }]).ok, false);
  assert.equal(validateArgs([{ name: 'set', type: 'seqset' }], [{ t: 'atom', v: 'abc' }]).ok, false);
  assert.equal(validateArgs([], [{ t: 'atom', v: 'extra' }]).ok, false);
  assert.equal(parseDateTime('17-Jul-1996 02:44:25 -0700'), Date.UTC(1996, 6, 17, 9, 44, 25));
});
