// ManageSieve over a raw socket, byte for byte: the greeting and STARTTLS (capabilities again, then OK, without
// a command; pipelined plaintext dropped), every script command and its response codes (QUOTA/MAXSIZE,
// QUOTA/MAXSCRIPTS, ACTIVE, NONEXISTENT, ALREADYEXISTS, TAG), {N+} and {N} literals, and bad input: garbage,
// commands before login, an oversized literal before login (BYE, while other clients are served) and after it
// (NO, the session goes on), too many errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
const USER = 'alice@example.test';
const PASS = 'sieve-pass-1';

before(async () => {
  srv = await startTestServer({
    listeners: ['managesieve'],
    users: [{ address: USER, password: PASS }],
    toml: '[spam]\nenabled = false\n[sieve]\nmax_script_size = "1K"\nmax_scripts = 2\n[managesieve]\nmax_literal_preauth = "2K"\n',
  });
});

after(async () => {
  await srv?.stop();
});

class Client {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(public sock: net.Socket) {
    this.attach(sock);
  }
  private attach(s: net.Socket) {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
    s.on('error', () => {});
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  static async connect(): Promise<Client> {
    const s = net.connect(srv.ports.managesieve, '127.0.0.1');
    await new Promise((r, j) => s.once('connect', r).once('error', j));
    return new Client(s);
  }
  write(data: string | Buffer) {
    this.sock.write(data);
  }
  /** Lines up to and including the next OK/NO/BYE status line. */
  async response(timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.buf.toString('utf8');
      const lines = text.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^(OK|NO|BYE)\b/.test(lines[i])) {
          const taken = lines.slice(0, i + 1);
          this.buf = Buffer.from(lines.slice(i + 1).join('\r\n'), 'utf8');
          return taken;
        }
      }
      if (this.closed) throw new Error(`closed; got ${JSON.stringify(text)}`);
      if (Date.now() > deadline) throw new Error(`no response; got ${JSON.stringify(text)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  async cmd(line: string | Buffer): Promise<string[]> {
    this.write(typeof line === 'string' ? line + '\r\n' : line);
    return this.response();
  }
  async closedByServer(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('still open');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async startTls(): Promise<void> {
    const secure = tls.connect({ socket: this.sock, rejectUnauthorized: false });
    await new Promise<void>((r, j) => secure.once('secureConnect', () => r()).once('error', j));
    this.sock = secure;
    this.buf = Buffer.alloc(0);
    this.attach(secure);
  }
  async login(): Promise<void> {
    const r = await this.cmd(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${USER}\0${PASS}`).toString('base64')}"`);
    assert.match(r.at(-1)!, /^OK/, r.join('\n'));
  }
  close() {
    this.sock.destroy();
  }
}

const status = (lines: string[]) => lines.at(-1)!;

test('greeting, then STARTTLS: capabilities again and OK before any command; plaintext pipelined after it is dropped', async () => {
  const c = await Client.connect();
  const greeting = await c.response();
  assert.match(greeting.join('\n'), /^"IMPLEMENTATION" "tegami"$/m);
  assert.match(greeting.join('\n'), /^"SIEVE" ".*\bfileinto\b.*\bvacation\b.*"$/m);
  assert.match(greeting.join('\n'), /^"STARTTLS"$/m);
  assert.match(greeting.join('\n'), /^"VERSION" "1\.0"$/m);
  assert.match(status(greeting), /^OK/);
  c.write('STARTTLS\r\nLISTSCRIPTS\r\n');
  assert.match(status(await c.response()), /^OK/);
  await c.startTls();
  const again = await c.response();
  assert.match(again.join('\n'), /^"SASL" ".*PLAIN.*"$/m);
  assert.doesNotMatch(again.join('\n'), /"STARTTLS"/);
  assert.match(status(again), /^OK/);
  // the pipelined LISTSCRIPTS was never read: the next answer is NOOP's
  assert.deepEqual(await c.cmd('NOOP "after-tls"'), ['OK (TAG "after-tls") "Done"']);
  await c.login();
  assert.deepEqual(await c.cmd('LISTSCRIPTS'), ['OK "Listscripts completed"']);
  c.close();
});

test('garbage and commands before login get NO and the session goes on; too many errors end it', async () => {
  const c = await Client.connect();
  await c.response();
  assert.match(status(await c.cmd(Buffer.from([0x00, 0xff, 0x20, 0x41, 0x0d, 0x0a]))), /^NO/);
  assert.match(status(await c.cmd('FROBNICATE')), /^NO "Unknown command FROBNICATE"/);
  assert.match(status(await c.cmd('LISTSCRIPTS')), /^NO ".*authenticate first"/);
  assert.match(status(await c.cmd('PUTSCRIPT "x" {5+}\r\nkeep;')), /^NO ".*authenticate first"/);
  assert.match(status(await c.cmd('HAVESPACE "x"')), /^NO/);
  assert.match(status(await c.cmd('"unterminated')), /^NO "Unterminated quoted string"/);
  assert.match(status(await c.cmd('CAPABILITY')), /^OK/);
  let last = '';
  for (let i = 0; i < 25 && !c.closed; i++) last = status(await c.cmd('XYZZY').catch(() => ['BYE (closed)']));
  assert.match(last, /^BYE/);
  await c.closedByServer();
});

