// RCPT reads the recipient's account from a cache kept while tegami.db is unchanged (engine/db/read-cache.ts):
// an account the operator adds, disables, enables or aliases with the CLI while the server runs (another process,
// another connection) is answered as it now is at the very next RCPT, never from what was read before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.js';
import { mail, smtpSend } from '../sieve/e2e-helpers.js';

test('RCPT follows account changes made with the CLI while the server runs', async () => {
  const srv = await startTestServer({ listeners: ['smtp'], users: [{ address: 'alice@example.test', password: 'secret-pass-1' }] });
  const send = (to: string) => smtpSend(srv.ports.smtp, 'someone@remote.test', [to], mail({ to, subject: `to ${to}` }));
  const cli = (args: string[], input?: string) => {
    const r = srv.cli(args, input);
    assert.equal(r.status, 0, r.stderr);
  };
  try {
    // read (and cached) as unknown, then added
    assert.deepEqual([(await send('bobby@example.test')).code, (await send('bobby@example.test')).stage], [550, 'rcpt']);
    cli(['user', 'add', 'bobby@example.test', '--password-stdin'], 'secret-pass-2\n');
    assert.equal((await send('bobby@example.test')).code, 250);
    // read (and cached) as a mailbox, then disabled: refused like an unknown user; enabled again: taken
    cli(['user', 'set', 'bobby@example.test', '--disabled']);
    assert.deepEqual([(await send('bobby@example.test')).code], [550]);
    cli(['user', 'set', 'bobby@example.test', '--enabled']);
    assert.equal((await send('bobby@example.test')).code, 250);
    // an alias made after its address was refused
    assert.equal((await send('info@example.test')).code, 550);
    cli(['alias', 'add', 'info@example.test', 'alice@example.test']);
    assert.equal((await send('info@example.test')).code, 250);
    await srv.waitForMessage('alice@example.test', 'to info@example.test', 120_000);
  } finally {
    await srv.stop();
  }
});
