// POP3 framing without sockets: the bounded line reader and the multi-line reply body (CRLF, dot-stuffing, TOP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineReader } from '../../engine/pop3/line-reader.js';
import { multilineBody, topBody } from '../../engine/pop3/message-output.js';

const body = (parts: Buffer[]) => Buffer.concat(parts).toString('latin1');

test('line reader: CRLF and bare LF end lines, split chunks join, NUL and overlong lines are reported', () => {
  const r = new LineReader();
  assert.deepEqual(r.push(Buffer.from('NOOP\r\nST')), [{ kind: 'line', text: 'NOOP' }]);
  assert.deepEqual(r.push(Buffer.from('AT\nLIST 1\r')), [{ kind: 'line', text: 'STAT' }]);
  assert.deepEqual(r.push(Buffer.from('\n')), [{ kind: 'line', text: 'LIST 1' }]);
  assert.deepEqual(r.push(Buffer.from('a\0b\r\n')), [{ kind: 'nul' }]);
  // 255 octets with CRLF is fine, 256 is not
  assert.deepEqual(r.push(Buffer.from('x'.repeat(253) + '\r\n')), [{ kind: 'line', text: 'x'.repeat(253) }]);
  assert.deepEqual(r.push(Buffer.from('x'.repeat(255) + '\r\n')), [{ kind: 'too-long' }]);
  // an endless line is dropped as it comes, never buffered, and reported once at its end
  for (let i = 0; i < 100; i++) assert.deepEqual(r.push(Buffer.alloc(1000, 0x41)), []);
  assert.deepEqual(r.push(Buffer.from('AAAA\r\nQUIT\r\n')), [{ kind: 'too-long' }, { kind: 'line', text: 'QUIT' }]);
  r.push(Buffer.from('partial'));
  r.discardBuffered();
  assert.deepEqual(r.push(Buffer.from('\r\n')), [{ kind: 'line', text: '' }]);
});

test('multi-line body: clean CRLF mail goes out as is; LF mail gets CRLF; lines starting with "." are stuffed', () => {
  const clean = Buffer.from('Subject: a\r\n\r\nbody\r\n');
  const out = multilineBody(clean);
  assert.equal(out[0], clean, 'no copy for clean mail');
  assert.equal(body(out), 'Subject: a\r\n\r\nbody\r\n.\r\n');
  assert.equal(body(multilineBody(Buffer.from('Subject: a\n\n.hidden\n..two\nend'))), 'Subject: a\r\n\r\n..hidden\r\n...two\r\nend\r\n.\r\n');
  assert.equal(body(multilineBody(Buffer.from('.first\r\nx\r\n'))), '..first\r\nx\r\n.\r\n');
  assert.equal(body(multilineBody(Buffer.from('a\r\n\r\n.\r\n'))), 'a\r\n\r\n..\r\n.\r\n', 'a lone dot line is stuffed');
  assert.equal(body(multilineBody(Buffer.alloc(0))), '.\r\n');
});

test('TOP: the header, the blank line and n body lines', () => {
  const m = Buffer.from('A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n');
  assert.equal(body(topBody(m, 0)), 'A: 1\r\nB: 2\r\n\r\n.\r\n');
  assert.equal(body(topBody(m, 2)), 'A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n');
  assert.equal(body(topBody(m, 99)), 'A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n');
  assert.equal(body(topBody(Buffer.from('A: 1\nB: 2\n\nl1\nl2\n'), 1)), 'A: 1\r\nB: 2\r\n\r\nl1\r\n.\r\n');
  assert.equal(body(topBody(Buffer.from('A: 1\r\nno body'), 5)), 'A: 1\r\nno body\r\n.\r\n');
});
