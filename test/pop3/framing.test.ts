// POP3 framing without sockets: the bounded line reader and the multi-line reply body (CRLF, dot-stuffing, TOP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { LineReader } from '../../engine/pop3/line-reader.js';
import { uidlOf } from '../../engine/pop3/maildrop.js';
import type { MessageInfo } from '../../engine/store/mailbox-store.js';
import { multilineBody, releaseReply, retrReply, topBody } from '../../engine/pop3/message-output.js';

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

test('RETR reply in one buffer: the same octets as status + multi-line body, in place or copied, buffers reused', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const pieces = ['.', '..', '\r\n', '\n', '\r', 'a', 'Subject: x', ' ', '.\r\n', '\n.', 'あ'];
  const seen = new Set<ArrayBufferLike>();
  for (let i = 0; i < 3000; i++) {
    // mostly small messages with a few insertions; some all dots and bare LFs (more than the room kept for them)
    const count = i % 10 === 0 ? rnd(4000) : rnd(60);
    let text = '';
    for (let k = 0; k < count; k++) text += i % 10 === 0 ? pieces[rnd(2) ? 0 : 3] : pieces[rnd(pieces.length)];
    const msg = Buffer.from(text);
    const status = `+OK ${msg.length} octets`;
    const want = Buffer.concat([Buffer.from(status + '\r\n'), ...multilineBody(msg)]);
    const r = retrReply(status, msg.length, (buf, at) => {
      assert.ok(buf.length - at >= msg.length + 1, 'room for one octet more than the message');
      buf.fill(0x0a, at); // what a buffer used before may hold: never taken for the message's octets
      return msg.copy(buf, at);
    });
    assert.ok(r);
    assert.equal(r.buf.subarray(0, r.len).toString('latin1'), want.toString('latin1'), JSON.stringify(text.slice(0, 80)));
    seen.add(r.buf.buffer);
    releaseReply(r.buf);
  }
  assert.ok(seen.size < 100, `buffers are reused (${seen.size} made for 3000 replies)`);
  // a message the store cannot read this way: no reply, and the buffer goes back
  assert.equal(retrReply('+OK 5 octets', 5, () => null), null);
});

test('UIDL: the Maildir base name when it is 1–70 printable octets, else its MD5 (RFC 1939: 0x21–0x7E, at most 70)', () => {
  const info = (key: string) => ({ key }) as MessageInfo;
  const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');
  assert.equal(uidlOf(info('1700000000.M1P2Q3.host,S=120')), '1700000000.M1P2Q3.host,S=120');
  assert.equal(uidlOf(info('!'.repeat(70))), '!'.repeat(70));
  assert.equal(uidlOf(info('~'.repeat(71))), md5('~'.repeat(71)));
  for (const bad of ['', 'with space', 'tab\there', 'del\x7f', 'ctl\x1f', 'メール', 'é', 'line\n']) assert.equal(uidlOf(info(bad)), md5(bad), JSON.stringify(bad));
});
