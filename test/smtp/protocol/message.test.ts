// The DATA reader (engine/smtp/protocol/message.ts): the message is the same however the client's bytes were
// cut into chunks — at every byte boundary, one byte at a time — with dot-stuffed lines unstuffed, the end found
// only at CRLF.CRLF (a dot line after a bare LF is message content: no SMTP smuggling), and the bytes after the
// final dot left for the commands. Past the size limit nothing more is kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataReader, MessageStream } from '../../../engine/smtp/protocol/message.js';

/** Feeds `chunks` to a fresh reader; the message it read and what followed the final dot (null: no end seen). */
async function read(chunks: Buffer[], max = 0): Promise<{ message: Buffer; rest: Buffer | null; stream: MessageStream }> {
  const stream = new MessageStream(max, () => {});
  const reader = new DataReader(stream);
  let rest: Buffer | null = null;
  for (let i = 0; i < chunks.length; i++) {
    const end = reader.feed(chunks[i], 0);
    if (end >= 0) {
      rest = Buffer.concat([chunks[i].subarray(end), ...chunks.slice(i + 1)]);
      break;
    }
  }
  if (rest !== null) stream.end();
  else stream.destroy(new Error('no end'));
  const parts: Buffer[] = [];
  try {
    for await (const b of stream) parts.push(b);
  } catch {
    /* no end: what was read so far */
  }
  return { message: Buffer.concat(parts), rest, stream };
}

const WIRE = Buffer.from(
  'Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n.\r\nnot the end: a bare LF before the dot\n.\r\nstill the message\r\n.. \r\n\r\n.\r\nQUIT\r\n',
  'latin1',
);
const MESSAGE = Buffer.from('Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n', 'latin1');

describe('the DATA reader', () => {
  it('ends at the first CRLF.CRLF and unstuffs, the wire cut once at every byte boundary', async () => {
    // ".\r\n" right after a CRLF ends it: the line ".\r\n" above is the end, the rest is QUIT etc.
    const whole = await read([WIRE]);
    assert.equal(whole.message.toString('latin1'), MESSAGE.toString('latin1'));
    assert.equal(whole.rest?.toString('latin1'), WIRE.subarray(WIRE.indexOf('\r\n.\r\n') + 5).toString('latin1'));
    for (let cut = 0; cut <= WIRE.length; cut++) {
      const r = await read([WIRE.subarray(0, cut), WIRE.subarray(cut)]);
      assert.equal(r.message.toString('latin1'), MESSAGE.toString('latin1'), `cut at ${cut}`);
      assert.equal(r.rest?.toString('latin1'), whole.rest?.toString('latin1'), `rest, cut at ${cut}`);
    }
  });

  it('reads the same one byte at a time, and at every pair of cuts around the end', async () => {
    const bytes = [...WIRE].map((b) => Buffer.from([b]));
    const r = await read(bytes);
    assert.equal(r.message.toString('latin1'), MESSAGE.toString('latin1'));
    const end = WIRE.indexOf('\r\n.\r\n');
    for (let a = end - 3; a <= end + 5; a++) {
      for (let b = a; b <= end + 6; b++) {
        const r2 = await read([WIRE.subarray(0, a), WIRE.subarray(a, b), WIRE.subarray(b)]);
        assert.equal(r2.message.toString('latin1'), MESSAGE.toString('latin1'), `cuts ${a},${b}`);
      }
    }
  });

  it('a dot line after a bare LF, a bare CR or nothing at all is content; an empty message is just ".\\r\\n"', async () => {
    const smuggle = Buffer.from('a\n.\r\nMAIL FROM:<x@y>\r\nb\r.\r\nc\r\n.\r\n', 'latin1');
    for (let cut = 0; cut <= smuggle.length; cut++) {
      const r = await read([smuggle.subarray(0, cut), smuggle.subarray(cut)]);
      assert.equal(r.message.toString('latin1'), 'a\n.\r\nMAIL FROM:<x@y>\r\nb\r.\r\nc\r\n', `cut at ${cut}`);
      assert.equal(r.rest?.length, 0);
    }
    const empty = await read([Buffer.from('.\r\nNOOP\r\n')]);
    assert.equal(empty.message.length, 0);
    assert.equal(empty.rest?.toString(), 'NOOP\r\n');
    const unended = await read([Buffer.from('a\r\n.'), Buffer.from('\r')]);
    assert.equal(unended.rest, null, 'no LF yet after ".\\r": not the end');
  });

  it('past the size limit counts the bytes but keeps none of them', async () => {
    const body = Buffer.alloc(100_000, 'x');
    const chunks = [body.subarray(0, 40_000), body.subarray(40_000), Buffer.from('\r\n.\r\n')];
    const r = await read(chunks, 50_000);
    assert.equal(r.stream.sizeExceeded, true);
    assert.equal(r.stream.byteLength, 100_002);
    assert.equal(r.message.length, 40_000, 'only what came before the limit was passed on');
  });
});
