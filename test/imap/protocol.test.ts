// IMAP protocol over real sockets against the memory store: states, logins, TLS, folders, APPEND with
// literals, and bad input (garbage, NUL bytes, overlong lines, huge literal announcements) that must not kill the session.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { localDay } from '../../engine/log/logger.js';
import { capabilities } from '../../engine/imap/session.js';
import { mail, PASS, RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ toml: '[auth]\nthrottle_after = 100\nblock_after = 6\nblock_for = 60\n[imap]\nidle_timeout = "3s"\nmax_literal = "1M"' });
});
after(async () => {
  await h.close();
});

test('commands in the wrong state get BAD and the session goes on', async () => {
  const c = await RawClient.connect(h.plain.port);
  assert.match((await c.cmd('SELECT INBOX')).status, /^BAD .*Log in first/);
  assert.match((await c.cmd('FETCH 1 FLAGS')).status, /^BAD/);
  assert.match((await c.cmd('FROBNICATE')).status, /^BAD Unknown command/);
  await c.login();
  assert.match((await c.cmd('FETCH 1 FLAGS')).status, /^BAD .*Select a mailbox first/);
  assert.match((await c.cmd('LOGIN a b')).status, /^BAD .*Already logged in/);
  assert.match((await c.cmd('NOOP')).status, /^OK/);
  c.close();
});

test('garbage, NUL bytes, overlong lines and huge literals are answered, the session kept', async () => {
  const c = await RawClient.connect(h.plain.port);
  c.write('\x00\x01\x02\xff garbage\r\n');
  assert.match(await c.line(), /^\* BAD/);
  c.write('a1 LOGIN "ta\x00ro" x\r\n');
  assert.match(await c.line(), /^a1 BAD .*NUL/);
  c.write('a2 NOOP ' + 'x'.repeat(200_000) + '\r\n');
  assert.match(await c.line(), /^a2 BAD \[TOOBIG\] Line too long/);
  c.write('a3 APPEND INBOX {999999999999}\r\n');
  assert.match(await c.line(), /^a3 BAD \[TOOBIG\] Literal too large/);
  c.write(`a3b APPEND INBOX {${1024 * 1024 + 1}}\r\n`);
  assert.match(await c.line(), /^a3b BAD \[TOOBIG\]/, '[imap] max_literal is honoured');
  c.write('a4 LOGIN "unterminated\r\n');
  assert.match(await c.line(), /^a4 BAD/);
  assert.match((await c.cmd('NOOP')).status, /^OK/);
  // a non-synchronizing literal above the limit cannot be skipped safely: BAD, then BYE
  c.write('a5 APPEND INBOX {999999999999+}\r\n');
  assert.match(await c.line(), /^a5 BAD \[TOOBIG\]/);
  assert.match(await c.line(), /^\* BYE/);
  c.close();
});

test('pipelined commands are answered in order', async () => {
  const c = await RawClient.connect(h.plain.port);
  c.write(`p1 NOOP\r\np2 LOGIN ${USER} ${PASS}\r\np3 SELECT INBOX\r\np4 FETCH 1:* FLAGS\r\np5 LOGOUT\r\n`);
  const tags: string[] = [];
  for (let i = 0; i < 40 && tags.length < 5; i++) {
    const l = await c.line();
    if (/^p\d /.test(l)) tags.push(l.slice(0, 5));
  }
  assert.deepEqual(tags, ['p1 OK', 'p2 OK', 'p3 OK', 'p4 OK', 'p5 OK']);
  c.close();
});

test('too many bad commands in a row end the session', async () => {
  const c = await RawClient.connect(h.plain.port);
  for (let i = 0; i < 19; i++) assert.match((await c.cmd('BOGUS')).status, /^BAD/);
  c.write('x BOGUS\r\n');
  assert.match(await c.line(), /^x BAD/);
  assert.match(await c.line(), /^\* BYE Too many/);
  c.close();
});

