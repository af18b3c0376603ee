// The hop limit at the end of DATA (security review 8, left open 2): a message whose header has 50 or more
// Received: fields is refused with 554 5.4.6 before the 250, counted on the header lines the session already reads,
// so an honest looping MTA hears it at once and nothing is stored, queued or bounced; 49 fields are taken. Sent with
// Python's smtplib over a real socket; the field name is matched in any case and across the client's line breaks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ listeners: ['smtp'], users: [{ address: 'alice@example.test', password: 'alice-pw-1' }] });
});
after(async () => {
  await srv?.stop();
});

const SCRIPT = `
import json, os, smtplib
n = int(os.environ['HOPS'])
hops = ''.join(f'{"RECEIVED" if i % 2 else "Received"}: from hop{i}.remote.test by hop{i + 1}.remote.test; Mon, 1 Jan 2024 00:00:00 +0000\\r\\n' for i in range(n))
msg = hops + 'From: <sender@remote.test>\\r\\nTo: <alice@example.test>\\r\\nSubject: ' + os.environ['SUBJECT'] + '\\r\\n\\r\\n本文です。\\r\\n'
s = smtplib.SMTP('127.0.0.1', int(os.environ['PORT']), timeout=120)
s.ehlo('client.remote.test')
s.mail('sender@remote.test')
s.rcpt('alice@example.test')
code, text = s.data(msg.encode('utf-8'))
s.quit()
print(json.dumps({'code': code, 'text': text.decode()}))
`;

async function send(hops: number, subject: string): Promise<{ code: number; text: string }> {
  const r = await run('python3', ['-c', SCRIPT], { env: { ...process.env, PORT: String(srv.ports.smtp), HOPS: String(hops), SUBJECT: subject }, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim());
}

function queueFiles(): string[] {
  const dir = path.join(srv.dataDir, 'queue');
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : [];
}

test('50 Received: fields: 554 5.4.6 at the end of DATA, nothing stored or queued; 49: 250 and delivered', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const refused = await send(50, 'fifty hops');
  assert.equal(refused.code, 554, refused.text);
  assert.match(refused.text, /^5\.4\.6 Too many hops \(50 Received: fields\)/);
  const more = await send(80, 'eighty hops');
  assert.equal(more.code, 554, more.text);

  const taken = await send(49, 'forty-nine hops');
  assert.equal(taken.code, 250, taken.text);
  const files = await srv.waitForMail('alice@example.test', 1, 120_000);
  assert.equal(files.length, 1);
  assert.match(fs.readFileSync(files[0], 'utf8'), /forty-nine hops/);
  // the refused ones: nowhere (no mailbox, no queue file, no bounce to the sender, no hop failure after a 250)
  assert.deepEqual(queueFiles(), []);
  await srv.waitForLog('smtp', / queued sid=/); // log lines are written in batches
  const log = await srv.waitForLog('smtp', /verdict=reject reason="too many hops" hops=50 limit=50/);
  assert.equal((log.match(/ queued sid=/g) ?? []).length, 1, 'only the 49-hop message was queued');
  const logs = path.join(srv.dataDir, 'logs');
  const all = fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('');
  assert.doesNotMatch(all, /Too many hops \(\d+ Received: fields\): mail forwarding loop/, 'no hop failure after a 250');
  assert.equal(srv.maildir('alice@example.test').length, 1);
});
