// Local permanent failures found after acceptance are bounced to the sender (never dropped silently);
// a disabled mailbox is refused at RCPT time exactly as an unknown one is (an outsider cannot tell them apart).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ehlo } from '../helpers/smtp-client.js';

describe('local failures', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ users: [{ address: 'alice@example.test', password: 'secret123' }, { address: 'gone@example.test', password: 'secret123' }] });
    assert.equal(srv.cli(['alias', 'add', 'loop1@example.test', 'loop2@example.test']).status, 0);
    assert.equal(srv.cli(['alias', 'add', 'loop2@example.test', 'loop1@example.test']).status, 0);
    assert.equal(srv.cli(['user', 'set', 'gone@example.test', '--disabled']).status, 0);
  });
  after(async () => {
    await srv.stop();
  });

  it('an alias loop is bounced to the sender with 5.4.6', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    assert.equal((await c.cmd('MAIL FROM:<alice@example.test>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<loop1@example.test>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    assert.equal((await c.cmd('Subject: round and round\r\n\r\nhello\r\n.')).code, 250);
    c.close();
    const files = await srv.waitForMail('alice@example.test', 1);
    const dsn = fs.readFileSync(files[0], 'utf8');
    assert.match(dsn, /Return-Path: <>/);
    assert.match(dsn, /multipart\/report; report-type=delivery-status/i);
    assert.match(dsn, /Status: 5\.4\.6/);
    assert.match(dsn, /loop1@example\.test/);
  });

  it('a disabled mailbox is refused at RCPT with the same reply as an unknown user (550 5.1.1)', async () => {
    const { c } = await ehlo(srv.ports.smtp);
    assert.equal((await c.cmd('MAIL FROM:<x@remote.test>')).code, 250);
    const disabled = await c.cmd('RCPT TO:<gone@example.test>');
    const unknown = await c.cmd('RCPT TO:<nosuch@example.test>');
    assert.match(disabled.text, /^550 5\.1\.1 /);
    assert.equal(disabled.text.replace('gone@', 'X@'), unknown.text.replace('nosuch@', 'X@'), 'the two replies differ only in the address');
    c.close();
  });
});
