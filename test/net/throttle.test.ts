// Login throttling and connection caps of the shared layer, over real sockets against `tegami serve`, with
// clients on several loopback addresses (127.0.0.x): a per-account limit that counts failures from every
// protocol and address and spaces further guesses without locking out the owner's own network; a bound on
// password hashes at once; total connection caps for IMAP and POP3. IPv6 /64 grouping runs in a private
// network namespace (ipv6-clients.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { LineClient, smtpEnd, tagged } from './line-client.js';

const TARO = 'taro@example.test';
const TARO_PW = 'taro-pw-1';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** One SMTP AUTH PLAIN attempt from `from` (127.0.0.x); resolves with the reply line. */
async function smtpLogin(port: number, from: string, user: string, password: string): Promise<string> {
  const c = await LineClient.connect(port, { localAddress: from });
  await c.until(smtpEnd);
  await c.cmd('EHLO guesser.example.net', smtpEnd);
  const r = (await c.cmd(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`))[0];
  c.close();
  return r;
}

async function pop3Login(port: number, from: string, user: string, password: string): Promise<string> {
  const c = await LineClient.connect(port, { localAddress: from });
  await c.line();
  await c.cmd(`USER ${user}`);
  const r = (await c.cmd(`PASS ${password}`))[0];
  c.close();
  return r;
}

async function imapLogin(port: number, from: string, user: string, password: string): Promise<string> {
  const c = await LineClient.connect(port, { localAddress: from });
  await c.line();
  const r = (await c.cmd(`a LOGIN ${user} ${password}`, tagged('a'))).at(-1)!;
  c.close();
  return r;
}

describe('per-account throttle and connection caps', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      listeners: ['smtp', 'pop3', 'imap'],
      users: [{ address: TARO, password: TARO_PW }],
      toml: [
        '[auth]',
        // per client: no delay, no block here, so only the per-account limit acts
        'throttle_after = 0',
        'block_after = 0',
        'account_throttle_after = 2',
        'account_delay = "10s"',
        '[imap]',
        'max_connections = 3',
        '[pop3]',
        'max_connections = 3',
      ].join('\n'),
    });
  });
  after(async () => {
    await srv.stop();
  });

  it('guesses at one account from many addresses and protocols are spaced out, while the owner, from a network it logged in from, gets in at once', async () => {
    // the owner has used this account from 127.0.0.1 before
    assert.match(await imapLogin(srv.ports.imap, '127.0.0.1', TARO, TARO_PW), /^a OK/);
    // two failures from two other addresses over two protocols reach the account's threshold
    assert.match(await pop3Login(srv.ports.pop3, '127.0.0.2', TARO, 'guess-1'), /^-ERR \[AUTH\]/);
    assert.match(await smtpLogin(srv.ports.smtp, '127.0.0.3', TARO, 'guess-2'), /^535 /);
    // now three guesses at once from three more addresses: one is checked now, one waits its turn, the third is told to come back later
    const answered: string[] = [];
    const guesses = ['127.0.0.4', '127.0.0.5', '127.0.0.6'].map((ip, i) =>
      smtpLogin(srv.ports.smtp, ip, TARO, `guess-${i + 3}`).then((r) => {
        answered.push(r);
        return r;
      }),
    );
    // the first guess's answer comes without waiting for a turn; by then the others have taken theirs
    while (answered.length < 2) await new Promise((r) => setTimeout(r, 20));
    assert.ok(answered.some((r) => /^454 4\.7\.0 /.test(r)), `one guess is told to come back later: ${answered.join(' | ')}`);
    const pending = 3 - answered.length;
    assert.equal(pending, 1, 'one guess waits for its turn');
    // the owner logs in from the known network while that guess still waits
    assert.match(await imapLogin(srv.ports.imap, '127.0.0.1', TARO, TARO_PW), /^a OK/);
    assert.equal(answered.length, 2, 'the waiting guess is still waiting when the owner is in');
    const all = await Promise.all(guesses);
    assert.ok(all.every((r) => !r.startsWith('235')), all.join(' | '));
    assert.equal(all.filter((r) => r.startsWith('535')).length, 2, all.join(' | '));
  });

  it('IMAP and POP3 refuse connections beyond [imap]/[pop3] max_connections, whatever the client address', async () => {
    for (const [name, port, ok, refused] of [
      ['imap', srv.ports.imap, /^\* OK /, /^\* BYE Too many connections/],
      ['pop3', srv.ports.pop3, /^\+OK /, /^-ERR \[SYS\/TEMP\] Too many connections/],
    ] as const) {
      const open: LineClient[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await LineClient.connect(port, { localAddress: `127.0.0.${20 + i}` });
        assert.match((await c.line())!, ok, `${name} connection ${i + 1}`);
        open.push(c);
      }
      const extra = await LineClient.connect(port, { localAddress: '127.0.0.30' });
      assert.match((await extra.line())!, refused, name);
      assert.ok(await extra.waitClosed(), `${name}: the refused connection is closed`);
      open.pop()!.close();
      // the freed slot is usable again (the server sees the close shortly after)
      let again: string | null = null;
      for (let i = 0; i < 100 && !again?.match(ok); i++) {
        const c = await LineClient.connect(port, { localAddress: '127.0.0.31' });
        again = await c.line();
        if (again?.match(ok)) open.push(c);
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(again!, ok, `${name}: a freed slot is given back`);
      for (const c of open) c.close();
    }
  });
});

describe('bounded password hashing', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      listeners: ['pop3'],
      users: [{ address: TARO, password: TARO_PW }],
      toml: '[auth]\nthrottle_after = 0\nblock_after = 0\naccount_throttle_after = 0\nmax_concurrent_hashes = 1\nmax_queued_hashes = 1\n',
    });
  });
  after(async () => {
    await srv.stop();
  });

  it('password checks beyond the hashing slots and their queue are answered "try again later" at once, never run', async () => {
    const clients = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const c = await LineClient.connect(srv.ports.pop3, { localAddress: `127.0.0.${40 + i}` });
        await c.line();
        await c.cmd(`USER ${TARO}`);
        return c;
      }),
    );
    // all twelve PASS lines go out together: one hash runs, one waits, the rest are refused without a hash
    for (const c of clients) c.send('PASS wrong-password\r\n');
    const replies = await Promise.all(clients.map((c) => c.line()));
    for (const c of clients) c.close();
    const busy = replies.filter((r) => /^-ERR \[SYS\/TEMP\] Login temporarily unavailable/.test(r!)).length;
    const failed = replies.filter((r) => /^-ERR \[AUTH\]/.test(r!)).length;
    assert.equal(busy + failed, 12, replies.join(' | '));
    assert.ok(busy >= 1 && failed >= 1, `some refused at once, some checked: ${replies.join(' | ')}`);
    // and the right password still works once the crowd is gone
    assert.match(await pop3Login(srv.ports.pop3, '127.0.0.1', TARO, TARO_PW), /^\+OK Logged in/);
  });
});

describe('IPv6 clients are counted by /64', () => {
  it('throttle and connection caps treat a /64 as one client (run in a private network namespace)', (t) => {
    const probe = spawnSync('unshare', ['-rn', 'ip', 'link', 'set', 'lo', 'up']);
    if (probe.status !== 0) return t.skip(`no private network namespace here (unshare -rn): ${String(probe.stderr).trim()}`);
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ipv6-clients.js');
    const r = spawnSync('unshare', ['-rn', process.execPath, script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `ipv6-clients: ${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
    assert.match(out.sameNet1, /^\* OK /);
    assert.match(out.sameNet2, /^\* OK /);
    assert.match(out.sameNet3, /^\* BYE Too many connections/, 'a third address of the same /64 is the same client');
    assert.match(out.otherNet, /^\* OK /, 'another /64 is another client');
    assert.match(out.blockedRightPassword, /^a NO \[UNAVAILABLE\]/, 'failures from three addresses of one /64 blocked a fourth');
    assert.match(out.otherNetLogin, /^a OK /, 'another /64 is not blocked');
  });
});
