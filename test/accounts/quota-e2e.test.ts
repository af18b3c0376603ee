// Quotas enforced at delivery, over real sockets with swaks and poplib: a mailbox at its message limit answers
// RCPT with 452 4.2.2 (decided before the 250, the client keeps the message); POP3 STAT still works on it, and
// once poplib deletes one, mail is taken again. A message that passes RCPT but does not fit is deferred (4.2.2)
// and bounced to the sender with a DSN when it is still full at the queue lifetime; one larger than the whole
// quota is bounced at once (5.2.3). `tegami user list --json` shows the usage.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { python, readAll, until } from './helpers.js';

const PW = 'secret-pw1';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({
    listeners: ['smtp', 'pop3'],
    users: ['alice', 'full', 'small'].map((n) => ({ address: `${n}@example.test`, password: PW })),
    toml: '[queue]\nretry_schedule = ["1s"]\nmax_queue_lifetime = "4s"\ndelay_warning = "1h"\n[spam]\nenabled = false\n',
  });
  assert.equal(srv.cli(['user', 'set', 'full@example.test', '--quota-messages', '2']).status, 0);
  assert.equal(srv.cli(['user', 'set', 'small@example.test', '--quota', '6K']).status, 0);
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

async function swaks(to: string, subject: string, bodyBytes = 100): Promise<string> {
  const body = 'あ'.repeat(Math.floor(bodyBytes / 3));
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'alice@example.test', '--to', to, '--h-Subject', subject, '--body', body]);
  return r.stdout + r.stderr;
}

function usage(address: string): { bytes: number; messages: number } {
  const users = JSON.parse(srv.cli(['user', 'list', '--json']).stdout) as { address: string; usage: { bytes: number; messages: number } }[];
  return users.find((u) => u.address === address)!.usage;
}

describe('a mailbox at its message limit', () => {
  it('answers RCPT with 452 4.2.2; POP3 STAT still works; after a DELE over POP3 it takes mail again', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'python3')) return;
    for (const s of ['one', 'two']) assert.match(await swaks('full@example.test', s), /<- {1,2}250 .*queued/i);
    await srv.waitForMail('full@example.test', 2, 120_000);
    const sizes = srv.maildir('full@example.test').reduce((n, f) => n + fs.statSync(f).size, 0);
    assert.deepEqual(usage('full@example.test'), { bytes: sizes, messages: 2 });
    const refused = await swaks('full@example.test', 'three');
    assert.match(refused, /<\*\* +452 4\.2\.2 <full@example\.test>: Mailbox full, try again later/, refused);
    assert.doesNotMatch(refused, /-> DATA/, 'no recipient left: no DATA');
    const pop = (await python(
      [
        'import poplib, json',
        `p = poplib.POP3('127.0.0.1', ${srv.ports.pop3}, timeout=30)`,
        `p.user('full@example.test'); p.pass_(${JSON.stringify(PW)})`,
        'stat = p.stat()',
        'p.dele(1); p.quit()',
        'print(json.dumps(stat))',
      ].join('\n'),
    )) as [number, number];
    assert.equal(pop[0], 2, 'STAT counts the messages of a full mailbox');
    assert.ok(pop[1] > 0);
    assert.equal(usage('full@example.test').messages, 1, 'the deletion is counted');
    assert.match(await swaks('full@example.test', 'four'), /<- {1,2}250 .*queued/i);
    await until('message four', () => srv.maildir('full@example.test').some((f) => /Subject: four/.test(fs.readFileSync(f, 'utf8'))));
  });
});

describe('a message that does not fit after RCPT', () => {
  it('is deferred with 4.2.2 and bounced to the sender with a DSN at the queue lifetime', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    assert.match(await swaks('small@example.test', 'fits', 3000), /<- {1,2}250 /);
    await srv.waitForMail('small@example.test', 1, 120_000);
    const accepted = await swaks('small@example.test', 'does not fit', 4000);
    assert.match(accepted, /<- {1,2}250 .*queued/i, 'accepted: the mailbox had room at RCPT time');
    // the deferral as the delivery log records it: the message is in the queue only until its 4 s lifetime ends,
    // shorter than a `queue list` poll can be on a busy machine
    await srv.waitForLog('delivery', /deferred id=\S+ rcpt=small@example\.test [^\n]*4\.2\.2 Mailbox full[^\n]* attempts=1 /);
    const dsn = await until('the DSN', () => readAll(srv.maildir('alice@example.test')).find((m) => /multipart\/report/.test(m) && /^Action: failed/m.test(m) && /does not fit/.test(m)));
    assert.match(dsn, /^Final-Recipient: rfc822; small@example\.test/m);
    assert.match(dsn, /^Status: 4\.4\.7/m, 'expired in the queue');
    assert.match(dsn, /Mailbox full/, 'the last error is quoted');
    assert.equal(srv.maildir('small@example.test').length, 1, 'never delivered');
  });

  it('a message larger than the whole quota is bounced at once with 5.2.3', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    assert.match(await swaks('small@example.test', 'far too big', 7000), /<- {1,2}250 /);
    const dsn = await until('the bounce', () => readAll(srv.maildir('alice@example.test')).find((m) => /multipart\/report/.test(m) && /far too big/.test(m)));
    assert.match(dsn, /^Status: 5\.2\.3/m);
    assert.match(dsn, /larger than the mailbox quota/);
  });
});
