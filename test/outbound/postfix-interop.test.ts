// Interop with a real Postfix (Debian package, private instance on a high loopback port, relay for its
// test domain): tegami delivers to it by MX through the stand-in DNS, and the message lands in Postfix's
// Maildir with our Received header and DKIM signature intact; a recipient Postfix does not know bounces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startPostfix } from '../../lab/targets/postfix.js';
import { requirePostfix } from '../helpers/server.js';
import { message, queueList, readMail, setup, submit, until } from './helpers.js';

test('delivers to a real Postfix found by MX; an unknown recipient there bounces with its reply', async (t) => {
  if (!requirePostfix(t)) return;
  const pf = await startPostfix({ domain: 'pf.test', users: ['carol@pf.test'] });
  const s = await setup({
    mxPort: pf.port,
    records: [
      { name: 'pf.test', type: 'MX', data: '10 mx.pf.test' },
      { name: 'mx.pf.test', type: 'A', data: '127.0.0.1' },
    ],
    toml: '[queue]\nretry_schedule = ["1s"]\n',
  });
  try {
    assert.equal(s.srv.cli(['dkim', 'keygen', 'example.test']).status, 0);
    const r = await submit(s.srv.ports.smtp, 'alice@example.test', ['carol@pf.test', 'nobody@pf.test'], message('alice@example.test', 'carol@pf.test', 'to postfix', 'Hello Postfix.\r\n'));
    assert.equal(r.code, 250);
    const dir = pf.maildir!('carol@pf.test');
    const files = await until('message in the Postfix Maildir', () => {
      const f = path.join(dir, 'new');
      return fs.existsSync(f) && fs.readdirSync(f).length ? fs.readdirSync(f).map((n) => path.join(f, n)) : null;
    }, 60_000, 200);
    const [got] = readMail(files);
    assert.match(got, /Subject: to postfix/);
    assert.match(got, /by mx\.example\.test \(tegami\)/);
    assert.match(got, /DKIM-Signature: /);
    // Postfix refuses the unknown recipient at RCPT (550 5.1.1 ... User unknown): bounce to alice
    const bounce = await until('bounce', () => readMail(s.srv.maildir('alice@example.test')).find((x) => /nobody@pf\.test/.test(x)), 120_000);
    assert.match(bounce, /Action: failed/);
    assert.match(bounce, /550 5\.1\.1 <nobody@pf\.test>: Recipient address rejected/);
    assert.match(bounce, /Remote-MTA: dns; mx\.pf\.test/);
    await until('queue empty', async () => (await queueList(s.srv)).length === 0);
  } finally {
    await s.close();
    await pf.stop();
  }
});
