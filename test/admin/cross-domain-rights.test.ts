// A host admin of one domain must not become the admin of another through an account of its own domain that holds
// that other domain's (or list's) right (security review 3): setting its password (then logging in as it), its
// forward, disabling or deleting it is refused with 403 over the admin API (curl with a bearer token), the account's
// IMAP password (Python's imaplib) stays the old one, and the admin of both domains may still do it all.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const HOST = 'hosta@example.test'; // host admin of example.test only
const OPS = 'itops@example.test'; // a mailbox in example.test, host admin of other.test
const MOD = 'moder@example.test'; // a mailbox in example.test, list admin of news@other.test
const BOTH = 'both-admin@example.test'; // host admin of both domains
const pwOf = (address: string) => `pw ${address.split('@')[0]} 1`;

describe('an account holding rights beyond the caller\'s', { timeout: 180_000 }, () => {
  let srv: TestServer;
  const tokens: Record<string, string> = {};

  async function api(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; raw: string }> {
    const args = ['-sk', '-X', method, '-H', `Authorization: Bearer ${tokens[who]}`, '-w', '\n%{http_code}', `https://127.0.0.1:${srv.ports.admin}${url}`];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
    const r = await run('curl', args);
    const nl = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(nl + 1)), raw: r.stdout.slice(0, nl) };
  }

  const imapLogin = (user: string, password: string) =>
    run('python3', ['-c', 'import imaplib,sys\nc=imaplib.IMAP4("127.0.0.1",int(sys.argv[1]))\ntry:\n  c.login(sys.argv[2],sys.argv[3]); print("OK")\nexcept imaplib.IMAP4.error as e: print("NO", e)', String(srv.ports.imap), user, password]);

  before(async () => {
    srv = await startTestServer({
      domains: ['example.test', 'other.test'],
      listeners: ['smtp', 'imap', 'admin'],
      users: [HOST, OPS, MOD, BOTH].map((address) => ({ address, password: pwOf(address) })),
    });
    const cli = (args: string[]) => {
      const r = srv.cli(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    cli(['list', 'create', 'news@other.test']);
    cli(['user', 'set', HOST, '--host-admin', 'example.test']);
    cli(['user', 'set', OPS, '--host-admin', 'other.test']);
    cli(['user', 'set', MOD, '--list-admin', 'news@other.test']);
    cli(['user', 'set', BOTH, '--host-admin', 'example.test', '--host-admin', 'other.test']);
    for (const who of [HOST, BOTH]) tokens[who] = cli(['admin', 'token', 'create', who]);
  });
  after(async () => {
    await srv?.stop();
  });

  it('the host admin of example.test cannot set the password, forward, state of an account that administers other.test or one of its lists', async (t) => {
    if (!requireCommand(t, 'curl') || !requireCommand(t, 'python3')) return;
    for (const target of [OPS, MOD]) {
      const pw = await api(HOST, 'POST', `/api/v1/users/${target}/password`, { password: 'taken over 123' });
      assert.equal(pw.status, 403, `${target} password: ${pw.status} ${pw.raw}`);
      assert.match(pw.raw, /protected-rights/);
      const fwd = await api(HOST, 'PATCH', `/api/v1/users/${target}`, { forward: ['spy@remote.test'] });
      assert.equal(fwd.status, 403, `${target} forward: ${fwd.raw}`);
      const off = await api(HOST, 'PATCH', `/api/v1/users/${target}`, { disabled: true });
      assert.equal(off.status, 403, `${target} disable: ${off.raw}`);
      const del = await api(HOST, 'DELETE', `/api/v1/users/${target}`);
      assert.equal(del.status, 403, `${target} delete: ${del.raw}`);
      const shown = await api(HOST, 'GET', `/api/v1/users/${target}`);
      assert.equal(shown.status, 200, 'still listed and shown to the admin of its domain');
      assert.doesNotMatch(shown.raw, /spy@remote\.test/);
      assert.match((await imapLogin(target, pwOf(target))).stdout, /^OK/, 'the old password still works');
      assert.match((await imapLogin(target, 'taken over 123')).stdout, /^NO/);
    }
    // an ordinary account of its domain is still its to manage
    const plain = await api(HOST, 'POST', '/api/v1/users', { address: 'plain@example.test', password: 'plain password 1' });
    assert.equal(plain.status, 201, plain.raw);
    assert.equal((await api(HOST, 'POST', '/api/v1/users/plain@example.test/password', { password: 'plain password 2' })).status, 204);
  });

  it('the admin of both domains (and of the list\'s domain) may', async (t) => {
    if (!requireCommand(t, 'curl') || !requireCommand(t, 'python3')) return;
    const pw = await api(BOTH, 'POST', `/api/v1/users/${OPS}/password`, { password: 'rotated by both 1' });
    assert.equal(pw.status, 204, pw.raw);
    assert.match((await imapLogin(OPS, 'rotated by both 1')).stdout, /^OK/);
    const fwd = await api(BOTH, 'PATCH', `/api/v1/users/${MOD}`, { fullName: 'モデレーター' });
    assert.equal(fwd.status, 200, fwd.raw);
  });
});
