// The SMTP commands' state rules against a real `tegami serve` (security review 10): AUTH is refused inside a mail
// transaction (RFC 4954 §4), so a MAIL FROM judged for a stranger on port 25 cannot be carried past a login into
// relayed RCPTs — the old layer let alice log in after `MAIL FROM:<bobby@…>` and relay as bobby, past sender
// ownership and the sending limits. A MAIL its hook refuses leaves nothing behind: its RET and ENVID were kept in
// the envelope and became the next transaction's (security review 11).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SmtpConnection } from '../../../engine/smtp/protocol/connection.js';
import type { SmtpSession } from '../../../engine/smtp/protocol/types.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { ehlo, RawSmtp } from '../../helpers/smtp-client.js';
import { testOptions } from './options.js';

const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');

describe('SMTP command state (real server)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      listeners: ['smtp'],
      users: [
        { address: 'alice@example.test', password: 'secret123' },
        { address: 'bobby@example.test', password: 'secret123' },
      ],
    });
  });
  after(async () => {
    await srv.stop();
  });

  it('refuses AUTH during a mail transaction: no relay under a sender the login does not own', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    assert.equal((await c.cmd('MAIL FROM:<bobby@example.test>')).code, 250, 'a stranger may send as anyone to local mailboxes');
    const auth = await c.cmd(`AUTH PLAIN ${plain('alice@example.test', 'secret123')}`);
    assert.equal(auth.code, 503, auth.text);
    assert.match(auth.text, /^503 5\.5\.1 /);
    const relayed = await c.cmd('RCPT TO:<someone@remote.test>');
    assert.equal(relayed.code, 550, `still a stranger's transaction: ${relayed.text}`);
    assert.match(relayed.text, /5\.7\.1 Relaying denied/);
    // after RSET the login works, and MAIL FROM is judged for the account
    assert.equal((await c.cmd('RSET')).code, 250);
    assert.equal((await c.cmd(`AUTH PLAIN ${plain('alice@example.test', 'secret123')}`)).code, 235);
    const mail = await c.cmd('MAIL FROM:<bobby@example.test>');
    assert.equal(mail.code, 553, mail.text);
    assert.equal((await c.cmd('MAIL FROM:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<someone@remote.test>')).code, 250);
    c.close();
  });
});

describe('a refused MAIL (the session layer, hooks recording)', () => {
  it('leaves no RET or ENVID for the next MAIL', async () => {
    const seen: SmtpSession['envelope']['dsn'][] = [];
    const o = testOptions({
      // the policy refuses one sender, after a turn of the event loop as the real one does
      onMailFrom: (a, _s, done) => setImmediate(() => done(a.address === 'refused@remote.test' ? Object.assign(new Error('5.7.1 Sender refused'), { responseCode: 550 }) : null)),
      onRcptTo: (_a, _s, done) => setImmediate(() => done()),
      onData: (stream, session, done) => {
        seen.push({ ...session.envelope.dsn });
        const drain = async () => {
          for await (const _ of stream);
        };
        drain().then(() => done(null, 'Ok: queued'), (e: Error) => done(e));
      },
    });
    const server = net.createServer((socket) => new SmtpConnection(socket, o, 'refused-mail'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = await RawSmtp.connect((server.address() as net.AddressInfo).port);
      await c.reply();
      assert.equal((await c.cmd('EHLO client.test')).code, 250);
      const refused = await c.cmd('MAIL FROM:<refused@remote.test> RET=HDRS ENVID=left-behind');
      assert.equal(refused.code, 550, refused.text);
      assert.equal((await c.cmd('MAIL FROM:<sender@remote.test>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<alice@example.test>')).code, 250);
      assert.equal((await c.cmd('DATA')).code, 354);
      assert.equal((await c.cmd('Subject: t\r\n\r\nbody\r\n.')).code, 250);
      assert.deepEqual(seen, [{ ret: null, envid: null }], 'the accepted MAIL named no RET or ENVID');
      c.close();
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
