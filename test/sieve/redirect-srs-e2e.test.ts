// Redirects, forwards and SRS end to end: a `redirect :copy` keeps a copy and reaches the lab sink with an SRS0
// envelope sender in our domain; a bounce to that SRS address is accepted and returned to the original sender,
// a forged one is refused at RCPT; a user's forward list leaves with SRS too; two users redirecting at each other
// bounce once (5.4.6), a self-redirect too; five redirects are over the cap (kept instead); a copy that has been
// around too often stops at the hop limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { cliOk, folderFiles, logLines, mail, smtpSend, startRulesLab, until, waitFolder, type RulesLab } from './e2e-helpers.js';

let lab: RulesLab;

before(async () => {
  lab = await startRulesLab({ users: ['alice@example.test', 'bobby@example.test', 'carol@example.test', 'david@example.test', 'erin@example.test', 'frank@example.test', 'grace@example.test'] });
});

after(async () => {
  await lab?.close();
});

async function send(from: string, to: string, raw: string): Promise<string> {
  const r = await smtpSend(lab.srv.ports.smtp, from, [to], raw);
  assert.equal(r.code, 250, r.text);
  return /queued as (\w+)/.exec(r.text)![1];
}

const SRS0 = /^SRS0=[A-Z2-7]{11}=[A-Z2-7]{2}=orig\.test=sender@example\.test$/i;

test('redirect :copy keeps a copy and reaches the sink with an SRS envelope; a bounce to it returns to the sender', async () => {
  cliOk(lab.srv, ['sieve', 'put', 'alice@example.test', 'fwd', '-', '--activate'], 'require "copy";\nredirect :copy "friend@friend.test";\n');
  await send('sender@orig.test', 'alice@example.test', mail({ subject: 'to be forwarded', id: 'fwd-1' }));
  await waitFolder(lab.srv, 'alice@example.test', 'INBOX', 1);
  const [copy] = await until('the redirected copy at the sink', () => {
    const m = lab.sink.messages.filter((x) => x.to.includes('friend@friend.test'));
    return m.length ? m : null;
  });
  assert.match(copy.from, SRS0, `envelope sender ${copy.from}`);
  const raw = copy.raw.toString('latin1');
  assert.match(raw, /^Delivered-To: alice@example\.test/m);
  assert.match(raw, /^From: Sender <sender@orig\.test>/m, 'the message itself is unchanged: only the envelope is rewritten');
  assert.match(raw, /^Subject: to be forwarded/m);

  // the remote side bounces to the SRS address: accepted, and the bounce goes back to the original sender
  const before = lab.sink.messages.length;
  const bounce = await smtpSend(lab.srv.ports.smtp, '', [copy.from], mail({ from: 'MAILER-DAEMON@friend.test', to: copy.from, subject: 'Undelivered Mail Returned to Sender' }));
  assert.equal(bounce.code, 250, bounce.text);
  const [back] = await until('the bounce returned to the original sender', () => {
    const m = lab.sink.messages.slice(before).filter((x) => x.to.includes('sender@orig.test'));
    return m.length ? m : null;
  });
  assert.equal(back.from, '');
  assert.match(back.raw.toString('latin1'), /Undelivered Mail Returned to Sender/);

  // a forged or altered SRS address is refused at RCPT, never relayed
  const hash = /^SRS0=([^=]+)=/i.exec(copy.from)![1];
  const forged = copy.from.replace(hash, hash.split('').reverse().join('') === hash ? 'AAAAAA' : hash.split('').reverse().join(''));
  const r = await smtpSend(lab.srv.ports.smtp, '', [forged], mail({ subject: 'forged' }));
  assert.equal(r.stage, 'rcpt');
  assert.equal(r.code, 550);
  assert.match(r.text, /5\.1\.1 .*invalid SRS address/);
  const victim = await smtpSend(lab.srv.ports.smtp, '', ['SRS0=ABCDEF=AA=victim.test=someone@example.test'], mail({ subject: 'made up' }));
  assert.equal(victim.code, 550);
  cliOk(lab.srv, ['sieve', 'deactivate', 'alice@example.test']);
});

