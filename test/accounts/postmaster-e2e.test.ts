// postmaster@ and root@ end to end (A5), with swaks: on every local domain, root@ is postmaster@; mail to them
// lands in the mailbox of [accounts] postmaster; when that account is disabled, in the first system admin's; when
// there is none, in a postmaster mailbox of its own. Never refused at RCPT, whatever the accounts' state.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { readAll, until } from './helpers.js';

let srv: TestServer;

before(async () => {
  srv = await startTestServer({
    domains: ['example.test', 'other.test'],
    users: [
      { address: 'chief@example.test', password: 'secret-pw1' },
      { address: 'boss@other.test', password: 'secret-pw1', admin: true },
    ],
    toml: '[accounts]\npostmaster = "chief@example.test"\n[spam]\nenabled = false\n',
  });
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

async function send(to: string, subject: string): Promise<void> {
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'someone@remote.test', '--to', to, '--h-Subject', subject, '--body', 'ポストマスター宛て']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /<- {1,2}250 .*queued/i);
}

const landed = (owner: string, subject: string) => until(`${subject} in ${owner}`, () => readAll(srv.maildir(owner)).some((m) => m.includes(`Subject: ${subject}\r\n`)));

describe('postmaster and root', () => {
  it('go to [accounts] postmaster, on every domain, root@ as postmaster@, and the bare postmaster too', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    await send('postmaster@other.test', 'pm other');
    await send('root@example.test', 'root example');
    await send('ROOT@other.test', 'root other');
    await send('postmaster', 'bare');
    for (const s of ['pm other', 'root example', 'root other', 'bare']) await landed('chief@example.test', s);
    assert.deepEqual(srv.maildir('boss@other.test'), []);
  });

  it('pass over a disabled [accounts] postmaster to the first system admin, then to a mailbox of their own', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    assert.equal(srv.cli(['user', 'set', 'chief@example.test', '--disabled']).status, 0);
    await send('root@other.test', 'to the admin');
    await landed('boss@other.test', 'to the admin');
    assert.equal(srv.cli(['user', 'set', 'boss@other.test', '--no-system-admin']).status, 0);
    await send('root@other.test', 'kept here');
    await send('postmaster@example.test', 'kept here too');
    await landed('postmaster@other.test', 'kept here');
    await landed('postmaster@example.test', 'kept here too');
    assert.ok(!readAll(srv.maildir('chief@example.test')).some((m) => m.includes('kept here')), 'a disabled account gets nothing');
  });
});
