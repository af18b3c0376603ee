// The primary domain (bare logins, mail to the host name) of a server without [domains] local is the first domain
// added with `tegami domain add`, and stays so when a later domain sorts before it: adding example.jp after
// example.test once moved every bare login and the host name's mail to example.jp (found following the README).
// Shown on the real server: Python's poplib logs in with a bare user name, swaks sends to user@<hostname>.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const HOST = 'mx.zz-first.test';
let srv: TestServer;

before(async () => {
  srv = await startTestServer({ domains: [], hostname: HOST, listeners: ['smtp', 'pop3'], toml: '[spam]\nenabled = false\n' });
  for (const args of [['domain', 'add', 'zz-first.test'], ['user', 'add', 'kazuko@zz-first.test', '--password-stdin'], ['domain', 'add', 'aa-later.test']]) {
    const r = srv.cli(args, 'kazuko-pw1\n');
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});
after(async () => {
  await srv?.stop();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

it('the host name stays an alias of the first domain added, whatever sorts first', () => {
  const r = srv.cli(['domain', 'list']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${HOST.replace(/\./g, '\\.')}\\t\\(host alias of zz-first\\.test\\)$`, 'm'), r.stdout);
});

it('a bare POP3 login (Python poplib) still resolves in the first domain added', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const py = `import poplib\np = poplib.POP3('127.0.0.1', ${srv.ports.pop3}, timeout=30)\np.user('kazuko')\nprint(p.pass_('kazuko-pw1').decode())\np.quit()`;
  const r = await run('python3', ['-c', py]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^\+OK/);
});

it('mail to user@<hostname> (swaks) reaches the first domain\'s mailbox', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--from', 'someone@remote.test', '--to', `kazuko@${HOST}`, '--h-Subject', 'ホスト名宛て', '--body', 'to the host name']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const file = await srv.waitForMessage('kazuko@zz-first.test', 'to the host name', 120_000);
  assert.ok(fs.existsSync(file));
});
