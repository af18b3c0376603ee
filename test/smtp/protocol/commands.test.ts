// The SMTP commands' state rules against a real `tegami serve` (security review 10): AUTH is refused inside a mail
// transaction (RFC 4954 §4), so a MAIL FROM judged for a stranger on port 25 cannot be carried past a login into
// relayed RCPTs — the old layer let alice log in after `MAIL FROM:<bobby@…>` and relay as bobby, past sender
// ownership and the sending limits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { ehlo } from '../../helpers/smtp-client.js';

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
