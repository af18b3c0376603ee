// The SCRAM answer to an unknown name survives `tegami keys rotate` (security review 8, left open 3): a real
// account's salt is stored, an unknown name's is derived from keys/decoy.key, which the rotation does not touch. So
// the first step of AUTHENTICATE SCRAM-SHA-256 (IMAP), AUTH SCRAM-SHA-256 (SMTP submission, POP3) gives the same
// salt for both kinds of name before and after a rotation run with the real CLI, and nothing tells them apart. The
// key is made at first need with mode 0600 and kept across restarts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, startTestServer, type TestServer } from '../helpers/server.js';
import { LineClient, smtpEnd, tagged } from '../net/line-client.js';

const REAL = 'taro@example.test';
const UNKNOWN = 'nobody77@example.test';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

let srv: TestServer;
before(async () => {
  srv = await startTestServer({
    listeners: ['submission', 'pop3', 'imap'],
    users: [{ address: REAL, password: 'taro-pw-1' }],
    toml: '[auth]\nthrottle_after = 0\nblock_after = 0\naccount_throttle_after = 0\n',
  });
});
after(async () => {
  await srv?.stop();
});

/** The salt of the server-first message, from the first step of SCRAM-SHA-256; the exchange is then cancelled. */
async function salt(proto: 'imap' | 'smtp' | 'pop3', user: string): Promise<string> {
  const ports = srv.ports as Record<string, number>;
  const first = b64(`n,,n=${user},r=clientnonce123`);
  let c: LineClient;
  let reply: string;
  if (proto === 'imap') {
    c = await LineClient.connect(ports.imap);
    await c.line();
    reply = (await c.cmd(`a AUTHENTICATE SCRAM-SHA-256 ${first}`))[0];
    assert.match(reply, /^\+ /, reply);
    await c.cmd('*', tagged('a'));
  } else if (proto === 'smtp') {
    c = await LineClient.connect(ports.submission);
    await c.until(smtpEnd);
    await c.cmd('EHLO client.example.net', smtpEnd);
    reply = (await c.cmd(`AUTH SCRAM-SHA-256 ${first}`, smtpEnd)).at(-1)!;
    assert.match(reply, /^334 /, reply);
    await c.cmd('*', smtpEnd);
  } else {
    c = await LineClient.connect(ports.pop3);
    await c.line();
    reply = (await c.cmd(`AUTH SCRAM-SHA-256 ${first}`))[0];
    assert.match(reply, /^\+ /, reply);
    await c.cmd('*');
  }
  c.close();
  const serverFirst = Buffer.from(reply.slice(reply.indexOf(' ') + 1), 'base64').toString();
  const m = /,s=([A-Za-z0-9+/=]+),i=\d+$/.exec(serverFirst);
  assert.ok(m, serverFirst);
  return m[1];
}

async function allSalts(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const proto of ['imap', 'smtp', 'pop3'] as const) for (const user of [REAL, UNKNOWN]) out[`${proto} ${user}`] = await salt(proto, user);
  return out;
}

test('an unknown name keeps its SCRAM salt across `tegami keys rotate`, like a real account', async () => {
  const before = await allSalts();
  // one salt per name, the same on every protocol
  assert.equal(before[`imap ${REAL}`], before[`smtp ${REAL}`]);
  assert.equal(before[`imap ${UNKNOWN}`], before[`pop3 ${UNKNOWN}`]);
  assert.notEqual(before[`imap ${REAL}`], before[`imap ${UNKNOWN}`]);
  const decoyFile = path.join(srv.dataDir, 'keys', 'decoy.key');
  assert.equal(fs.statSync(decoyFile).mode & 0o777, 0o600);
  const secretFile = path.join(srv.dataDir, 'keys', 'secret.key');
  const secret0 = fs.readFileSync(secretFile);

  await srv.stop();
  const r = spawnSync(process.execPath, [BIN, 'keys', 'rotate', '--config', srv.configPath], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!fs.readFileSync(secretFile).equals(secret0), 'the rotation wrote a new secret.key');
  await srv.restart();

  assert.deepEqual(await allSalts(), before);
});
