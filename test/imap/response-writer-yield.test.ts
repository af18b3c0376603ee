// A long response lets the event loop serve other connections (protocol/response-writer.ts room()): a client that
// reads as fast as it is written never fills the socket, and FETCH answers a listed or cached message without a
// promise to wait for, so FETCH 1:* BODY.PEEK[] of 30,000 small messages held every listener of the node for its
// whole run (0.8–2 s with imaplib on loopback; security review 9). After 10 ms of writing, a flush now gives up the
// turn once. Checked with the writer's own clock: whether a setImmediate queued before a flush has run when the
// flush resolves (microtasks alone never run it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseWriter, type Output } from '../../engine/imap/protocol/response-writer.js';

function output(): Output & { written: Buffer[] } {
  const written: Buffer[] = [];
  return {
    written,
    socket: { writableLength: 0 }, // a client reading as fast as we write: never a drain to wait for
    writeRaw: (b) => void written.push(b),
    drain: () => Promise.resolve(),
    isClosed: () => false,
  };
}

/** Whether a setImmediate queued just before `step` ran before `step` resolved. */
async function turnGivenUp(step: () => Promise<void> | undefined): Promise<boolean> {
  let ran = false;
  setImmediate(() => (ran = true));
  await step();
  const seen = ran;
  await new Promise<void>((r) => setImmediate(r)); // (let the queued one run before the next check)
  return seen;
}

test('after 10 ms of writing, a flush gives the event loop one turn; within them it does not', async () => {
  let clock = 1_000;
  const out = output();
  const w = new ResponseWriter(out, () => clock);
  assert.equal(w.line('* 1 FETCH (FLAGS ())\r\n'), undefined); // gathered, not yet written
  assert.equal(await turnGivenUp(() => w.flush()), false, 'no time has passed: no turn given up');
  clock += 11;
  assert.equal(w.line('* 2 FETCH (FLAGS ())\r\n'), undefined); // gathered, not yet written
  assert.equal(await turnGivenUp(() => w.flush()), true, '11 ms of writing: the turn is given up');
  clock += 5;
  assert.equal(w.line('* 3 FETCH (FLAGS ())\r\n'), undefined); // gathered, not yet written
  assert.equal(await turnGivenUp(() => w.flush()), false, '5 ms since the last turn: none');
  // the gathered lines of a FETCH reach the writer through line()/parts(): a full gather flushes and yields too
  clock += 20;
  assert.equal(await turnGivenUp(() => w.line('x'.repeat(64 * 1024))), true, 'a full gather after 20 ms');
  assert.equal(Buffer.concat(out.written).toString('latin1').slice(0, 66), '* 1 FETCH (FLAGS ())\r\n* 2 FETCH (FLAGS ())\r\n* 3 FETCH (FLAGS ())\r\n');
});
