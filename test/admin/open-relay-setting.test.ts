// relay.allow_ips that covers the Internet is an open relay like mode "anyone" (security review 2): a system
// admin's API change to ["0.0.0.0/0"] is refused as "open-relay" with nothing written, and swaks from 127.0.0.1 to a
// remote domain stays refused; with the explicit acknowledgement the same change is taken. A narrow list is taken.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';

const BOSS = 'boss@example.test';

describe('open relay through relay.allow_ips', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let token = '';

  async function api(method: string, url: string, body?: unknown): Promise<{ status: number; raw: string }> {
    const args = ['-sk', '-X', method, '-H', `Authorization: Bearer ${token}`, '-w', '\n%{http_code}', `https://127.0.0.1:${srv.ports.admin}${url}`];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
    const r = await run('curl', args);
    const nl = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(nl + 1)), raw: r.stdout.slice(0, nl) };
  }

  const swaks = (to: string) => run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--timeout', '30', '--from', 'alice@example.test', '--to', to, '--quit-after', 'RCPT']);

  before(async () => {
    srv = await startTestServer({ listeners: ['smtp', 'admin'], users: [{ address: BOSS, password: 'boss password 1', admin: true }, { address: 'alice@example.test', password: 'alice password 1' }] });
    const t = srv.cli(['admin', 'token', 'create', BOSS]);
    assert.equal(t.status, 0, t.stderr);
    token = t.stdout.trim();
  });
  after(async () => {
    await srv?.stop();
  });

  it('refuses 0.0.0.0/0 and ::/0 without the acknowledgement, and relaying stays denied', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'curl')) return;
    for (const wide of [['0.0.0.0/0'], ['::/0'], ['0.0.0.0/1', '128.0.0.0/1']]) {
      const r = await api('PATCH', '/api/v1/settings', { changes: { 'relay.mode': 'addresses', 'relay.allow_ips': wide } });
      assert.ok(r.status >= 400 && r.status < 500, `${wide.join(',')}: ${r.status} ${r.raw}`);
      assert.match(r.raw, /open-relay/);
    }
    const denied = await swaks('far@remote.example');
    assert.match(denied.stdout, /<\*\* 550 5\.7\.1 Relaying denied/, denied.stdout);
    const shown = await api('GET', '/api/v1/settings');
    assert.doesNotMatch(shown.raw, /0\.0\.0\.0\/0/);
  });

  it('takes a narrow list, and the wide one only with the acknowledgement', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const narrow = await api('PATCH', '/api/v1/settings', { changes: { 'relay.mode': 'addresses', 'relay.allow_ips': ['192.0.2.0/24', '10.0.0.0/8'] } });
    assert.equal(narrow.status, 200, narrow.raw);
    const ack = await api('PATCH', '/api/v1/settings', { changes: { 'relay.allow_ips': ['0.0.0.0/0'], 'relay.i_understand_this_is_an_open_relay': true } });
    assert.equal(ack.status, 200, ack.raw);
  });
});
