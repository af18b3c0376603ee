// POP3 with curl's pop3:// and pop3s:// and with fetchmail (APOP, and UIDL-based "keep"), clients we did not
// write, fetching real messages out of the Maildir through the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PASSWORD, USER, have, run, sampleMessage, startHarness, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
  for (let i = 1; i <= 3; i++) await h.deliver(USER, sampleMessage(i));
});
after(() => h.close());

const creds = `${USER}:${PASSWORD}`;

test('curl pop3:// LIST and RETR, with its default SASL choice and with APOP and PLAIN forced', async (t) => {
  if (!(await have('curl'))) return t.skip('curl not installed');
  const list = await run('curl', ['-sS', '--max-time', '10', '-u', creds, `pop3://127.0.0.1:${h.port}/`]);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split(/\r?\n/);
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^1 \d+$/);
  const retr = await run('curl', ['-sS', '--max-time', '10', '-u', creds, `pop3://127.0.0.1:${h.port}/2`]);
  assert.equal(retr.code, 0, retr.stderr);
  assert.equal(retr.stdout, sampleMessage(2).replace(/\n/g, '\r\n'), 'curl receives the exact message, dot-unstuffed');
  for (const opt of ['AUTH=+APOP', 'AUTH=PLAIN', 'AUTH=CRAM-MD5']) {
    const r = await run('curl', ['-sS', '--max-time', '10', '--login-options', opt, '-u', creds, `pop3://127.0.0.1:${h.port}/1`]);
    assert.equal(r.code, 0, `${opt}: ${r.stderr}`);
    assert.match(r.stdout, /Subject: message 1\r\n/, opt);
  }
  const bad = await run('curl', ['-sS', '--max-time', '10', '-u', `${USER}:nope`, `pop3://127.0.0.1:${h.port}/`]);
  assert.notEqual(bad.code, 0, 'a wrong password fails');
});

test('curl over STLS (--ssl-reqd) and over implicit TLS (pop3s://), verifying the certificate', async (t) => {
  if (!(await have('curl'))) return t.skip('curl not installed');
  const stls = await run('curl', ['-sS', '--max-time', '10', '--ssl-reqd', '--cacert', h.certFile, '-u', creds, `pop3://127.0.0.1:${h.port}/3`]);
  assert.equal(stls.code, 0, stls.stderr);
  assert.match(stls.stdout, /Subject: message 3/);
  const pop3s = await run('curl', ['-sS', '--max-time', '10', '--cacert', h.certFile, '-u', creds, `pop3s://127.0.0.1:${h.tlsPort}/`]);
  assert.equal(pop3s.code, 0, pop3s.stderr);
  assert.equal(pop3s.stdout.trim().split(/\r?\n/).length, 3);
});

function fetchmailrc(dir: string, body: string): string {
  const rc = path.join(dir, 'fetchmailrc');
  fs.writeFileSync(rc, `set no syslog\nset no bouncemail\n${body}\n`, { mode: 0o600 });
  return rc;
}

async function fetchmail(dir: string, rc: string) {
  return run('fetchmail', ['-f', rc, '--idfile', path.join(dir, 'fetchids'), '--pidfile', path.join(dir, 'fetchmail.pid'), '-v'], {
    env: { HOME: dir, FETCHMAILHOME: dir },
    timeoutMs: 30_000,
  });
}

test('fetchmail with APOP fetches every message into a local file; UIDL keeps a second run from fetching again', async (t) => {
  if (!(await have('fetchmail'))) return t.skip('fetchmail not installed');
  const dir = fs.mkdtempSync(path.join(h.data, 'fetchmail-'));
  const mbox = path.join(dir, 'mbox');
  // keep + uidl: fetchmail remembers UIDLs, so new mail is all that a second run brings
  const rc = fetchmailrc(
    dir,
    `poll 127.0.0.1 service ${h.port} protocol APOP uidl\n  user "${USER}" password "${PASSWORD}" is root here\n  sslproto ''\n  keep\n  mda "cat >> ${mbox}"`,
  );
  const first = await fetchmail(dir, rc);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stderr + first.stdout, /APOP/);
  const text = fs.readFileSync(mbox, 'utf8');
  for (let i = 1; i <= 3; i++) assert.match(text, new RegExp(`Subject: message ${i}\\r?\\n`));
  assert.match(text, /\n\.starts with a dot\r?\n/);
  await h.deliver(USER, sampleMessage(4));
  const second = await fetchmail(dir, rc);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  const text2 = fs.readFileSync(mbox, 'utf8');
  assert.equal(text2.match(/Subject: message 1\r?\n/g)?.length, 1, 'already-seen mail is not fetched again');
  assert.match(text2, /Subject: message 4\r?\n/);
  // none were deleted (keep); fetchmail reads with TOP in keep mode, so it leaves no \Seen behind by design
  assert.equal((await h.store.list(USER, 'INBOX')).length, 4);
});

test('fetchmail POP3 (USER/PASS) without keep: fetched mail is deleted from the server', async (t) => {
  if (!(await have('fetchmail'))) return t.skip('fetchmail not installed');
  const dir = fs.mkdtempSync(path.join(h.data, 'fetchmail-'));
  const mbox = path.join(dir, 'mbox');
  const rc = fetchmailrc(
    dir,
    `poll 127.0.0.1 service ${h.port} protocol POP3 auth password\n  user "${USER}" password "${PASSWORD}" is root here\n  sslproto ''\n  fetchall\n  nokeep\n  mda "cat >> ${mbox}"`,
  );
  const r = await fetchmail(dir, rc);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(fs.readFileSync(mbox, 'utf8').match(/^Subject: message \d/gm)?.length, 4);
  assert.equal((await h.store.list(USER, 'INBOX')).length, 0);
  const again = await fetchmail(dir, rc);
  assert.equal(again.code, 1, 'fetchmail exits 1 when there is no mail');
});
