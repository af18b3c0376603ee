// End to end on `tegami serve`: mail accepted over SMTP is seen by an IDLEing IMAP session within a second of
// the SMTP 250, Japanese text in it is found by SEARCH, and the session is logged to imap-YYYYMMDD.log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { localDay } from '../../engine/log/logger.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from './harness.js';

const USER = 'mura@example.test';
const PASS = 'mura-pass-1';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({ listeners: ['smtp', 'imap', 'imaps'], users: [{ address: USER, password: PASS }] });
  // the helper waits for the first listener only
  for (let i = 0; i < 200; i++) {
    try {
      (await RawClient.connect(srv.ports.imaps, { tls: true })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`IMAP listeners did not start: ${srv.output().slice(-2000)}`);
});
after(async () => {
  await srv.stop();
  fs.rmSync(srv.dir, { recursive: true, force: true });
});

test('SMTP delivery reaches an IDLEing IMAP session within a second; SEARCH finds its Japanese subject', async (t) => {
  const c = await RawClient.connect(srv.ports.imap);
  await c.login(USER, PASS);
  const sel = await c.cmd('SELECT INBOX');
  assert.ok(sel.lines.includes('* 0 EXISTS'), sel.lines.join('\n'));
  c.write('i1 IDLE\r\n');
  assert.match(await c.line(), /^\+ idling/);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: srv.ports.smtp, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: 'sender@remote.test', to: USER, subject: '会議の日程について', text: '明日の会議は十時からです。' });
  const t0 = Date.now();
  assert.equal(await c.line(3000), '* 1 EXISTS');
  const ms = Date.now() - t0;
  assert.ok(ms < 1000, `EXISTS after ${ms} ms`);
  t.diagnostic(`EXISTS ${ms} ms after the SMTP reply`);
  c.write('DONE\r\n');
  await c.until('i1');
  const lit = (s: string) => `{${Buffer.byteLength(s)}+}\r\n${s}`;
  assert.deepEqual((await c.cmd(`SEARCH CHARSET UTF-8 SUBJECT ${lit('日程')}`)).lines, ['* SEARCH 1']);
  assert.deepEqual((await c.cmd(`SEARCH CHARSET UTF-8 BODY ${lit('十時')}`)).lines, ['* SEARCH 1']);
  assert.match((await c.cmd('FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).lines[0], /Subject: =\?UTF-8\?/i);
  await c.cmd('LOGOUT');
  transport.close();
  const log = fs.readFileSync(path.join(srv.dataDir, 'logs', `imap-${localDay(new Date())}.log`), 'utf8');
  assert.match(log, /login .*user=mura@example.test/);
  assert.ok(!log.includes(PASS));
});
