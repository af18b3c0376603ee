// End to end on `tegami serve`: mail accepted over SMTP is pushed to an IDLEing IMAP session (how soon after the
// SMTP 250 is a diagnostic), Japanese text in it is found by SEARCH, and the session is logged to imap-YYYYMMDD.log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from './harness.js';

const USER = 'mura@example.test';
const PASS = 'mura-pass-1';
let srv: TestServer;

before(async () => {
  // the helper returns once every listener is up (run/listeners.json)
  srv = await startTestServer({ listeners: ['smtp', 'imap', 'imaps'], users: [{ address: USER, password: PASS }] });
});
after(async () => {
  await srv.stop();
  fs.rmSync(srv.dir, { recursive: true, force: true });
});

test('SMTP delivery reaches an IDLEing IMAP session (pushed); SEARCH finds its Japanese subject', async (t) => {
  const c = await RawClient.connect(srv.ports.imap);
  await c.login(USER, PASS);
  const sel = await c.cmd('SELECT INBOX');
  assert.ok(sel.lines.includes('* 0 EXISTS'), sel.lines.join('\n'));
  c.write('i1 IDLE\r\n');
  assert.match(await c.line(), /^\+ idling/);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: srv.ports.smtp, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: 'sender@remote.test', to: USER, subject: '会議の日程について', text: '明日の会議は十時からです。' });
  const t0 = Date.now();
  // IDLE has no polling to fall back on: without the push nothing would come before this generous bound
  assert.equal(await c.line(30_000), '* 1 EXISTS');
  t.diagnostic(`EXISTS ${Date.now() - t0} ms after the SMTP reply`);
  c.write('DONE\r\n');
  await c.until('i1');
  const lit = (s: string) => `{${Buffer.byteLength(s)}+}\r\n${s}`;
  assert.deepEqual((await c.cmd(`SEARCH CHARSET UTF-8 SUBJECT ${lit('日程')}`)).lines, ['* SEARCH 1']);
  assert.deepEqual((await c.cmd(`SEARCH CHARSET UTF-8 BODY ${lit('十時')}`)).lines, ['* SEARCH 1']);
  assert.match((await c.cmd('FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).lines[0], /Subject: =\?UTF-8\?/i);
  await c.cmd('LOGOUT');
  transport.close();
  // every imap log file: the session may have been logged on the day before (a run across midnight)
  const logs = path.join(srv.dataDir, 'logs');
  const log = await srv.waitForLog('imap', /login .*user=mura@example.test/); // the log line is written at the end of the server's turn: poll for it
  assert.ok(fs.readdirSync(logs).some((f) => /^imap-\d{8}\.log$/.test(f)), 'imap-YYYYMMDD.log');
  assert.match(log, /login .*user=mura@example.test/);
  assert.ok(!log.includes(PASS));
});
