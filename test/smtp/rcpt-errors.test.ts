// Address harvesting at wire speed (security review 10, left open 1): a client may have [smtp] max_rcpt_errors
// recipients refused in one connection (default 20, as Postfix's smtpd_hard_error_limit); the next refusal is
// 421 4.7.0 and the close. The count starts again after each accepted message, so an honest MTA with a few dead
// addresses in each of many messages is never cut off. Sent with Python's smtplib over a real socket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ listeners: ['smtp'], users: [{ address: 'alice@example.test', password: 'alice-pw-1' }] });
});
after(async () => {
  await srv?.stop();
});

// Each step: 'u' a RCPT to an unknown user, 'a' a RCPT to alice, 'm' a new MAIL FROM, 'd' DATA. Prints the replies
// in order, then "closed" when the server ended the connection.
const SCRIPT = `
import json, os, smtplib
s = smtplib.SMTP('127.0.0.1', int(os.environ['PORT']), timeout=120)
s.ehlo('client.remote.test')
out = []
n = 0
try:
    for step in os.environ['STEPS']:
        if step == 'm':
            out.append(s.mail('sender@remote.test')[0])
        elif step == 'u':
            n += 1
            out.append(s.rcpt(f'nobody{n}@example.test')[0])
        elif step == 'a':
            out.append(s.rcpt('alice@example.test')[0])
        elif step == 'd':
            out.append(s.data('From: <sender@remote.test>\\r\\nTo: <alice@example.test>\\r\\nSubject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\\r\\n\\r\\ntest\\r\\n'.encode())[0])
    s.quit()
except smtplib.SMTPServerDisconnected:
    out.append('closed')
print(json.dumps(out))
`;

async function steps(s: string): Promise<(number | string)[]> {
  const r = await run('python3', ['-c', SCRIPT], { env: { ...process.env, PORT: String(srv.ports.smtp), STEPS: s }, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim());
}

test('the 21st refused recipient of a connection gets 421 and the close', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const out = await steps('m' + 'u'.repeat(25));
  assert.equal(out[0], 250);
  assert.deepEqual(out.slice(1, 21), Array(20).fill(550), JSON.stringify(out));
  assert.equal(out[21], 421, JSON.stringify(out));
  assert.equal(out.at(-1), 'closed', JSON.stringify(out));
  assert.equal(out.length, 23, 'nothing answered after the 421');
});

test('an accepted message starts the count again: 15 refused in each of three messages', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const one = 'm' + 'u'.repeat(15) + 'ad';
  const out = await steps(one.repeat(3));
  assert.ok(!out.includes(421) && !out.includes('closed'), JSON.stringify(out));
  assert.equal(out.filter((c) => c === 550).length, 45);
  assert.equal(out.filter((c) => c === 250).length, 9, 'three MAIL, three RCPT alice, three DATA');
});
