// IMAP memory per connection stays bounded, measured on the real `tegami serve` process (VmRSS, VmHWM): a
// literal announced before login is refused instead of buffered (issue 10 #2), a large APPEND after login goes
// to a file in the Maildir's tmp/ instead of memory, and FETCH answers with repeated or many overlapping items,
// or over many large messages, are streamed with backpressure instead of built whole (issue 10 #4).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { memoryOf, resetPeak, StreamClient } from './stream-client.js';

const USER = 'taro@example.test';
const PASS = 'memory-pw1';
const MB = 1024 * 1024;
/** Generous: the old code grew by hundreds of MB in each case; bounded code stays within a few MB plus GC noise. */
const GROWTH_MAX = 100 * MB;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let srv: TestServer;
let port: number;
let pid: number;
let maildir: string;

/** A message of exactly `size` octets: headers, then CRLF lines of base64 text (distinct per seed). */
function bigMessage(size: number, seed: string): Buffer {
  const head = Buffer.from(`From: big@example.test\r\nTo: ${USER}\r\nSubject: big ${seed}\r\nMessage-ID: <${seed}@example.test>\r\n\r\n`);
  const lines: Buffer[] = [head];
  let n = head.length;
  let i = 0;
  while (n < size) {
    const want = Math.min(78, size - n);
    const text = crypto.createHash('sha512').update(`${seed}:${i++}`).digest('base64').repeat(2).slice(0, Math.max(0, want - 2));
    const line = Buffer.from(want >= 2 ? text + '\r\n' : 'x'.repeat(want));
    lines.push(line);
    n += line.length;
  }
  return Buffer.concat(lines);
}

/** Put messages straight into the Maildir (as another delivery agent would); the server indexes them on SELECT. */
function seed(messages: Buffer[], prefix: string): void {
  fs.mkdirSync(path.join(maildir, 'new'), { recursive: true });
  messages.forEach((m, i) => fs.writeFileSync(path.join(maildir, 'new', `1700000000.M${i}P1Q${prefix}${i}.seed,S=${m.length}`), m));
}

