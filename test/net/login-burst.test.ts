// A burst of logins fired at once from one address (security review 8, "every login path"): an attempt past the
// throttle's gate counts as in flight against the client's and the account's budgets until it is decided, so 60
// attempts at once over IMAP, POP3 and submission (Python's imaplib, poplib, smtplib; test/net/login_burst.py) get
// what the same attempts spaced would: on one fresh account at most account_throttle_after + 2 are checked (the
// rest of the account's turns are taken), over many names at most block_after; every other attempt gets the
// protocol's usual "try again later", with the same texts for a real and an unknown name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { requireCommand, ROOT, run, startTestServer, type TestServer } from '../helpers/server.js';

const TARO = 'taro@example.test';
/** [auth] defaults that decide the answers (engine/config/schema.ts). */
const ACCOUNT_THROTTLE_AFTER = 10;
const BLOCK_AFTER = 50;

interface Answer {
  proto: 'imap' | 'pop3' | 'smtp';
  login: string;
  reply: string;
}

/** The answer's kind: the credentials were checked (and found wrong), or the client was told to come back later. */
function kind(a: Answer): 'checked' | 'later' | 'other' {
  if (/AUTHENTICATIONFAILED|^-ERR \[AUTH\]|^535 /.test(a.reply)) return 'checked';
  if (/\[UNAVAILABLE\].*try again later|^-ERR \[SYS\/TEMP\].*try again later|^454 4\.7\.0 .*try again later/.test(a.reply)) return 'later';
  return 'other';
}

async function burst(srv: TestServer, from: string, logins: string[]): Promise<Answer[]> {
  const r = await run('python3', [path.join(ROOT, 'test/net/login_burst.py'), from, String(srv.ports.imap), String(srv.ports.pop3), String(srv.ports.submission), 'wrong-guess-1', ...logins], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Answer);
  assert.equal(answers.length, logins.length);
  for (const a of answers) assert.notEqual(kind(a), 'other', JSON.stringify(a));
  return answers;
}

/** The distinct reply texts per protocol and kind of answer (what a client can tell apart). */
function texts(answers: Answer[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const a of answers) {
    const k = `${a.proto} ${kind(a)}`;
    m.set(k, (m.get(k) ?? new Set()).add(a.reply.replace(/^b['"]|['"]$/g, '')));
  }
  return m;
}

describe('a burst of logins from one address', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ listeners: ['submission', 'pop3', 'imap'], users: [{ address: TARO, password: 'taro-pw-1' }] });
  });
  after(async () => {
    await srv.stop();
  });

  it('60 at once on one fresh account: at most account_throttle_after + 2 checked, the rest "try again later", alike for a real and an unknown name', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const real = await burst(srv, '127.0.0.2', Array(60).fill(TARO));
    const unknown = await burst(srv, '127.0.0.3', Array(60).fill('nobody77@example.test'));
    for (const [name, answers] of [['real', real], ['unknown', unknown]] as const) {
      const checked = answers.filter((a) => kind(a) === 'checked').length;
      t.diagnostic(`${name}: ${checked} of 60 checked`);
      assert.ok(checked >= 1 && checked <= ACCOUNT_THROTTLE_AFTER + 2, `${name}: ${checked} of 60 checked`);
      assert.equal(answers.filter((a) => kind(a) === 'later').length, 60 - checked);
    }
    // one text per protocol and kind over both bursts: the wording never tells a real name from an unknown one
    for (const [k, v] of texts([...real, ...unknown])) assert.equal(v.size, 1, `${k}: ${[...v].join(' | ')}`);
  });

  it('60 at once over 60 names: at most block_after checked, the rest "try again later"', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const answers = await burst(srv, '127.0.0.4', Array.from({ length: 60 }, (_, i) => `guess${i}@example.test`));
    const checked = answers.filter((a) => kind(a) === 'checked').length;
    t.diagnostic(`${checked} of 60 checked`);
    assert.ok(checked >= 1 && checked <= BLOCK_AFTER, `${checked} of 60 checked`);
    assert.equal(answers.filter((a) => kind(a) === 'later').length, 60 - checked);
  });
});
