// Per-account sending limits over a whole tegami (startLive: `tegami serve`'s own server on loopback ports), with
// clients we did not write: Python's smtplib on the submission port and on port 25 with AUTH, curl for JMAP's
// EmailSubmission, the real CLI for the overrides. Five simultaneous submissions against a cap of two: exactly two
// 250s, the rest 451 4.7.1, and a sixth refused at MAIL FROM; the recipient cap refuses at RCPT; a domain's default
// refuses a JMAP submission (rateLimit); the rolling window is moved by ageing the rows, as a clock would.
// Review 4 left it open: before, a stolen password sent as much as the machine could (all five got 250).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { requireCommand, run } from '../helpers/server.js';
import { startLive, type Live } from '../jmap/live.js';

const PW = 'limit-secret-pw-1';
const ALICE = 'alice@example.test';
const BOBBY = 'bobby@example.test';
const CAROL = 'carol@other.test';
const DAVID = 'david@other.test';

let live: Live;

before(async () => {
  live = await startLive({
    users: [ALICE, BOBBY, CAROL, DAVID, 'rcpt1@example.test'].map((address) => ({ address, password: PW })),
    domains: ['example.test', 'other.test'],
    toml: '[spam]\nenabled = false',
  });
  const ok = (args: string[]) => {
    const r = live.cli(args);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  ok(['user', 'limit', ALICE, '--messages-per-hour', '2']);
  ok(['user', 'limit', BOBBY, '--recipients-per-hour', '3']);
  // other.test's default: one message a day; david's own override lifts it for him
  ok(['user', 'limit', '@other.test', '--messages-per-day', '1']);
  ok(['user', 'limit', DAVID, '--messages-per-day', '0']);
});

after(async () => {
  await live?.stop();
});

const SMTP = String.raw`
import smtplib, sys, json, threading
port, user, pw, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
rcpts = sys.argv[5].split(',')
barrier = threading.Barrier(n)
out = [None] * n
def one(i):
    s = smtplib.SMTP('127.0.0.1', port, timeout=120)
    s.login(user, pw)
    msg = ('From: %s\r\nTo: %s\r\nSubject: limit %d\r\n\r\nsent %d\r\n' % (user, rcpts[0], i, i)).encode()
    barrier.wait()
    try:
        refused = s.sendmail(user, rcpts, msg)
        out[i] = [250, '', {k: [v[0], v[1].decode()] for k, v in refused.items()}]
    except smtplib.SMTPSenderRefused as e:
        out[i] = [e.smtp_code, 'MAIL ' + e.smtp_error.decode(), {}]
    except smtplib.SMTPRecipientsRefused as e:
        out[i] = [0, 'RCPT', {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}]
    except smtplib.SMTPDataError as e:
        out[i] = [e.smtp_code, 'DATA ' + e.smtp_error.decode(), {}]
    s.quit()
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps(out))
`;

type Reply = [number, string, Record<string, [number, string]>];

async function smtp(port: number, user: string, n: number, rcpts: string[]): Promise<Reply[]> {
  const r = await run('python3', ['-c', SMTP, String(port), user, PW, String(n), rcpts.join(',')], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Reply[];
}

/** Move every counted send of `address` back by `ms`, as the clock moving forward would. */
function age(address: string, ms: number): void {
  const db = new Database(path.join(live.dataDir, 'tegami.db'));
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('UPDATE send_log SET at = at - ? WHERE address = ?').run(ms, address);
  } finally {
    db.close();
  }
}

const usage = (address: string) => {
  const r = live.cli(['user', 'limit', address, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { limits: Record<string, number>; usage: Record<string, number> };
};

test('five simultaneous submissions against a cap of two: exactly two 250s, the rest 451 4.7.1; the sixth is refused at MAIL (smtplib)', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const replies = await smtp(live.ports.submission, ALICE, 5, [BOBBY]);
  const accepted = replies.filter((r) => r[0] === 250);
  assert.equal(accepted.length, 2, JSON.stringify(replies));
  for (const r of replies.filter((x) => x[0] !== 250)) {
    assert.equal(r[0], 451, JSON.stringify(r));
    assert.match(r[1], /4\.7\.1 Sending limit reached for <alice@example\.test>: 2 messages per hour/);
  }
  const [sixth] = await smtp(live.ports.submission, ALICE, 1, [BOBBY]);
  assert.equal(sixth[0], 451, JSON.stringify(sixth));
  assert.match(sixth[1], /^MAIL 4\.7\.1 Sending limit reached .* \(2 used\); try again later/);
  const u = usage(ALICE);
  assert.equal(u.limits.messagesPerHour, 2);
  assert.equal(u.usage.messagesHour, 2, 'the refused ones are not counted');
  assert.equal(u.usage.recipientsDay, 2);
  // the events are in the smtp log, and the refusals counted
  const logs = path.join(live.dataDir, 'logs');
  const text = fs.readdirSync(logs).filter((f) => f.startsWith('smtp-')).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
  assert.match(text, /send-limit.*alice@example\.test/);
  // an hour later the window has rolled: alice sends again
  age(ALICE, 3_600_001);
  const [later] = await smtp(live.ports.submission, ALICE, 1, [BOBBY]);
  assert.equal(later[0], 250, JSON.stringify(later));
  assert.equal(usage(ALICE).usage.messagesHour, 1);
  assert.equal(usage(ALICE).usage.messagesDay, 3, 'the day still counts the first two');
});

test('the recipient cap refuses at RCPT on port 25 with AUTH: three of five go, then none (smtplib)', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const five = ['rcpt1@example.test', ALICE, CAROL, DAVID, 'rcpt1@example.test'.replace('rcpt1', 'postmaster')];
  const [first] = await smtp(live.ports.smtp, BOBBY, 1, five);
  assert.equal(first[0], 250, JSON.stringify(first));
  assert.deepEqual(Object.keys(first[2]).sort(), [DAVID, 'postmaster@example.test'], JSON.stringify(first));
  for (const [code, text] of Object.values(first[2])) {
    assert.equal(code, 451);
    assert.match(text, /4\.7\.1 Sending limit reached for <bobby@example\.test>: 3 recipients per hour/);
  }
  const [next] = await smtp(live.ports.smtp, BOBBY, 1, [ALICE]);
  assert.equal(next[1], 'RCPT', JSON.stringify(next));
  assert.equal(next[2][ALICE][0], 451);
  const u = usage(BOBBY);
  assert.equal(u.usage.recipientsHour, 3);
  assert.equal(u.usage.messagesHour, 1);
});

/** One JMAP request with curl (Basic), as `user`. */
async function jmap(user: string, calls: unknown[]): Promise<[string, Record<string, unknown>, string][]> {
  const body = JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'], methodCalls: calls });
  const r = await run('curl', ['-sk', '-u', `${user}:${PW}`, '-H', 'Content-Type: application/json', '--data-binary', '@-', `https://127.0.0.1:${live.ports.web}/jmap/api`], { input: body, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { methodResponses: [string, Record<string, unknown>, string][] }).methodResponses;
}

async function jmapSend(user: string, subject: string): Promise<Record<string, unknown>> {
  const s = await run('curl', ['-sk', '-u', `${user}:${PW}`, `https://127.0.0.1:${live.ports.web}/.well-known/jmap`], { timeoutMs: 60_000 });
  const accountId = (JSON.parse(s.stdout) as { primaryAccounts: Record<string, string> }).primaryAccounts['urn:ietf:params:jmap:mail'];
  const [boxes, ids] = await jmap(user, [
    ['Mailbox/get', { accountId, ids: null, properties: ['role'] }, 'm'],
    ['Identity/get', { accountId, ids: null }, 'i'],
  ]);
  const drafts = (boxes[1].list as { id: string; role: string }[]).find((b) => b.role === 'drafts')!.id;
  const identity = (ids[1].list as { id: string }[])[0].id;
  const res = await jmap(user, [
    ['Email/set', { accountId, create: { d: { mailboxIds: { [drafts]: true }, from: [{ email: user }], to: [{ email: ALICE }], subject, bodyValues: { t: { value: '送信の上限' } }, textBody: [{ partId: 't' }] } } }, 'e'],
    ['EmailSubmission/set', { accountId, create: { s: { identityId: identity, emailId: '#d' } } }, 's'],
  ]);
  return res[1][1];
}

test("a domain's default caps JMAP EmailSubmission (rateLimit, nothing sent); an account's own override lifts it (curl)", async (t) => {
  if (!requireCommand(t, 'curl')) return;
  const first = await jmapSend(CAROL, 'jmap limit 1');
  assert.ok((first.created as Record<string, unknown>)?.s, JSON.stringify(first));
  const second = await jmapSend(CAROL, 'jmap limit 2');
  const err = (second.notCreated as Record<string, { type: string; description: string }>)?.s;
  assert.equal(err?.type, 'rateLimit', JSON.stringify(second));
  assert.match(err.description, /451 4\.7\.1 Sending limit reached for <carol@other\.test>: 1 messages per 24 hours/);
  assert.equal(usage(CAROL).usage.messagesDay, 1);
  // david is of the same domain, with "no limit" of his own
  for (const i of [1, 2]) {
    const r = await jmapSend(DAVID, `jmap unlimited ${i}`);
    assert.ok((r.created as Record<string, unknown>)?.s, JSON.stringify(r));
  }
  assert.equal(usage(DAVID).limits.messagesPerDay, 0);
});
