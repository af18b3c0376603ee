// One login flow for SMTP, POP3 and IMAP, checked over real sockets against `tegami serve`: the same SASL set
// everywhere (SCRAM-SHA-256, CRAM-MD5, PLAIN, LOGIN) used by clients we did not write (Python's smtplib, imaplib
// and poplib; fetchmail), a malformed base64 response ends AUTH with 501 / -ERR / BAD, SASL PLAIN follows one
// rule, STARTTLS forgets a login, MAIL FROM:<> and admins obey restrict_sender, and disabled accounts answer
// like unknown ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, ROOT, run, startTestServer, type TestServer } from '../helpers/server.js';
import { LineClient, smtpEnd, tagged } from './line-client.js';

const TARO = 'taro@example.test';
const TARO_PW = 'taro-pw-1';
const HANAKO = 'hanako@example.test';
const ADMIN = 'kanri@example.test';
const GONE = 'gone@example.test';
const MECHS = ['SCRAM-SHA-256', 'CRAM-MD5', 'PLAIN', 'LOGIN'];
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Python's own protocol client logs in with `mech` (test/net/sasl_client.py). */
async function pyLogin(protocol: 'smtp' | 'pop3' | 'imap', mech: string, port: number, user: string, password: string): Promise<{ ok: boolean; reply: string }> {
  const r = await run('python3', [path.join(ROOT, 'test/net/sasl_client.py'), protocol, mech, '127.0.0.1', String(port), user, password], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `sasl_client.py ${protocol} ${mech}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function smtpSession(port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  await c.until(smtpEnd);
  await c.cmd('EHLO client.example.net', smtpEnd);
  return c;
}

async function pop3Session(port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  await c.line();
  return c;
}

async function imapSession(port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  await c.line();
  return c;
}

describe('one login flow for SMTP, POP3 and IMAP', () => {
  let srv: TestServer;
  let port: { smtp: number; submission: number; pop3: number; imap: number };
  before(async () => {
    srv = await startTestServer({
      listeners: ['smtp', 'submission', 'pop3', 'imap'],
      users: [
        { address: TARO, password: TARO_PW },
        { address: HANAKO, password: 'hanako-pw-2' },
        { address: ADMIN, password: 'kanri-pw-3', admin: true },
        { address: GONE, password: 'gone-pw-4' },
      ],
      // the guessing below must not block the test's own address
      toml: '[auth]\nthrottle_after = 0\nblock_after = 0\naccount_throttle_after = 0\n',
    });
    assert.equal(srv.cli(['user', 'set', GONE, '--disabled']).status, 0);
    port = srv.ports as typeof port;
  });
  after(async () => {
    await srv.stop();
  });

  it('every protocol offers the same SASL mechanisms, strongest first (EHLO, CAPA, CAPABILITY)', async () => {
    const s = await smtpSession(port.smtp);
    const ehlo = await s.cmd('EHLO again.example.net', smtpEnd);
    assert.ok(ehlo.some((l) => l.slice(4) === `AUTH ${MECHS.join(' ')}`), ehlo.join('\n'));
    s.close();
    const p = await pop3Session(port.pop3);
    const capa = await p.cmd('CAPA', (l) => l === '.');
    assert.ok(capa.includes(`SASL ${MECHS.join(' ')}`), capa.join('\n'));
    p.close();
    const i = await imapSession(port.imap);
    const cap = (await i.cmd('c CAPABILITY', tagged('c')))[0];
    assert.match(cap, new RegExp(MECHS.map((m) => `AUTH=${m}`).join(' ')));
    i.close();
  });

  for (const protocol of ['smtp', 'pop3', 'imap'] as const) {
    it(`${protocol.toUpperCase()}: Python's client logs in with SCRAM-SHA-256 (server signature checked), CRAM-MD5, PLAIN and LOGIN; a wrong password fails`, async (t) => {
      if (!requireCommand(t, 'python3')) return;
      const p = port[protocol];
      for (const mech of MECHS) {
        const r = await pyLogin(protocol, mech, p, TARO, TARO_PW);
        assert.ok(r.ok, `${mech}: ${r.reply}`);
      }
      for (const mech of MECHS) {
        const r = await pyLogin(protocol, mech, p, TARO, 'not-the-password');
        assert.ok(!r.ok, `${mech} with a wrong password: ${r.reply}`);
      }
    });
  }

  it('fetchmail logs in over IMAP with CRAM-MD5, as it is configured against Dovecot', async (t) => {
    if (!requireCommand(t, 'fetchmail')) return;
    const dir = fs.mkdtempSync(path.join(srv.dir, 'fetchmail-'));
    const rc = path.join(dir, 'fetchmailrc');
    fs.writeFileSync(rc, `poll 127.0.0.1 protocol IMAP port ${port.imap} auth cram-md5:\n  user "${TARO}" password "${TARO_PW}" is root here\n  sslproto '' keep\n  mda "/bin/true"\n`, { mode: 0o600 });
    const r = await run('fetchmail', ['-f', rc, '--nodetach', '--nosyslog', '--check'], { env: { HOME: dir, FETCHMAILHOME: dir } });
    // --check logs in and counts messages: 1 = no mail (a login failure is 3)
    assert.ok(r.code === 0 || r.code === 1, `fetchmail exit ${r.code}: ${r.stdout}\n${r.stderr}`);
    await srv.waitForLog('imap', new RegExp(`INFO login .*user=${TARO} mechanism=CRAM-MD5`)); // the log line is written at the end of the server's turn: poll for it
  });

  it('a response that is not base64 ends AUTH LOGIN with 501 / -ERR / BAD instead of the next prompt (RFC 4954 §4)', async () => {
    for (const atStep of ['user name', 'password']) {
      const s = await smtpSession(port.smtp);
      assert.deepEqual(await s.cmd('AUTH LOGIN'), ['334 VXNlcm5hbWU6']);
      if (atStep === 'password') assert.deepEqual(await s.cmd(b64(TARO)), ['334 UGFzc3dvcmQ6']);
      assert.match((await s.cmd('%%% not base64 %%%'))[0], /^501 5\.5\.2 /);
      assert.match((await s.cmd('NOOP'))[0], /^250/, 'the session goes on');
      s.close();
      const p = await pop3Session(port.pop3);
      assert.deepEqual(await p.cmd('AUTH LOGIN'), ['+ VXNlcm5hbWU6']);
      if (atStep === 'password') assert.deepEqual(await p.cmd(b64(TARO)), ['+ UGFzc3dvcmQ6']);
      assert.match((await p.cmd('%%% not base64 %%%'))[0], /^-ERR /);
      p.close();
      const i = await imapSession(port.imap);
      assert.deepEqual(await i.cmd('a AUTHENTICATE LOGIN'), ['+ VXNlcm5hbWU6']);
      if (atStep === 'password') assert.deepEqual(await i.cmd(b64(TARO)), ['+ UGFzc3dvcmQ6']);
      assert.match((await i.cmd('%%% not base64 %%%'))[0], /^a BAD /);
      i.close();
    }
  });

  /** One AUTH PLAIN message on every protocol: true when it logged in. */
  async function plainEverywhere(message: string): Promise<Record<string, boolean>> {
    const s = await smtpSession(port.smtp);
    const smtp = (await s.cmd(`AUTH PLAIN ${b64(message)}`))[0];
    s.close();
    const p = await pop3Session(port.pop3);
    const pop3 = (await p.cmd(`AUTH PLAIN ${b64(message)}`))[0];
    p.close();
    const i = await imapSession(port.imap);
    const imap = (await i.cmd(`a AUTHENTICATE PLAIN ${b64(message)}`, tagged('a'))).at(-1)!;
    i.close();
    return { smtp: smtp.startsWith('235 '), pop3: pop3.startsWith('+OK'), imap: imap.startsWith('a OK') };
  }

  it('SASL PLAIN follows one rule everywhere: authzid empty or the same account (any case); another account or an empty password fails', async () => {
    const all = { smtp: true, pop3: true, imap: true };
    const none = { smtp: false, pop3: false, imap: false };
    assert.deepEqual(await plainEverywhere(`\0${TARO}\0${TARO_PW}`), all);
    assert.deepEqual(await plainEverywhere(`${TARO.toUpperCase()}\0${TARO}\0${TARO_PW}`), all, 'authzid in another case names the same account');
    assert.deepEqual(await plainEverywhere(`${HANAKO}\0${TARO}\0${TARO_PW}`), none, 'acting as another account is not offered');
    assert.deepEqual(await plainEverywhere(`\0${TARO}\0`), none, 'an empty password never logs in');
  });

  it('a login made before STARTTLS does not survive it (RFC 3207 §4.2): no relaying, no PASS for an earlier USER', async () => {
    const s = await smtpSession(port.smtp);
    // CRAM-MD5 is offered in clear on port 25; the login works
    const ch = (await s.cmd('AUTH CRAM-MD5'))[0];
    assert.match(ch, /^334 /);
    const crypto = await import('node:crypto');
    const digest = crypto.createHmac('md5', TARO_PW).update(Buffer.from(ch.slice(4), 'base64')).digest('hex');
    assert.match((await s.cmd(b64(`${TARO} ${digest}`)))[0], /^235 /);
    assert.match((await s.cmd('STARTTLS'))[0], /^220 /);
    await s.startTls();
    const ehlo = await s.cmd('EHLO client.example.net', smtpEnd);
    assert.ok(ehlo.some((l) => /^250[- ]AUTH /.test(l)), 'AUTH is offered again: the login is gone');
    assert.match((await s.cmd(`MAIL FROM:<${TARO}>`))[0], /^250 /);
    assert.match((await s.cmd('RCPT TO:<someone@remote.example.org>'))[0], /^550 5\.7\.1 /, 'no relaying without a new login');
    s.close();
    const p = await pop3Session(port.pop3);
    assert.match((await p.cmd(`USER ${TARO}`))[0], /^\+OK/);
    assert.match((await p.cmd('STLS'))[0], /^\+OK/);
    await p.startTls();
    assert.match((await p.cmd(`PASS ${TARO_PW}`))[0], /^-ERR USER first/);
    p.close();
  });

  it('MAIL FROM:<> from a logged-in user is refused by restrict_sender, and admins are bound by it too by default', async () => {
    const s = await LineClient.connect(port.submission);
    await s.until(smtpEnd);
    await s.cmd('EHLO client.example.net', smtpEnd);
    assert.match((await s.cmd(`AUTH PLAIN ${b64(`\0${TARO}\0${TARO_PW}`)}`))[0], /^235 /);
    assert.match((await s.cmd('MAIL FROM:<>'))[0], /^553 5\.7\.1 /);
    assert.match((await s.cmd(`MAIL FROM:<${TARO}>`))[0], /^250 /, 'the own address still works');
    s.close();
    const a = await LineClient.connect(port.submission);
    await a.until(smtpEnd);
    await a.cmd('EHLO admin.example.net', smtpEnd);
    assert.match((await a.cmd(`AUTH PLAIN ${b64(`\0${ADMIN}\0kanri-pw-3`)}`))[0], /^235 /);
    assert.match((await a.cmd(`MAIL FROM:<${HANAKO}>`))[0], /^553 5\.7\.1 /, '[smtp] admins_may_send_as_anyone is off by default');
    a.close();
  });

  it('a disabled account answers every login exactly like an unknown one, on every protocol and mechanism', async () => {
    const answers = async (user: string, password: string) => {
      const s = await smtpSession(port.smtp);
      const smtp = (await s.cmd(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`))[0];
      s.close();
      const p = await pop3Session(port.pop3);
      await p.cmd(`USER ${user}`);
      const pop3 = (await p.cmd(`PASS ${password}`))[0];
      p.close();
      const i = await imapSession(port.imap);
      const imap = (await i.cmd(`a LOGIN ${user} ${password}`, tagged('a'))).at(-1)!;
      // SCRAM: the server-first message of a disabled account looks like any other (salt, iterations), then it fails
      const sc = await imapSession(port.imap);
      const first = (await sc.cmd(`b AUTHENTICATE SCRAM-SHA-256 ${b64(`n,,n=${user},r=clientnonce123`)}`))[0];
      const serverFirst = Buffer.from(first.slice(2), 'base64').toString();
      const shape = serverFirst.replace(/r=clientnonce123[^,]+/, 'r=N').replace(/s=[A-Za-z0-9+/=]{24}/, 's=SALT');
      const scram = (await sc.cmd(`${b64(`c=biws,r=${/r=([^,]+)/.exec(serverFirst)![1]},p=${b64('x'.repeat(32))}`)}`, tagged('b'))).at(-1)!;
      i.close();
      sc.close();
      return { smtp, pop3, imap, shape, scram };
    };
    const disabled = await answers(GONE, 'gone-pw-4');
    const unknown = await answers('nobody@example.test', 'gone-pw-4');
    assert.deepEqual(disabled, unknown);
    assert.match(disabled.smtp, /^535 /);
    assert.equal(disabled.shape, 'r=N,s=SALT,i=4096');
  });
});