test("a user's forward list to a remote address leaves with an SRS envelope sender too", async () => {
  cliOk(lab.srv, ['user', 'set', 'bobby@example.test', '--forward', 'bob@remote.test']);
  await send('sender@orig.test', 'bobby@example.test', mail({ subject: 'forward list' }));
  const [m] = await until('the forwarded copy', () => {
    const x = lab.sink.messages.filter((y) => y.to.includes('bob@remote.test'));
    return x.length ? x : null;
  });
  assert.match(m.from, SRS0);
  // mail from one of our own domains passes SPF as it is: not rewritten
  await send('carol@example.test', 'bobby@example.test', mail({ from: '<carol@example.test>', subject: 'from a local sender' }));
  const [own] = await until('the local sender forwarded', () => {
    const x = lab.sink.messages.filter((y) => y.to.includes('bob@remote.test') && /from a local sender/.test(y.raw.toString('latin1')));
    return x.length ? x : null;
  });
  assert.equal(own.from, 'carol@example.test');
});

test('two users redirecting at each other: the loop is cut and the sender gets one bounce (5.4.6)', async () => {
  cliOk(lab.srv, ['sieve', 'put', 'carol@example.test', 'r', '-', '--activate'], 'redirect "david@example.test";\n');
  cliOk(lab.srv, ['sieve', 'put', 'david@example.test', 'r', '-', '--activate'], 'redirect "carol@example.test";\n');
  await send('sender@orig.test', 'carol@example.test', mail({ subject: 'ping pong' }));
  const [dsn] = await until('the loop bounce', () => {
    const x = lab.sink.messages.filter((y) => y.to.includes('sender@orig.test') && /5\.4\.6/.test(y.raw.toString('latin1')) && /ping pong/.test(y.raw.toString('latin1')));
    return x.length ? x : null;
  });
  assert.equal(dsn.from, '');
  assert.match(dsn.raw.toString('latin1'), /forwarding loop/i);
  assert.equal(logLines(lab.srv, 'redirect-loop').length, 1);
  assert.equal(folderFiles(lab.srv, 'carol@example.test', 'INBOX').length + folderFiles(lab.srv, 'david@example.test', 'INBOX').length, 0);
});

test('a script redirecting to its own mailbox is cut at the second pass', async () => {
  cliOk(lab.srv, ['sieve', 'put', 'erin@example.test', 'self', '-', '--activate'], 'redirect "erin@example.test";\n');
  await send('sender@orig.test', 'erin@example.test', mail({ subject: 'to myself' }));
  await until('the self-loop bounce', () => lab.sink.messages.some((y) => y.to.includes('sender@orig.test') && /to myself/.test(y.raw.toString('latin1')) && /5\.4\.6/.test(y.raw.toString('latin1'))));
  assert.equal(logLines(lab.srv, 'redirect-loop', /erin@example\.test/).length, 1);
});

test('five redirects are over the per-message cap: the script fails and the message is kept, none sent', async () => {
  const targets = ['a1', 'a2', 'a3', 'a4', 'a5'].map((x) => `redirect "${x}@remote.test";`).join('\n');
  cliOk(lab.srv, ['sieve', 'put', 'frank@example.test', 'many', '-', '--activate'], targets + '\n');
  const id = await send('sender@orig.test', 'frank@example.test', mail({ subject: 'to many' }));
  await waitFolder(lab.srv, 'frank@example.test', 'INBOX', 1);
  await until('the cap in the log', () => logLines(lab.srv, 'sieve-error', new RegExp(`id=${id}\\b`)).length > 0);
  assert.equal(logLines(lab.srv, 'redirect', new RegExp(`id=${id}\\b`)).length, 0);
  assert.equal(lab.sink.messages.filter((m) => m.to.some((t) => /^a\d@remote\.test$/.test(t))).length, 0);
});

test('a redirected copy counts a hop: one that has been around too often stops at the hop limit (5.4.6)', async () => {
  cliOk(lab.srv, ['sieve', 'put', 'grace@example.test', 'on', '-', '--activate'], 'redirect "alice@example.test";\n');
  const received = Array.from({ length: 49 }, (_, i) => `Received: from hop${i}.orig.test by relay${i}.orig.test; Mon, 1 Jan 2024 00:00:00 +0000`);
  const id = await send('sender@orig.test', 'grace@example.test', [...received, mail({ subject: 'well travelled' })].join('\r\n'));
  await until('the hop-limit bounce', () => lab.sink.messages.some((y) => y.to.includes('sender@orig.test') && /well travelled/.test(y.raw.toString('latin1')) && /Too many hops/.test(y.raw.toString('latin1'))));
  assert.ok(logLines(lab.srv, 'redirect', new RegExp(`id=${id}\\b`)).length === 1);
  assert.equal(folderFiles(lab.srv, 'alice@example.test', 'INBOX').filter((f) => /well travelled/.test(fs.readFileSync(f, 'utf8'))).length, 0);
});
