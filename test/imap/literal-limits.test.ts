// IMAP literal limits over real sockets (issue 10 #2), on the Maildir store: before login only small literals
// (a bigger synchronizing one gets BAD [TOOBIG] and no "+", a bigger non-synchronizing one ends the connection);
// after login an APPEND above 256 KiB is streamed to the Maildir's tmp/ and stored byte-exact (also a 20 MB one
// from Python's imaplib), other large literals are refused, and no staged file outlives its command or connection.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { requireCommand } from '../helpers/server.js';
import { mail, PASS, RawClient, startHarness, USER, type Harness } from './harness.js';
import { StreamClient } from './stream-client.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
let tmpDir: string;
before(async () => {
  h = await startHarness({ store: (d) => new MaildirStore(d), toml: '[auth]\nthrottle_after = 100\n' });
  tmpDir = path.join(h.config.data_dir, 'mail', 'example.test', 'taro', 'Maildir', 'tmp');
});
after(() => h.close());

/** A message of `size` octets with a Japanese (UTF-8, 8bit) body, distinct per seed. */
function message(size: number, seed: string): Buffer {
  const head = mail([`From: a@example.test`, `Subject: =?UTF-8?B?${Buffer.from(`大きい ${seed}`).toString('base64')}?=`, 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', '', '日本語の本文']);
  const lines: Buffer[] = [head];
  let n = head.length;
  for (let i = 0; n < size; i++) {
    const l = Buffer.from(crypto.createHash('sha256').update(`${seed}${i}`).digest('hex').slice(0, Math.min(62, size - n - 2)) + '\r\n');
    lines.push(l);
    n += l.length;
  }
  return Buffer.concat(lines).subarray(0, size);
}

async function tmpEmpty(): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  let left = fs.readdirSync(tmpDir);
  while (left.length && Date.now() < deadline) {
    await sleep(50);
    left = fs.readdirSync(tmpDir);
  }
  return left;
}

function sha(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

test('before login a synchronizing literal above 8 KiB gets BAD [TOOBIG] and no "+"; at the limit it is read; the session goes on', async () => {
  const c = await RawClient.connect(h.plain.port);
  c.write('a1 LOGIN {60000000}\r\n');
  assert.match(await c.line(), /^a1 BAD \[TOOBIG\] Literal too large \(at most 8192 octets/);
  c.write(`a2 LOGIN ${USER} {8193}\r\n`);
  assert.match(await c.line(), /^a2 BAD \[TOOBIG\]/);
  c.write(`a3 LOGIN ${USER} {8192}\r\n`);
  assert.match(await c.line(), /^\+ /);
  c.write('x'.repeat(8192) + '\r\n');
  assert.match((await c.until('a3')).status, /^NO \[AUTHENTICATIONFAILED\]/);
  c.write(`a4 LOGIN {${USER.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  c.write(`${USER} {${PASS.length}+}\r\n${PASS}\r\n`);
  assert.match((await c.until('a4')).status, /^OK/);
  c.close();
});

test('before login a non-synchronizing literal above 8 KiB, or a command line announcing one that is too long, ends the connection', async () => {
  const c = await RawClient.connect(h.plain.port);
  c.write(`a1 LOGIN ${USER} {8193+}\r\n${'y'.repeat(8193)}\r\n`);
  assert.match(await c.line(), /^a1 BAD \[TOOBIG\] Non-synchronizing literal too large/);
  assert.match(await c.line(), /^\* BYE/);
  await assert.rejects(c.line(2000), /closed/);
  // an overlong line that ends announcing a LITERAL+ literal: its octets must never be read as commands
  const d = await RawClient.connect(h.plain.port);
  d.write(`b1 LOGIN ${'z'.repeat(70_000)} {20+}\r\nb2 LOGIN ${USER} ${PASS}\r\n`);
  assert.match(await d.line(), /^b1 BAD \[TOOBIG\] Line too long/);
  assert.match(await d.line(), /^\* BYE/);
  await assert.rejects(d.line(2000), /closed/);
});

test('after login an APPEND of 1 MB is streamed through tmp/ and stored byte-exact with its flags and date', async () => {
  const msg = message(1024 * 1024, 'sync');
  const c = await StreamClient.connect(h.plain.port);
  await c.write(`l LOGIN ${USER} ${PASS}\r\n`);
  assert.match((await c.until('l')).status ?? '', /^OK/);
  await c.write(`a1 APPEND INBOX (\\Seen $Work) "05-Jan-2024 10:00:00 +0900" {${msg.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  await c.write(msg.subarray(0, 300_000));
  await sleep(200);
  assert.equal(fs.readdirSync(tmpDir).length, 1, 'the literal is being written to a file in tmp/');
  await c.write(Buffer.concat([msg.subarray(300_000), Buffer.from('\r\n')]));
  const a1 = await c.until('a1');
  assert.match(a1.status ?? '', /^OK \[APPENDUID \d+ (\d+)\]/);
  const uid = /APPENDUID \d+ (\d+)/.exec(a1.status!)![1];
  assert.deepEqual(await tmpEmpty(), []);
  await c.write('s SELECT INBOX\r\n');
  await c.until('s');
  await c.write(`f UID FETCH ${uid} (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])\r\n`);
  const f = await c.until('f');
  assert.match(f.lines[0], /FLAGS \((?=[^)]*\\Seen)(?=[^)]*\$Work)[^)]*\) INTERNALDATE "05-Jan-2024 01:00:00 \+0000" RFC822.SIZE 1048576 BODY\[\] \{1048576\}$/);
  assert.deepEqual(f.literals.map((l) => l.sha256), [sha(msg)]);
  c.close();
});

test('LITERAL+ APPEND of 600 KB pipelined with other commands; to a missing folder NO [TRYCREATE]; no file left either way', async () => {
  const msg = message(600_000, 'plus');
  const c = await StreamClient.connect(h.plain.port);
  await c.write(
    Buffer.concat([
      Buffer.from(`l LOGIN ${USER} ${PASS}\r\na1 APPEND Drafts {${msg.length}+}\r\n`),
      msg,
      Buffer.from(`\r\na2 NOOP\r\na3 APPEND Nowhere {${msg.length}+}\r\n`),
      msg,
      Buffer.from('\r\na4 NOOP\r\n'),
    ]),
  );
  assert.match((await c.until('l')).status ?? '', /^OK/);
  assert.match((await c.until('a1')).status ?? '', /^OK \[APPENDUID/);
  assert.match((await c.until('a2')).status ?? '', /^OK/);
  assert.match((await c.until('a3')).status ?? '', /^NO \[TRYCREATE\]/);
  assert.match((await c.until('a4')).status ?? '', /^OK/);
  assert.deepEqual(await tmpEmpty(), []);
  await c.write('e EXAMINE Drafts\r\n');
  await c.until('e');
  await c.write('f FETCH * BODY.PEEK[]\r\n');
  assert.deepEqual((await c.until('f')).literals.map((l) => l.sha256), [sha(msg)]);
  c.close();
});

test('after login: other literals above 256 KiB, and APPENDs above max_message_size, are refused before "+"; the session goes on', async () => {
  const c = await RawClient.connect(h.plain.port);
  await c.login();
  await c.cmd('SELECT INBOX');
  c.write('s1 SEARCH TEXT {300000}\r\n');
  assert.match(await c.line(), /^s1 BAD \[TOOBIG\] Literal too large \(at most 262144 octets/);
  c.write(`a1 APPEND INBOX {${25 * 1024 * 1024 + 1}}\r\n`);
  assert.match(await c.line(), /^a1 BAD \[TOOBIG\] Message too large \(at most 26214400 octets\)/);
  c.write('a2 APPEND INBOX {999999999999}\r\n');
  assert.match(await c.line(), /^a2 BAD \[TOOBIG\]/);
  assert.match((await c.cmd('NOOP')).status, /^OK/);
  c.write('s2 SEARCH TEXT {300000+}\r\n');
  assert.match(await c.line(), /^s2 BAD \[TOOBIG\]/);
  assert.match(await c.line(), /^\* BYE/);
  c.close();
});

test('a connection lost in the middle of a streamed APPEND stores nothing and leaves no file', async () => {
  const c = await StreamClient.connect(h.plain.port);
  await c.write(`l LOGIN ${USER} ${PASS}\r\n`);
  await c.until('l');
  await c.write('s STATUS INBOX (MESSAGES)\r\n');
  const was = (await c.until('s')).lines[0];
  await c.write('a1 APPEND INBOX {2000000}\r\n');
  assert.match(await c.line(), /^\+ /);
  await c.writeFiller(1_500_000);
  await sleep(300);
  assert.equal(fs.readdirSync(tmpDir).length, 1);
  c.close();
  assert.deepEqual(await tmpEmpty(), []);
  const d = await RawClient.connect(h.plain.port);
  await d.login();
  assert.equal((await d.cmd('STATUS INBOX (MESSAGES)')).lines[0], was);
  d.close();
});

test('a staged file that cannot be written: NO [SERVERBUG], nothing stored, the session goes on', async () => {
  const broken = await startHarness({
    store: (d) => {
      const st = new MaildirStore(d);
      st.stagingPath = async () => path.join(d, 'no-such-dir', 'staged');
      return st;
    },
  });
  try {
    const c = await StreamClient.connect(broken.plain.port);
    await c.write(`l LOGIN ${USER} ${PASS}\r\n`);
    await c.until('l');
    const msg = message(400_000, 'broken');
    await c.write(Buffer.concat([Buffer.from(`a1 APPEND INBOX {${msg.length}+}\r\n`), msg, Buffer.from('\r\na2 STATUS INBOX (MESSAGES)\r\n')]));
    assert.match((await c.until('a1')).status ?? '', /^NO \[SERVERBUG\] Could not store the message/);
    const a2 = await c.until('a2');
    assert.match(a2.status ?? '', /^OK/);
    assert.match(a2.lines[0], /MESSAGES 0/);
    c.close();
  } finally {
    await broken.close();
  }
});

test('[imap] max_literal_preauth raises the limit before login', async () => {
  const wide = await startHarness({ toml: '[imap]\nmax_literal_preauth = "16K"\n' });
  try {
    const c = await RawClient.connect(wide.plain.port);
    c.write(`a1 LOGIN ${USER} {16000}\r\n`);
    assert.match(await c.line(), /^\+ /);
    c.write('x'.repeat(16000) + '\r\n');
    assert.match((await c.until('a1')).status, /^NO \[AUTHENTICATIONFAILED\]/);
    c.write(`a2 LOGIN ${USER} {16385}\r\n`);
    assert.match(await c.line(), /^a2 BAD \[TOOBIG\] Literal too large \(at most 16384 octets/);
    c.close();
  } finally {
    await wide.close();
  }
});

test('python imaplib APPENDs a 20 MB message and fetches it back byte-exact (whole, partial, by part)', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn('python3', [path.join(ROOT, 'test/imap/imaplib-large.py'), '127.0.0.1', String(h.plain.port), USER, PASS], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 170_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
  assert.equal(r.code, 0, r.out);
  assert.ok(Number(/ok append (\d+) octets\n/.exec(r.out)?.[1]) >= 20 * 1024 * 1024, r.out);
  assert.match(r.out, /ok fetch body.peek\[\] byte-exact\nok fetch partial byte-exact\nok fetch parts byte-exact/);
  assert.deepEqual(await tmpEmpty(), []);
});