test('logins: user@domain, bare user in the primary domain, wrong password, disabled account, SASL PLAIN, log without secrets', async () => {
  const c = await RawClient.connect(h.plain.port);
  const r = await c.cmd(`LOGIN taro ${PASS}`);
  assert.match(r.status, /^OK \[CAPABILITY IMAP4rev1 /);
  assert.doesNotMatch(r.status, /STARTTLS|AUTH=/);
  c.close();
  const d = await RawClient.connect(h.plain.port);
  assert.match((await d.cmd('LOGIN hanako@other.test other-pw2')).status, /^OK/);
  d.close();
  const e = await RawClient.connect(h.plain.port);
  assert.match((await e.cmd('LOGIN gone@example.test disabled-pw')).status, /^NO \[AUTHENTICATIONFAILED\]/);
  assert.match((await e.cmd(`LOGIN ${USER} wrong`)).status, /^NO \[AUTHENTICATIONFAILED\]/);
  // SASL PLAIN with the initial response inline and after "+"
  const plain = Buffer.from(`\0${USER}\0${PASS}`).toString('base64');
  e.write(`p1 AUTHENTICATE PLAIN\r\n`);
  assert.equal(await e.line(), '+ ');
  e.write(`${plain}\r\n`);
  assert.match((await e.until('p1')).status, /^OK/);
  e.close();
  const f = await RawClient.connect(h.plain.port);
  assert.match((await f.cmd(`AUTHENTICATE PLAIN ${plain}`)).status, /^OK/);
  f.close();
  // log lines reach the file at the end of the server's turn (engine/log/logger.ts): wait for the last one
  const file = path.join(h.config.data_dir, 'logs', `imap-${localDay(new Date())}.log`);
  const deadline = Date.now() + 120_000;
  while (!/INFO login .*user=taro@example.test/.test(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const log = fs.readFileSync(file, 'utf8');
  assert.match(log, /login.fail/);
  assert.match(log, /INFO login .*user=taro@example.test/);
  assert.ok(!log.includes(PASS) && !log.includes(plain), 'no password in the log');
});

test('STARTTLS: upgrade, no STARTTLS afterwards, pipelined plaintext discarded; implicit TLS on the other port', async () => {
  const c = await RawClient.connect(h.plain.port);
  assert.match((await c.cmd('CAPABILITY')).lines[0], /STARTTLS/);
  // a valid LOGIN pipelined in plaintext after STARTTLS must not survive into the TLS session
  c.write(`s1 STARTTLS\r\ns2 LOGIN ${USER} ${PASS}\r\n`);
  assert.match(await c.line(), /^s1 OK/);
  await c.upgrade();
  assert.match((await c.cmd('SELECT INBOX')).status, /^BAD .*Log in first/);
  const cap = await c.cmd('CAPABILITY');
  assert.doesNotMatch(cap.lines[0], /STARTTLS/);
  assert.match(cap.lines[0], /AUTH=PLAIN/);
  assert.match((await c.cmd('STARTTLS')).status, /^BAD/);
  await c.login();
  c.close();
  const t = await RawClient.connect(h.secure.port, { tls: true });
  assert.doesNotMatch((await t.cmd('CAPABILITY')).lines[0], /STARTTLS/);
  await t.login();
  t.close();
});

test('LOGINDISABLED and no AUTH=PLAIN on a plaintext non-loopback connection unless allowed', () => {
  const base = { state: 'not-authenticated', secure: false, remoteAddress: '192.0.2.7', config: h.config, shared: { login: h.login } } as never;
  const caps = capabilities(base);
  assert.ok(caps.includes('LOGINDISABLED') && !caps.includes('AUTH=PLAIN') && caps.includes('STARTTLS'));
  // challenge-response mechanisms never carry the password, so they stay offered in clear
  assert.ok(caps.includes('AUTH=SCRAM-SHA-256') && caps.includes('AUTH=CRAM-MD5') && !caps.includes('AUTH=LOGIN'), caps.join(' '));
  const allowed = { ...(base as object), config: { ...h.config, imap: { ...h.config.imap, allow_insecure_auth: true } } } as never;
  assert.ok(capabilities(allowed).includes('AUTH=PLAIN'));
  assert.ok(capabilities({ ...(base as object), secure: true } as never).includes('AUTH=PLAIN'));
});

test('folders: special-use LIST, CREATE/RENAME/DELETE, mUTF-7 names, SUBSCRIBE/LSUB, STATUS', async () => {
  const c = await RawClient.connect(h.plain.port);
  await c.login('hanako@other.test', 'other-pw2');
  const list = await c.cmd('LIST "" "*"');
  assert.deepEqual(list.lines, [
    '* LIST (\\HasNoChildren) "/" INBOX',
    '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
    '* LIST (\\HasNoChildren \\Sent) "/" Sent',
    '* LIST (\\HasNoChildren \\Junk) "/" Spam',
    '* LIST (\\HasNoChildren \\Trash) "/" Trash',
  ]);
  assert.match((await c.cmd('CREATE "&ZeVnLIqe-/sub"')).status, /^OK/);
  assert.match((await c.cmd('CREATE &ZeVnLIqe-')).status, /^NO \[ALREADYEXISTS\]/);
  assert.deepEqual((await c.cmd('LIST "" "%"')).lines.filter((l) => l.includes('&')), ['* LIST (\\HasChildren) "/" &ZeVnLIqe-']);
  assert.deepEqual((await c.cmd('LIST "&ZeVnLIqe-/" "%"')).lines, ['* LIST (\\HasNoChildren) "/" &ZeVnLIqe-/sub']);
  assert.match((await c.cmd('DELETE &ZeVnLIqe-')).status, /^NO/);
  assert.match((await c.cmd('RENAME &ZeVnLIqe-/sub Archive')).status, /^OK/);
  assert.match((await c.cmd('SELECT Archive')).status, /^OK \[READ-WRITE\]/);
  assert.match((await c.cmd('DELETE Archive')).status, /^OK/);
  assert.match((await c.cmd('NOOP')).status, /^BAD|^OK/);
  assert.match((await c.cmd('DELETE INBOX')).status, /^NO/);
  assert.match((await c.cmd('SUBSCRIBE &ZeVnLIqe-')).status, /^OK/);
  assert.ok((await c.cmd('LSUB "" "*"')).lines.includes('* LSUB (\\HasNoChildren) "/" &ZeVnLIqe-'));
  assert.match((await c.cmd('CREATE bad//name')).status, /^NO/);
  assert.deepEqual((await c.cmd('LIST "" ""')).lines, ['* LIST (\\Noselect) "/" ""']);
  assert.deepEqual((await c.cmd('LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)')).lines.map((l) => l.split(' ').pop()), ['Drafts', 'Sent', 'Spam', 'Trash']);
  assert.match((await c.cmd('LIST "" "*" junk')).status, /^BAD/);
  const st = await c.cmd('STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)');
  assert.match(st.lines[0], /^\* STATUS INBOX \(MESSAGES 0 UNSEEN 0 UIDNEXT 1 UIDVALIDITY \d+\)$/);
  assert.match((await c.cmd('STATUS Nope (MESSAGES)')).status, /^NO/);
  assert.match((await c.cmd('NAMESPACE')).lines[0], /^\* NAMESPACE \(\(""\s"\/"\)\) NIL NIL$/);
  assert.match((await c.cmd('ID ("name" "test")')).lines[0], /^\* ID \("name" "tegami"/);
  c.close();
});

test('APPEND with a synchronizing literal, LITERAL+, flags and date; APPENDUID; TRYCREATE', async () => {
  const c = await RawClient.connect(h.plain.port);
  await c.login();
  const msg = mail(['From: a@example.test', 'Subject: appended', '', 'body ✓']);
  c.write(`a1 APPEND Drafts (\\Draft \\Seen) "05-Jan-2024 10:00:00 +0900" {${msg.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  c.write(Buffer.concat([msg, Buffer.from('\r\n')]));
  const r1 = await c.until('a1');
  assert.match(r1.status, /^OK \[APPENDUID \d+ 1\]/);
  c.write(Buffer.concat([Buffer.from(`a2 APPEND Drafts {${msg.length}+}\r\n`), msg, Buffer.from('\r\n')]));
  assert.match((await c.until('a2')).status, /^OK \[APPENDUID \d+ 2\]/);
  c.write(Buffer.concat([Buffer.from(`a3 APPEND Nowhere {${msg.length}+}\r\n`), msg, Buffer.from('\r\n')]));
  assert.match((await c.until('a3')).status, /^NO \[TRYCREATE\]/);
  await c.cmd('SELECT Drafts');
  const f = await c.cmd('FETCH 1:2 (FLAGS INTERNALDATE RFC822.SIZE)');
  assert.match(f.lines[0], /FLAGS \((?=[^)]*\\Draft)(?=[^)]*\\Seen)[^)]*\) INTERNALDATE "05-Jan-2024 01:00:00 \+0000" RFC822.SIZE \d+/);
  const body = await c.cmd('FETCH 2 BODY[TEXT]');
  assert.match(body.lines[0], /BODY\[TEXT\] \{\d+\}\r\nbody ✓/);
  c.close();
});

test('LOGIN with synchronizing literals; ENABLE; UNSELECT; IDLE outside a mailbox', async () => {
  const c = await RawClient.connect(h.plain.port);
  c.write(`l1 LOGIN {${USER.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  c.write(`${USER} {${PASS.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  c.write(`${PASS}\r\n`);
  assert.match((await c.until('l1')).status, /^OK/);
  assert.deepEqual((await c.cmd('ENABLE CONDSTORE X-UNKNOWN')).lines, ['* ENABLED CONDSTORE']);
  await c.cmd('SELECT INBOX');
  assert.match((await c.cmd('UNSELECT')).status, /^OK/);
  assert.match((await c.cmd('EXPUNGE')).status, /^BAD/);
  c.write('i1 IDLE\r\n');
  assert.match(await c.line(), /^\+ idling/);
  c.write('DONE\r\n');
  assert.match((await c.until('i1')).status, /^OK/);
  c.close();
});

test('an idle session is logged out after [imap] idle_timeout (3 s here)', async () => {
  const c = await RawClient.connect(h.plain.port);
  await c.login();
  const t0 = Date.now();
  assert.match(await c.line(30_000), /^\* BYE Autologout/);
  assert.ok(Date.now() - t0 >= 2500, 'not before the idle timeout');
  for (const deadline = Date.now() + 30_000; !c.closed && Date.now() < deadline; ) await new Promise((res) => setTimeout(res, 20));
  assert.ok(c.closed);
});

test('LOGOUT says BYE and closes', async () => {
  const c = await RawClient.connect(h.plain.port);
  const r = await c.cmd('LOGOUT');
  assert.deepEqual(r.lines, ['* BYE tegami logging out']);
  assert.match(r.status, /^OK/);
  for (const deadline = Date.now() + 30_000; !c.closed && Date.now() < deadline; ) await new Promise((res) => setTimeout(res, 20));
  assert.ok(c.closed);
});

test('failed-login throttle: after block_after failures even the right password is refused (runs last)', async () => {
  // block_after = 6: the failures above count; a few more and even the right password is refused
  const g = await RawClient.connect(h.plain.port);
  let blocked = false;
  for (let i = 0; i < 6 && !blocked; i++) blocked = /UNAVAILABLE/.test((await g.cmd(`LOGIN ${USER} nope${i}`)).status);
  assert.ok(blocked, 'blocked after repeated failures');
  assert.match((await g.cmd(`LOGIN ${USER} ${PASS}`)).status, /^NO \[UNAVAILABLE\]/);
  g.close();
});
