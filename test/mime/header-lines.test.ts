// A header section of absurd length, refused before anything parses it (engine/mime/header-lines.ts). mailauth's
// header parser (DKIM, ARC and DMARC on arrival, DKIM signing on the way out) costs the square of the number of
// header lines: a stranger's 1 MB message of folded header lines got its 250 at once and then kept a delivery
// worker busy for over six minutes (docs/security-review-6.md, finding 2). Now: smtplib on port 25 gets 552 for
// 10,001 lines and 250 for 9,000 (delivered); a logged-in user's JMAP EmailSubmission of a stored message with
// too many header lines is refused the same way; the counter is the same whatever the chunk boundaries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { accountIdOf } from '../../engine/jmap/capabilities.js';
import { HeaderLineCount, MAX_HEADER_LINES } from '../../engine/mime/header-lines.js';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { strangerSmtplib } from './stranger-smtplib.js';

const USER = 'hanako@example.test';
const PW = 'header lines password 1';

function count(text: string, chunk: number): HeaderLineCount {
  const c = new HeaderLineCount(5);
  const b = Buffer.from(text, 'latin1');
  for (let i = 0; i < b.length; i += chunk) c.feed(b.subarray(i, i + chunk));
  return c;
}

describe('the header line counter', () => {
  it('counts the lines of the header section only, whatever the chunks', () => {
    for (const chunk of [1, 2, 3, 7, 1000]) {
      assert.equal(count('A: 1\r\nB: 2\r\n\tmore\r\n\r\nbody\r\nbody\r\nbody\r\nbody\r\nbody\r\nbody\r\n', chunk).lines, 3, `chunk ${chunk}`);
      assert.equal(count('A: 1\nB: 2\n\nbody\nbody\nbody\nbody\nbody\nbody\n', chunk).lines, 2, `bare LF, chunk ${chunk}`);
      assert.equal(count('A: 1\r\n\r\r\nbody\r\n', chunk).lines, 1, `a CR-only line ends the header, chunk ${chunk}`);
      assert.equal(count('A: 1\r\n'.repeat(5) + '\r\n', chunk).over, false, `five lines, chunk ${chunk}`);
      assert.equal(count('A: 1\r\n' + ' x\r\n'.repeat(5) + '\r\n', chunk).over, true, `six lines, chunk ${chunk}`);
    }
  });

  it('counts Received: fields (the hop limit) by their name at a line start, any case, whatever the chunks', () => {
    const head = 'Received: a\r\n\tfolded Received: no\r\nRECEIVED: b\r\nX-Received: no\r\nReceived : no\r\nReceived\x1a no\r\nreceived:c\r\n\r\nReceived: body\r\n';
    for (const chunk of [1, 2, 3, 7, 1000]) {
      const c = new HeaderLineCount(100);
      const b = Buffer.from(head, 'latin1');
      for (let i = 0; i < b.length; i += chunk) c.feed(b.subarray(i, i + chunk));
      assert.equal(c.received, 3, `chunk ${chunk}`);
    }
  });
});

describe('a header section of too many lines over SMTP and JMAP', { timeout: 600_000 }, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ listeners: ['smtp', 'submission', 'webmail'], toml: '[spam]\nenabled = false', users: [{ address: USER, password: PW }] });
  });
  after(async () => {
    await s?.stop();
  });

  const py = (lines: number, subject: string) => strangerSmtplib(USER, `"Subject: ${subject}\\r\\nX-Fold: a" + "\\r\\n a" * ${lines - 4}`);

  it('port 25: 552 for one line past the limit, 250 (and delivered) below it', async (t) => {
    if (!requireCommand(t, 'python3')) return;
    const over = await run('python3', ['-c', py(MAX_HEADER_LINES + 1, 'too many'), String(s.ports.smtp)]);
    assert.equal(over.code, 0, over.stderr);
    assert.match(over.stdout, /^552 5\.3\.4 Message header section exceeds 10000 lines/);
    const fine = await run('python3', ['-c', py(9000, 'nine thousand'), String(s.ports.smtp)]);
    assert.equal(fine.stdout.trim(), '250', fine.stderr);
    await s.waitForMessage(USER, 'nine thousand', 120_000);
  });

  it('JMAP EmailSubmission of a stored message past the limit: notCreated with the 552', async () => {
    const port = s.ports.webmail;
    const call = (body: unknown, path = '/jmap/api', type = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
        const req = https.request({ host: '127.0.0.1', port, method: 'POST', path, rejectUnauthorized: false, headers: { authorization: 'Basic ' + Buffer.from(`${USER}:${PW}`).toString('base64'), 'content-type': type, 'content-length': data.length } }, (res) => {
          let out = '';
          res.on('data', (c: Buffer) => (out += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(out) as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end(data);
      });
    const accountId = accountIdOf(USER);
    const raw = Buffer.from(`From: ${USER}\r\nTo: friend@example.org\r\nSubject: folded\r\nX-Fold: a\r\n${' a\r\n'.repeat(MAX_HEADER_LINES)}\r\nbody\r\n`);
    const up = await call(raw, `/jmap/upload/${accountId}`, 'message/rfc822');
    assert.equal(up.status, 201);
    const using = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'];
    const first = await call({ using, methodCalls: [['Mailbox/get', { accountId, properties: ['role'] }, 'm'], ['Identity/get', { accountId }, 'i']] });
    const [[, mb], [, ids]] = first.json.methodResponses as [string, Record<string, unknown>, string][];
    const drafts = (mb.list as { id: string; role: string | null }[]).find((m) => m.role === 'drafts' || m.role === 'inbox')!.id;
    const identityId = (ids.list as { id: string }[])[0].id;
    const imp = await call({ using, methodCalls: [['Email/import', { accountId, emails: { e: { blobId: up.json.blobId, mailboxIds: { [drafts]: true } } } }, 'a']] });
    const emailId = ((imp.json.methodResponses as [string, Record<string, unknown>, string][])[0][1].created as Record<string, { id: string }>).e.id;
    const sub = await call({ using, methodCalls: [['EmailSubmission/set', { accountId, create: { s: { identityId, emailId } } }, 's']] });
    const [[name, args]] = sub.json.methodResponses as [string, Record<string, unknown>, string][];
    assert.equal(name, 'EmailSubmission/set');
    const err = (args.notCreated as Record<string, { type: string; description: string }> | null)?.s;
    assert.ok(err, `refused: ${JSON.stringify(args)}`);
    assert.match(err.description, /552 5\.3\.4 Message header section exceeds 10000 lines/);
  });
});
