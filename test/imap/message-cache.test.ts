// The per-process IMAP message cache (engine/imap/message-cache.ts): its byte bound must be the memory it holds.
// A small Buffer.from() is a view into Node's shared 8 KB pool; kept as it is, a cached 300-byte header block
// would hold the whole slab (27× what the bound counted in a measurement: 6 MB counted, 164 MB held).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageCache } from '../../engine/imap/message-cache.js';

it('keeps the cached header block in memory of its own, never a view into a larger (pooled) one', () => {
  const cache = new MessageCache();
  const box = MessageCache.box('山田@example.jp', 'INBOX', 1);
  const message = Buffer.from('Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\nFrom: a@example.jp\r\n\r\n本文\r\n');
  const head = Buffer.from(message.subarray(0, message.indexOf('\r\n\r\n') + 4)); // as FETCH copies it
  const envelope = '("Sat, 5 Dec 2026 00:00:00 +0900" NIL NIL NIL NIL NIL NIL NIL NIL NIL)';
  assert.ok(head.buffer.byteLength > head.length, 'the test input is a view into the pool');
  cache.update(box, 7, { head, envelope });
  cache.update(box, 7, { body: '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 8 1)' });
  const got = cache.get(box, 7)!;
  assert.equal(got.head!.buffer.byteLength, head.length, 'holding only its own bytes');
  assert.deepEqual(got.head, head);
  assert.equal(got.body, '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 8 1)');
  assert.deepEqual(got.envelope, envelope);
  // a Buffer already in memory of its own is kept as it is (no copy)
  const alone = Buffer.allocUnsafeSlow(4);
  alone.write('abcd');
  cache.update(box, 8, { head: alone });
  assert.equal(cache.get(box, 8)!.head, alone);
});