test('an oversized literal before login ends that connection (BYE); another client is served meanwhile', async () => {
  const a = await Client.connect();
  await a.response();
  const b = await Client.connect();
  await b.response();
  a.write('AUTHENTICATE "PLAIN" {100000+}\r\n' + 'A'.repeat(4096));
  const r = await a.response();
  assert.match(status(r), /^BYE \(QUOTA\/MAXSIZE\) "Literal too large/);
  await a.closedByServer();
  assert.match(status(await b.cmd('CAPABILITY')), /^OK/);
  b.close();
});

test('the script commands: PUTSCRIPT with {N+} and {N}, GETSCRIPT, quotas, SETACTIVE, DELETESCRIPT, RENAMESCRIPT', async () => {
  const c = await Client.connect();
  await c.response();
  await c.login();
  const script = 'require "fileinto";\r\nfileinto "仕事";\r\n';
  const n = Buffer.byteLength(script);
  assert.deepEqual(await c.cmd(`PUTSCRIPT "仕事" {${n}+}\r\n${script}`), ['OK "Stored"']);
  assert.deepEqual(await c.cmd(`PUTSCRIPT "two" {7}\r\nkeep;\r\n`), ['OK "Stored"']);
  const get = await c.cmd('GETSCRIPT "仕事"');
  assert.equal(get.join('\r\n'), `{${n}}\r\n${script}\r\nOK "Getscript completed"`);
  // a syntax error names its line and column; the script is not stored
  const bad = 'keep;\r\nfileinto "x";\r\n';
  const refused = await c.cmd(`PUTSCRIPT "bad" {${Buffer.byteLength(bad)}+}\r\n${bad}`);
  assert.match(status(refused), /^NO "line 2, column 1: .*fileinto/);
  const check = await c.cmd(`CHECKSCRIPT {${Buffer.byteLength(bad)}+}\r\n${bad}`);
  assert.match(status(check), /^NO "line 2, column 1/);
  // quotas: two scripts at most, 1 KiB each
  assert.match(status(await c.cmd('PUTSCRIPT "third" {7+}\r\nkeep;\r\n')), /^NO \(QUOTA\/MAXSCRIPTS\)/);
  assert.match(status(await c.cmd('HAVESPACE "third" 10')), /^NO \(QUOTA\/MAXSCRIPTS\)/);
  assert.match(status(await c.cmd('HAVESPACE "two" 999999')), /^NO \(QUOTA\/MAXSIZE\)/);
  assert.match(status(await c.cmd('HAVESPACE "two" 100')), /^OK/);
  // a literal above the size limit after login: skipped unread, NO, and the session goes on in step
  const big = `PUTSCRIPT "two" {5000+}\r\n${'#'.repeat(4998)}\r\n`;
  assert.match(status(await c.cmd(big)), /^NO \(QUOTA\/MAXSIZE\)/);
  assert.match(status(await c.cmd('NOOP')), /^OK/);
  // SETACTIVE, LISTSCRIPTS, the active script cannot be deleted, renames
  assert.match(status(await c.cmd('SETACTIVE "nope"')), /^NO \(NONEXISTENT\)/);
  assert.match(status(await c.cmd('SETACTIVE "仕事"')), /^OK/);
  assert.deepEqual(await c.cmd('LISTSCRIPTS'), ['"two"', '"仕事" ACTIVE', 'OK "Listscripts completed"']);
  assert.match(status(await c.cmd('DELETESCRIPT "仕事"')), /^NO \(ACTIVE\)/);
  assert.match(status(await c.cmd('RENAMESCRIPT "two" "仕事"')), /^NO \(ALREADYEXISTS\)/);
  assert.match(status(await c.cmd('RENAMESCRIPT "gone" "x"')), /^NO \(NONEXISTENT\)/);
  assert.match(status(await c.cmd('RENAMESCRIPT "two" "spare"')), /^OK/);
  assert.match(status(await c.cmd('DELETESCRIPT "spare"')), /^OK/);
  assert.match(status(await c.cmd('GETSCRIPT "spare"')), /^NO \(NONEXISTENT\)/);
  assert.match(status(await c.cmd('SETACTIVE ""')), /^OK/);
  assert.deepEqual(await c.cmd('LISTSCRIPTS'), ['"仕事"', 'OK "Listscripts completed"']);
  // a name with a control character is refused
  assert.match(status(await c.cmd('PUTSCRIPT {3+}\r\na\tb {7+}\r\nkeep;\r\n')), /^NO ".*control characters"/);
  // UNAUTHENTICATE: back to the start
  assert.match(status(await c.cmd('UNAUTHENTICATE')), /^OK/);
  assert.match(status(await c.cmd('LISTSCRIPTS')), /^NO/);
  assert.match(status(await c.cmd('LOGOUT')), /^OK/);
  await c.closedByServer();
});

test('AUTHENTICATE: a challenge-response mechanism, "*" cancels, a wrong password is refused', async () => {
  const c = await Client.connect();
  await c.response();
  c.write('AUTHENTICATE "LOGIN"\r\n');
  const [challenge] = await new Promise<string[]>((resolve, reject) => {
    const poll = setInterval(() => {
      const text = (c as unknown as { buf: Buffer }).buf.toString('utf8');
      if (text.includes('\r\n')) {
        clearInterval(poll);
        resolve([text.split('\r\n')[0]]);
      }
    }, 20);
    setTimeout(() => reject(new Error('no challenge')), 30_000);
  });
  assert.match(challenge, /^"[A-Za-z0-9+/=]*"$/, 'a challenge is a string');
  (c as unknown as { buf: Buffer }).buf = Buffer.alloc(0);
  assert.match(status(await c.cmd('"*"')), /^NO "Authentication cancelled"/);
  assert.match(status(await c.cmd(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${USER}\0wrong-one`).toString('base64')}"`)), /^NO "Authentication failed"/);
  assert.match(status(await c.cmd('AUTHENTICATE "X-UNKNOWN"')), /^NO "Unsupported/);
  await c.login();
  c.close();
});
