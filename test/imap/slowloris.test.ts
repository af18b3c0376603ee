// IMAP deadlines over real sockets: a command line dripped a byte at a time, a DONE dripped during IDLE, and a
// literal dripped after "+" each get "* BYE Timeout" and a closed connection, not before [imap] command_timeout /
// literal_timeout and long before the drip would have ended or the idle timeout (60 s) could fire; IDLE itself
// is not cut however long it waits; the half-sent APPEND stores nothing; a slow but legitimate client (each
// line and literal whole well within its deadline) is served. How soon after the deadline is not judged. The
// three cut sessions run at once (they mostly wait on the deadlines), then the log is read, then the legitimate
// client runs alone (its APPEND would show in the others' IDLE and message count).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { RawClient, USER, PASS, startHarness, type Harness } from './harness.js';

// the legitimate client's lines take about 1 s and its literal 1.2 s: seconds of slack under these deadlines
const COMMAND_MS = 4000;
const LITERAL_MS = 5000;
/** How long a test waits for the server to close a dripping session: far below the idle timeout (60 s). */
const CLOSE_WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
before(async () => {
  h = await startHarness({ toml: `[imap]\nidle_timeout = "60s"\ncommand_timeout = "${COMMAND_MS}ms"\nliteral_timeout = "${LITERAL_MS}ms"\n` });
});
after(() => h.close());

async function drip(c: RawClient, text: string, gapMs: number): Promise<void> {
  for (let i = 0; i < text.length && !c.closed; i++) {
    c.write(text[i]);
    await sleep(gapMs);
  }
}

/** Lines until the server closes, and when (ms since t0; -1 if still open after maxMs). */
async function untilClosed(c: RawClient, t0: number, maxMs: number): Promise<{ lines: string[]; at: number }> {
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    const left = maxMs - (Date.now() - t0);
    if (left <= 0) return { lines, at: -1 };
    try {
      lines.push(await c.line(left));
    } catch {
      if (c.closed) return { lines, at: Date.now() - t0 };
    }
  }
  return { lines, at: -1 };
}

describe('three slow sessions at once, each on its own connections', { concurrency: true }, () => {
  test('a dripped command line gets * BYE and a close at the deadline; another client is served meanwhile', async (t) => {
    const c = await RawClient.connect(h.plain.port);
    const t0 = Date.now();
    // ~19 s of drip: the line is never whole before the deadline cuts it, however slow the server is
    const dripping = drip(c, `a1 LOGIN ${USER} ${PASS}\r\n`, 500);
    const p = await RawClient.connect(h.plain.port);
    await p.login();
    assert.match((await p.cmd('SELECT INBOX')).status, /^OK/);
    await p.cmd('LOGOUT');
    p.close();
    const r = await untilClosed(c, t0, CLOSE_WAIT_MS);
    await dripping; // it stops at the close
    assert.ok(r.at >= COMMAND_MS - 100, `closed after ${r.at} ms: closed, and not before the deadline (${COMMAND_MS} ms)`);
    assert.deepEqual(r.lines, ['* BYE Timeout: command line not received in time']);
    t.diagnostic(`closed ${r.at} ms after the first byte (deadline ${COMMAND_MS} ms)`);
  });

  test('IDLE is not timed while it idles, but a dripped DONE is', async () => {
    const quiet = await RawClient.connect(h.plain.port);
    const dripper = await RawClient.connect(h.plain.port);
    for (const c of [quiet, dripper]) {
      await c.login();
      await c.cmd('SELECT INBOX');
      c.write('i1 IDLE\r\n');
      assert.equal(await c.line(), '+ idling');
    }
    const t0 = Date.now();
    const dripping = (async () => {
      await sleep(500);
      await drip(dripper, 'DONE\r\n', 3000); // 18 s for one short line
    })();
    const cut = await untilClosed(dripper, t0, CLOSE_WAIT_MS);
    await dripping;
    assert.ok(cut.at >= 500 + COMMAND_MS - 100, `dripped DONE: closed after ${cut.at} ms: closed, and not before the deadline`);
    assert.deepEqual(cut.lines, ['* BYE Timeout: command line not received in time']);
    await sleep(Math.max(0, 2 * COMMAND_MS - (Date.now() - t0)));
    assert.ok(!quiet.closed, 'an IDLE that waits longer than the line deadline stays open');
    quiet.write('DONE\r\n');
    assert.match((await quiet.until('i1')).status, /^OK IDLE terminated/);
    assert.match((await quiet.cmd('NOOP')).status, /^OK/);
    quiet.close();
  });

  test('a literal dripped after "+" is cut at the literal deadline and nothing is appended', async () => {
    const c = await RawClient.connect(h.plain.port);
    await c.login();
    const before = await c.cmd('STATUS INBOX (MESSAGES)');
    const count = /MESSAGES (\d+)/.exec(before.lines.join(' '))![1];
    const body = 'Subject: dripped\r\n\r\n' + 'x'.repeat(160) + '\r\n';
    c.write(`a1 APPEND INBOX {${body.length}}\r\n`);
    assert.match(await c.line(), /^\+ /);
    const t0 = Date.now();
    const dripping = drip(c, body, 100);
    // 180 bytes at 100 ms: 18 s of drip, so only the literal deadline can end it within the wait
    const r = await untilClosed(c, t0, CLOSE_WAIT_MS);
    await dripping; // it stops at the close
    assert.ok(r.at >= LITERAL_MS - 100, `closed after ${r.at} ms: closed, and not before the literal deadline (${LITERAL_MS} ms)`);
    assert.deepEqual(r.lines, ['* BYE Timeout: literal not received in time']);
    const n = await RawClient.connect(h.plain.port);
    await n.login();
    const after = await n.cmd('STATUS INBOX (MESSAGES)');
    assert.equal(/MESSAGES (\d+)/.exec(after.lines.join(' '))![1], count, 'the half-sent APPEND stored nothing');
    n.close();
  });
});

test('the cuts are logged: the literal deadline and the line deadline', () => {
  const logs = path.join(h.dir, 'data', 'logs');
  const text = fs.readdirSync(logs).filter((f) => f.startsWith('imap-')).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
  assert.match(text, /WARN command-timeout .*phase=literal/);
  assert.match(text, /WARN command-timeout .*phase=line/);
});

test('a slow but legitimate client (each line and literal whole within its deadline) is served', async () => {
  const c = await RawClient.connect(h.plain.port);
  const t0 = Date.now();
  const slow = async (tag: string, line: string) => {
    await drip(c, `${tag} ${line}`.slice(0, 6), 150);
    await sleep(200);
    c.write(`${tag} ${line}`.slice(6) + '\r\n');
    return c.until(tag);
  };
  assert.match((await slow('s1', `LOGIN ${USER} ${PASS}`)).status, /^OK/);
  await sleep(COMMAND_MS + 300); // idle between commands: the idle timeout's business
  const body = 'Subject: slow but fine\r\n\r\narrived in pieces\r\n';
  await drip(c, 's2 APP', 150);
  c.write(`END INBOX {${body.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  for (const piece of [body.slice(0, 10), body.slice(10, 30), body.slice(30)]) {
    await sleep(400);
    c.write(piece);
  }
  c.write('\r\n');
  assert.match((await c.until('s2')).status, /^OK/);
  assert.match((await slow('s3', 'SELECT INBOX')).status, /^OK/);
  assert.ok(Date.now() - t0 > 2 * COMMAND_MS);
  await c.cmd('LOGOUT');
  c.close();
});