/** Run `action` and report how far the server's resident memory rose above where it was before (peak). */
async function growthDuring<T>(action: () => Promise<T>): Promise<{ growth: number; result: T }> {
  await steady();
  const before = memoryOf(pid).rss;
  const peakReset = resetPeak(pid);
  let sampled = before;
  const timer = setInterval(() => {
    try {
      sampled = Math.max(sampled, memoryOf(pid).rss);
    } catch {
      /* exited */
    }
  }, 25);
  try {
    const result = await action();
    const now = memoryOf(pid);
    const top = Math.max(sampled, now.rss, peakReset ? now.peak : 0);
    return { growth: top - before, result };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Wait until the server's resident memory stops moving: its worker threads load their modules for the first
 * seconds after the listeners are up (~100 MB on this code), later on a busy machine, and that growth is
 * not the test's. Steady = two samples a second apart within 2 MB (at most 120 s; then measure anyway).
 */
async function steady(): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = memoryOf(pid).rss;
  while (Date.now() < deadline) {
    await sleep(1000);
    const now = memoryOf(pid).rss;
    if (Math.abs(now - last) < 2 * MB) return;
    last = now;
  }
}

async function loggedIn(): Promise<StreamClient> {
  const c = await StreamClient.connect(port);
  await c.write(`l LOGIN ${USER} ${PASS}\r\n`);
  const a = await c.until('l');
  assert.match(a.status ?? '', /^OK/);
  return c;
}

/**
 * Each test gets its own server: garbage one test leaves behind (freed at the next GC) would otherwise hide
 * the next test's allocations from an RSS comparison.
 */
async function fresh(): Promise<void> {
  await stop();
  srv = await startTestServer({ listeners: ['imap'], users: [{ address: USER, password: PASS }], toml: '[imap]\nmax_connections_per_ip = 100\n' });
  port = srv.ports.imap;
  pid = srv.proc.pid!;
  maildir = path.join(srv.dataDir, 'mail', 'example.test', 'taro', 'Maildir');
  // one login first, so the account's Maildir and index exist before anything is measured
  const c = await loggedIn();
  c.close();
}

async function stop(): Promise<void> {
  if (!srv) return;
  await srv.stop();
  fs.rmSync(srv.dir, { recursive: true, force: true });
}

after(stop);

test('before login: 10 connections announcing {60000000+} for LOGIN and sending 16 MiB each are cut off, memory stays bounded', async (t) => {
  await fresh();
  const conns = await Promise.all(Array.from({ length: 10 }, () => StreamClient.connect(port)));
  const { growth, result: sent } = await growthDuring(async () => {
    const sent = await Promise.all(
      conns.map(async (c) => {
        await c.write('a LOGIN {60000000+}\r\n').catch(() => {});
        return c.writeFiller(16 * MB);
      }),
    );
    await sleep(1000); // let the server read what was sent
    return sent;
  });
  const answers = await Promise.all(conns.map((c) => c.until('a', 10_000).catch(() => null)));
  t.diagnostic(`server memory growth: ${(growth / MB).toFixed(1)} MB`);
  assert.ok(growth < GROWTH_MAX, `server memory grew by ${(growth / MB).toFixed(1)} MB for ${(sent.reduce((a, b) => a + b, 0) / MB).toFixed(0)} MB sent before login`);
  for (const [i, a] of answers.entries()) {
    assert.match(a?.status ?? 'no answer', /^BAD \[TOOBIG\]/, 'the literal is refused');
    const deadline = Date.now() + 10_000;
    while (!conns[i].closed && Date.now() < deadline) await sleep(50);
    assert.ok(conns[i].closed, 'and the connection closed');
  }
  conns.forEach((c) => c.close());
});

test('after login: 10 half-sent 24 MB APPEND literals (22 MiB each) go to tmp/ files, not memory; the files go with the connections', async (t) => {
  await fresh();
  const conns = await Promise.all(Array.from({ length: 10 }, () => loggedIn()));
  for (const c of conns) {
    await c.write('a APPEND INBOX {24000000}\r\n');
    assert.match(await c.line(), /^\+ /);
  }
  const { growth } = await growthDuring(async () => {
    await Promise.all(conns.map((c) => c.writeFiller(22 * MB)));
    await sleep(1000);
  });
  const staged = fs.readdirSync(path.join(maildir, 'tmp'));
  conns.forEach((c) => c.close());
  t.diagnostic(`server memory growth: ${(growth / MB).toFixed(1)} MB`);
  assert.ok(growth < GROWTH_MAX, `server memory grew by ${(growth / MB).toFixed(1)} MB for 220 MiB of APPEND literals`);
  assert.equal(staged.length, 10, 'each literal is being written to a file in the Maildir tmp/');
  const deadline = Date.now() + 30_000;
  while (fs.readdirSync(path.join(maildir, 'tmp')).length && Date.now() < deadline) await sleep(100);
  assert.deepEqual(fs.readdirSync(path.join(maildir, 'tmp')), [], 'abandoned literals are removed');
  assert.equal(srv.maildir(USER).length, 0, 'nothing half-sent was stored');
});

async function selectedOn(msg: Buffer): Promise<StreamClient> {
  seed([msg], 'one');
  const c = await loggedIn();
  await c.write('s SELECT INBOX\r\n');
  assert.match((await c.until('s')).status ?? '', /^OK/);
  return c;
}

test('FETCH of a 1 MB message with 200 repeated BODY.PEEK[] items answers one BODY[], memory stays bounded', async (t) => {
  await fresh();
  const msg = bigMessage(MB, 'dup');
  const c = await selectedOn(msg);
  const dup = await growthDuring(async () => {
    await c.write(`f1 FETCH 1 (${Array(200).fill('BODY.PEEK[]').join(' ')})\r\n`);
    return c.until('f1');
  });
  c.close();
  t.diagnostic(`server memory growth: ${(dup.growth / MB).toFixed(1)} MB`);
  assert.ok(dup.growth < GROWTH_MAX, `server memory grew by ${(dup.growth / MB).toFixed(1)} MB for FETCH of 200 x BODY.PEEK[]`);
  assert.match(dup.result.status ?? '', /^OK/);
  const hash = crypto.createHash('sha256').update(msg).digest('hex');
  assert.deepEqual(dup.result.literals.map((l) => [l.size, l.sha256]), [[msg.length, hash]], 'one BODY[] for 200 identical items');
});

test('FETCH of a 1 MB message with 200 distinct partials (~200 MB) is streamed to a client that does not read', async (t) => {
  await fresh();
  const msg = bigMessage(MB, 'partials');
  const c = await selectedOn(msg);
  const items = Array.from({ length: 200 }, (_, i) => `BODY.PEEK[]<${i}>`).join(' ');
  c.pause();
  const { growth } = await growthDuring(async () => {
    await c.write(`f2 FETCH 1 (${items})\r\n`);
    await sleep(2000); // the server has ~200 MB to send and nobody reads
  });
  c.resume();
  const answer = await c.until('f2', 120_000);
  c.close();
  t.diagnostic(`server memory growth: ${(growth / MB).toFixed(1)} MB`);
  assert.ok(growth < GROWTH_MAX, `server memory grew by ${(growth / MB).toFixed(1)} MB while a 200 MB FETCH answer waited for the client`);
  assert.match(answer.status ?? '', /^OK/);
  assert.equal(answer.literals.length, 200);
  answer.literals.forEach((l, i) => {
    assert.equal(l.size, msg.length - i);
    if (i === 7) assert.equal(l.sha256, crypto.createHash('sha256').update(msg.subarray(7)).digest('hex'));
  });
});

test('UID FETCH 1:* BODY.PEEK[] over 50 messages of 3 MB to a client that does not read is streamed, and arrives byte-exact', async (t) => {
  await fresh();
  const msgs = Array.from({ length: 50 }, (_, i) => bigMessage(3 * MB + i, `many${i}`));
  seed(msgs, 'many');
  const c = await loggedIn();
  await c.write('s SELECT INBOX\r\n');
  const sel = await c.until('s');
  const exists = Number(/^\* (\d+) EXISTS/.exec(sel.lines.find((l) => /EXISTS/.test(l)) ?? '')?.[1]);
  assert.equal(exists, 50, sel.lines.join('\n'));
  c.pause();
  const { growth } = await growthDuring(async () => {
    await c.write('u UID FETCH 1:* BODY.PEEK[]\r\n');
    await sleep(2000);
  });
  c.resume();
  const answer = await c.until('u', 120_000);
  c.close();
  t.diagnostic(`server memory growth: ${(growth / MB).toFixed(1)} MB`);
  assert.ok(growth < GROWTH_MAX, `server memory grew by ${(growth / MB).toFixed(1)} MB while a 150 MB UID FETCH answer waited for the client`);
  assert.match(answer.status ?? '', /^OK/);
  const want = msgs.map((m) => `${m.length}:${crypto.createHash('sha256').update(m).digest('hex')}`).sort();
  assert.deepEqual(answer.literals.map((l) => `${l.size}:${l.sha256}`).sort(), want, 'every message arrives byte-exact');
});
