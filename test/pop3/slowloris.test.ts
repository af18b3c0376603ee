// POP3 line deadline over real sockets: a command line dripped a byte at a time gets "-ERR Timeout" and a
// closed connection, not before [pop3] command_timeout and long before the drip would have ended or the idle
// timeout (60 s) could fire; the maildrop is released for the next session, other clients are served
// meanwhile, and a slow but legitimate client (each line whole well within the deadline) is not cut off.
// How soon after the deadline is not judged: that is the machine's speed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PASSWORD, RawClient, USER, sampleMessage, startHarness, type Harness } from './harness.js';

// the legitimate client's lines take about 1 s: seconds of slack under this deadline
const COMMAND_MS = 4000;
/** How long a test waits for the server to close a dripping session: far below the idle timeout (60 s). */
const CLOSE_WAIT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;

before(async () => {
  h = await startHarness(`[pop3]\nidle_timeout = "60s"\ncommand_timeout = "${COMMAND_MS}ms"\n`);
  for (let i = 1; i <= 2; i++) await h.deliver(USER, sampleMessage(i));
});
after(() => h.close());

async function drip(c: RawClient, text: string, gapMs: number): Promise<void> {
  for (let i = 0; i < text.length && !c.closed; i++) {
    c.send(text[i]);
    await sleep(gapMs);
  }
}

/** Read lines until the server closes; returns them and when the close came (ms since t0), or -1 past maxMs. */
async function untilClosed(c: RawClient, t0: number, maxMs: number): Promise<{ lines: string[]; at: number }> {
  const lines: string[] = [];
  for (let i = 0; i < 100 && Date.now() - t0 < maxMs; i++) {
    const l = await c.line(Math.max(1, maxMs - (Date.now() - t0))).catch(() => undefined);
    if (l === null) return { lines, at: Date.now() - t0 };
    if (l !== undefined) lines.push(l);
  }
  return { lines, at: -1 };
}

test('a dripped command line is cut with -ERR and a close at the deadline; another client is served meanwhile', async () => {
  const c = await RawClient.connect(h.port);
  assert.match((await c.line())!, /^\+OK/);
  const t0 = Date.now();
  // ~12 s of drip: the line is never whole before the deadline cuts it, however slow the server is
  void drip(c, `USER ${USER}\r\n`, 500);
  // a polite client meanwhile
  const p = await RawClient.connect(h.port);
  assert.match((await p.line())!, /^\+OK/);
  assert.match((await p.cmd(`USER ${USER}`))!, /^\+OK/);
  assert.match((await p.cmd(`PASS ${PASSWORD}`))!, /^\+OK Logged in, 2 messages/);
  assert.match((await p.cmd('QUIT'))!, /^\+OK/);
  p.close();
  const r = await untilClosed(c, t0, CLOSE_WAIT_MS);
  assert.ok(r.at >= COMMAND_MS - 100, `closed after ${r.at} ms: closed, and not before the deadline (${COMMAND_MS} ms)`);
  assert.deepEqual(r.lines, ['-ERR Timeout: command line not received in time; closing connection']);
});

test('a drip after login is cut too, without UPDATE, and the maildrop is free for the next session', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  await c.cmd(`USER ${USER}`);
  assert.match((await c.cmd(`PASS ${PASSWORD}`))!, /^\+OK Logged in/);
  assert.match((await c.cmd('DELE 1'))!, /^\+OK/);
  const t0 = Date.now();
  void drip(c, 'RETR 2\r\n', 2000); // 16 s for one short line
  const r = await untilClosed(c, t0, CLOSE_WAIT_MS);
  assert.ok(r.at >= COMMAND_MS - 100, `closed after ${r.at} ms: closed, and not before the deadline`);
  assert.match(r.lines.join('\n'), /^-ERR Timeout/);
  const n = await RawClient.connect(h.port);
  await n.line();
  await n.cmd(`USER ${USER}`);
  assert.match((await n.cmd(`PASS ${PASSWORD}`))!, /^\+OK Logged in, 2 messages/, 'not locked, and DELE was not applied');
  await n.cmd('QUIT');
  n.close();
  const logs = path.join(h.data, 'logs');
  const text = fs.readdirSync(logs).filter((f) => f.startsWith('pop3-')).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
  assert.match(text, new RegExp(`WARN command-timeout .*limit=${COMMAND_MS}\\b`));
});

test('a slow but legitimate client (each line whole within the deadline) is not cut', async () => {
  const c = await RawClient.connect(h.port);
  await c.line();
  const t0 = Date.now();
  const slow = async (line: string) => {
    await drip(c, line.slice(0, 5), 150); // 750 ms for the first bytes
    await sleep(300);
    c.send(line.slice(5) + '\r\n');
    return c.line();
  };
  assert.match((await slow(`USER ${USER}`))!, /^\+OK/);
  assert.match((await slow(`PASS ${PASSWORD}`))!, /^\+OK Logged in/);
  await sleep(2 * COMMAND_MS + 300); // idle between lines: the idle timeout's business
  assert.match((await slow('STAT'))!, /^\+OK 2 /);
  assert.match((await slow('NOOP'))!, /^\+OK/);
  assert.ok(Date.now() - t0 > 3 * COMMAND_MS);
  assert.match((await c.cmd('QUIT'))!, /^\+OK/);
  c.close();
});
