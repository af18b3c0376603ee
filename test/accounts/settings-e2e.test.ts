// Each A2 setting has an effect, shown on the real server with clients we did not write: a disabled account
// cannot log in over SMTP AUTH (swaks), POP3 (poplib) or IMAP (imaplib) and mail to it is refused exactly as to an
// unknown user, and `--enabled` gives it all back; forward with and without keep-copy; reply-to on submitted
// mail; the full name in VRFY; `tegami user passwd` (the admin path) works where the owner may not change it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { ehlo } from '../helpers/smtp-client.js';
import { imapLogin, popLogin, readAll } from './helpers.js';

const PW = 'secret-pw1';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({
    listeners: ['smtp', 'submission', 'pop3', 'imap'],
    users: ['alice', 'gone', 'fwd1', 'fwd2', 'replier', 'locked'].map((n) => ({ address: `${n}@example.test`, password: PW })),
    toml: '[smtp]\nvrfy = true\n[spam]\nenabled = false\n',
  });
  const set = (...args: string[]) => {
    const r = srv.cli(['user', 'set', ...args]);
    assert.equal(r.status, 0, r.stderr);
  };
  set('gone@example.test', '--disabled');
  set('fwd1@example.test', '--forward', 'alice@example.test', '--keep-copy');
  set('fwd2@example.test', '--forward', 'alice@example.test', '--no-keep-copy');
  set('replier@example.test', '--reply-to', 'desk@example.test', '--full-name', '受付 花子');
  set('locked@example.test', '--no-password-change');
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

async function swaksAuth(user: string, pass: string): Promise<{ code: number | null; out: string }> {
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.submission), '--auth', 'PLAIN', '--auth-user', user, '--auth-password', pass, '--quit-after', 'AUTH']);
  return { code: r.code, out: r.stdout + r.stderr };
}

async function swaks(to: string, subject: string, extra: string[] = []): Promise<void> {
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'sender@remote.test', '--to', to, '--h-Subject', subject, '--body', `${subject}: 本文`, ...extra]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

describe('account disabled', () => {
  it('cannot log in on SMTP AUTH, POP3 or IMAP, and can again once enabled', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'python3')) return;
    const smtp = await swaksAuth('gone@example.test', PW);
    assert.match(smtp.out, /<\*\* +535 /, smtp.out);
    assert.match(await popLogin(srv.ports.pop3, 'gone@example.test', PW), /^-ERR/);
    assert.notEqual(await imapLogin(srv.ports.imap, 'gone@example.test', PW), 'OK');
    // the same answers as a wrong password: nothing tells that the account exists
    assert.equal(await popLogin(srv.ports.pop3, 'gone@example.test', PW), await popLogin(srv.ports.pop3, 'gone@example.test', 'wrong-pw'));
    assert.equal(srv.cli(['user', 'set', 'gone@example.test', '--enabled']).status, 0);
    try {
      assert.match((await swaksAuth('gone@example.test', PW)).out, /<- +235 /);
      assert.equal(await popLogin(srv.ports.pop3, 'gone@example.test', PW), 'OK');
      assert.equal(await imapLogin(srv.ports.imap, 'gone@example.test', PW), 'OK');
    } finally {
      assert.equal(srv.cli(['user', 'set', 'gone@example.test', '--disabled']).status, 0);
    }
  });

  it('mail to it is refused exactly as to an unknown user', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    assert.equal((await c.cmd('MAIL FROM:<x@remote.test>')).code, 250);
    const disabled = await c.cmd('RCPT TO:<gone@example.test>');
    const unknown = await c.cmd('RCPT TO:<nosuch@example.test>');
    c.close();
    assert.match(disabled.text, /^550 5\.1\.1 /);
    assert.equal(disabled.text.replace('gone@', 'X@'), unknown.text.replace('nosuch@', 'X@'));
  });
});

describe('forward', () => {
  it('with keep-copy delivers to the target and the account; without, to the target only', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    await swaks('fwd1@example.test', 'kept copy');
    await swaks('fwd2@example.test', 'no copy');
    const alice = await srv.waitForMail('alice@example.test', 2, 120_000);
    const subjects = readAll(alice).map((m) => /^Subject: (.*)$/m.exec(m)?.[1]).sort();
    assert.deepEqual(subjects, ['kept copy', 'no copy']);
    const own = await srv.waitForMail('fwd1@example.test', 1, 120_000);
    assert.match(readAll(own)[0], /^Subject: kept copy$/m);
    assert.deepEqual(srv.maildir('fwd2@example.test'), [], 'no copy kept');
  });
});

describe('reply-to and full name', () => {
  it('submitted mail without a Reply-To gets the setting; a Reply-To of its own stays alone', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const send = async (subject: string, extra: string[]) => {
      const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.submission), '--auth', 'PLAIN', '--auth-user', 'replier@example.test', '--auth-password', PW,
        '--from', 'replier@example.test', '--to', 'alice@example.test', '--h-From', 'replier@example.test', '--h-Subject', subject, '--body', 'reply here', ...extra]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    };
    await send('needs reply-to', []);
    await send('has its own', ['--add-header', 'Reply-To: mine@example.test']);
    const mail = readAll(await srv.waitForMail('alice@example.test', 4, 120_000));
    const added = mail.find((m) => /^Subject: needs reply-to$/m.test(m))!;
    assert.match(added, /^Reply-To: desk@example\.test\r?$/m);
    const own = mail.find((m) => /^Subject: has its own$/m.test(m))!;
    assert.equal(own.match(/^Reply-To:/gim)!.length, 1);
    assert.match(own, /^Reply-To: mine@example\.test/m);
  });

  it('VRFY names the account by its full name', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    const r = await c.cmd('VRFY replier@example.test');
    c.close();
    // (the reply carries the name as UTF-8 octets; the test client reads octets as latin1)
    assert.match(Buffer.from(r.text, 'latin1').toString('utf8'), /^250 2\.1\.5 受付 花子 <replier@example\.test>/);
  });
});

describe('cannot change password', () => {
  it('is no bar to the administrator: tegami user passwd changes it, and the new one logs in', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const r = srv.cli(['user', 'passwd', 'locked@example.test', '--password-stdin'], 'changed-pw2\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await popLogin(srv.ports.pop3, 'locked@example.test', 'changed-pw2'), 'OK');
    const show = JSON.parse(srv.cli(['user', 'show', 'locked@example.test', '--json']).stdout) as { cannotChangePassword: boolean };
    assert.equal(show.cannotChangePassword, true, 'the setting stays');
  });
});
