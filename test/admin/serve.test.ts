// The administration in a real `tegami serve` ([listen] admin on port 0, read back from run/listeners.json),
// driven with curl and an API token made by `tegami admin token create`, with mail sent by swaks:
// - HTTPS only: plain HTTP on the port gets no HTTP answer; the anonymous start page ends at the login page;
// - a spam threshold changed through the API judges the very next message (worker threads reload), and the
//   relay setting opens relaying from 127.0.0.1 without a restart;
// - a queued message is held and released through the API, the scheduler seeing it;
// - settings survive a restart and are in the backup the API streams;
// - a settings change keeps SRS (bounces to our SRS addresses are still taken at RCPT TO);
// - failed logins on the admin page count in the throttle IMAP uses (one LoginFlow in serve): imaplib is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { Srs } from '../../engine/srs/srs.js';
import { loadOrCreateSecret } from '../../engine/srs/secret.js';

const BOSS = 'boss@example.test';
// a watched service that is never there (a closed loopback port): the monitor reports it down
const MONITOR = ['[[monitor]]', 'name = "gone-peer"', 'check = "tcp"', 'target = "127.0.0.1:9"', 'interval = "300ms"', 'timeout = "1s"', 'failures = 1'].join('\n');

describe('admin server in tegami serve', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let token = '';
  const base = () => `https://127.0.0.1:${srv.ports.admin}`;

  async function api(method: string, url: string, body?: unknown): Promise<{ status: number; json: any; raw: string }> {
    const args = ['-sk', '-X', method, '-H', `Authorization: Bearer ${token}`, '-w', '\n%{http_code}', `${base()}${url}`];
    if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
    const r = await run('curl', args);
    const nl = r.stdout.lastIndexOf('\n');
    const raw = r.stdout.slice(0, nl);
    let json: unknown = null;
    try {
      json = JSON.parse(raw);
    } catch {
      /* not JSON */
    }
    return { status: Number(r.stdout.slice(nl + 1)), json, raw };
  }

  async function swaks(args: string[]): Promise<{ code: number | null; stdout: string }> {
    return run('swaks', ['--server', '127.0.0.1', '--port', String(srv.ports.smtp), '--timeout', '30', ...args]);
  }

  before(async () => {
    srv = await startTestServer({ listeners: ['smtp', 'admin', 'imap'], toml: '[auth]\nthrottle_after = 100\nblock_after = 4\nblock_for = 600\n' + MONITOR, users: [{ address: BOSS, password: 'boss password 1', admin: true }, { address: 'alice@example.test', password: 'alice password 1' }] });
    const t = srv.cli(['admin', 'token', 'create', BOSS]);
    assert.equal(t.status, 0, t.stderr);
    token = t.stdout.trim();
  });
  after(async () => {
    await srv?.stop();
  });

  it('speaks HTTPS only, and an anonymous GET / ends at the login page', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    assert.ok(srv.ports.admin > 0, 'the admin port is in run/listeners.json');
    const plain = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', `http://127.0.0.1:${srv.ports.admin}/`]);
    assert.equal(plain.stdout, '000', 'no HTTP answer on plain HTTP');
    const r = await run('curl', ['-sk', '-L', '-o', '/dev/null', '-w', '%{http_code} %{url_effective}', `${base()}/`]);
    assert.match(r.stdout, /^200 https:\/\/127\.0\.0\.1:\d+\/login$/);
    const st = await api('GET', '/api/v1/status');
    assert.equal(st.status, 200);
    // the server's Prometheus metrics, for an admin token over HTTPS (the metrics listener stays on loopback)
    const m = await api('GET', '/api/v1/metrics');
    assert.equal(m.status, 200);
    assert.match(m.raw, /^# HELP tegami_messages_total /m);
    const dash = await api('GET', '/api/v1/dashboard');
    assert.deepEqual(dash.json.listeners.map((l: { name: string }) => l.name).sort(), ['admin', 'imap', 'smtp']);
    assert.ok(dash.json.listeners.every((l: { up: boolean }) => l.up), JSON.stringify(dash.json.listeners));
  });

  it('the dashboard shows what the operations report: the monitor\'s targets with their state, the queue snapshot', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const deadline = Date.now() + 30_000;
    let dash = await api('GET', '/api/v1/dashboard');
    while (dash.json?.monitor?.[0]?.state !== 'down' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      dash = await api('GET', '/api/v1/dashboard');
    }
    assert.equal(dash.status, 200);
    assert.deepEqual(dash.json.monitor.map((m: { name: string; check: string; address: string; state: string }) => [m.name, m.check, m.address, m.state]), [['gone-peer', 'tcp', '127.0.0.1:9', 'down']]);
    // the same figures as `tegami status` (the control socket's ops.status())
    const status = srv.cli(['status', '--json']);
    assert.equal(status.status, 0, status.stderr);
    const doc = JSON.parse(status.stdout) as { queue: { total: number }; monitor: { name: string }[] };
    assert.equal(dash.json.queue.messages, doc.queue.total);
    assert.deepEqual(doc.monitor.map((m) => m.name), ['gone-peer']);
    // and the page, in Japanese
    const jar = path.join(srv.dataDir, 'cookies-dash.txt');
    await run('curl', ['-sk', '-c', jar, '-b', jar, '-o', '/dev/null', `${base()}/login`]);
    const login = await run('curl', ['-sk', '-c', jar, '-b', jar, `${base()}/login`]);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.stdout)?.[1] ?? '';
    await run('curl', ['-sk', '-c', jar, '-b', jar, '-o', '/dev/null', '--data-urlencode', `_csrf=${csrf}`, '--data-urlencode', `login=${BOSS}`, '--data-urlencode', 'password=boss password 1', `${base()}/login`]);
    const page = await run('curl', ['-sk', '-c', jar, '-b', jar, '-H', 'Accept-Language: ja', `${base()}/`]);
    assert.match(page.stdout, /<tr data-target="gone-peer" data-state="down">/);
    assert.match(page.stdout, /監視対象/);
  });

  it('judges the next message by a spam threshold changed in the API', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'curl')) return;
    const set = await api('PATCH', '/api/v1/settings', { changes: { 'spam.phrases': ['限定セール'], 'spam.spam_threshold': 6 } });
    assert.equal(set.status, 200, set.raw);
    const first = await swaks(['--from', 'shop@sender.example', '--to', 'alice@example.test', '--header', 'Subject: threshold-six', '--body', '本日限定セールのお知らせです。']);
    assert.equal(first.code, 0, first.stdout);
    const inbox = fs.readFileSync(await srv.waitForMessage('alice@example.test', 'threshold-six', 120_000), 'utf8');
    assert.match(inbox, /X-Tegami-Spam-Status: score=5(\.0)? threshold=6(\.0)? verdict=ham/, 'PHRASE (5) is under the threshold of 6');
    const lower = await api('PATCH', '/api/v1/settings', { changes: { 'spam.spam_threshold': 4 } });
    assert.equal(lower.status, 200, lower.raw);
    const second = await swaks(['--from', 'shop@sender.example', '--to', 'alice@example.test', '--header', 'Subject: threshold-four', '--body', '本日限定セールのお知らせです。']);
    assert.equal(second.code, 0, second.stdout);
    const spam = fs.readFileSync(await srv.waitForMessage('alice@example.test', 'threshold-four', 120_000, 'Spam'), 'utf8');
    assert.match(spam, /X-IMAIL-SPAM: score=5(\.0)? threshold=4(\.0)? verdict=spam/);
    // the account's API view carries its mailbox usage (every folder: INBOX and Spam), as the quota counts it
    const alice = await api('GET', '/api/v1/users/alice@example.test');
    assert.equal(alice.status, 200, alice.raw);
    assert.equal(alice.json.usage.messages, 2, alice.raw);
    assert.ok(alice.json.usage.bytes > 0, alice.raw);
  });

  it('opens relaying from 127.0.0.1 without a restart; the queued message is held and released through the API', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'curl')) return;
    const denied = await swaks(['--from', 'alice@example.test', '--to', 'far@remote.example', '--header', 'Subject: relay-try']);
    assert.match(denied.stdout, /<\*\* 550 5\.7\.1 Relaying denied/, 'relaying is refused before');
    const set = await api('PATCH', '/api/v1/settings', { changes: { 'relay.mode': 'addresses', 'relay.allow_ips': ['127.0.0.1/32'] } });
    assert.equal(set.status, 200, set.raw);
    const ok = await swaks(['--from', 'alice@example.test', '--to', 'far@remote.example', '--header', 'Subject: relay-held']);
    assert.equal(ok.code, 0, ok.stdout);
    // the remote domain has no reachable MX ([dns] on a closed port): the message waits in the queue
    let id = '';
    const deadline = Date.now() + 30_000;
    while (!id && Date.now() < deadline) {
      const q = await api('GET', '/api/v1/queue?q=far@remote.example');
      id = q.json?.messages?.[0]?.id ?? '';
      if (!id) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(id, 'the relayed message is in the queue');
    const hold = await api('POST', `/api/v1/queue/${id}/hold`);
    assert.equal(hold.status, 200, hold.raw);
    // a message caught in a delivery attempt is held when that attempt ends (docs/outbound.md), not before
    let state = '';
    for (const until = Date.now() + 30_000; state !== 'hold' && Date.now() < until; ) {
      state = (await api('GET', `/api/v1/queue/${id}`)).json.state;
      if (state !== 'hold') await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(state, 'hold');
    const held = await api('GET', '/api/v1/queue?state=hold');
    assert.deepEqual(held.json.messages.map((m: { id: string }) => m.id), [id]);
    const shown = await api('GET', `/api/v1/queue/${id}`);
    assert.match(shown.json.headers, /Subject: relay-held/);
    const release = await api('POST', `/api/v1/queue/${id}/release`);
    assert.equal(release.status, 200);
    assert.notEqual((await api('GET', `/api/v1/queue/${id}`)).json.state, 'hold');
    const del = await api('DELETE', `/api/v1/queue/${id}`);
    assert.equal(del.status, 200);
    assert.equal((await api('GET', `/api/v1/queue/${id}`)).status, 404);
  });

  it('a settings change keeps SRS: a bounce to an SRS address of ours is still taken at RCPT TO', async (t) => {
    if (!requireCommand(t, 'swaks') || !requireCommand(t, 'curl')) return;
    const srs = new Srs({ secret: loadOrCreateSecret(path.join(srv.dataDir, 'keys', 'srs.secret')), maxAgeDays: 21 });
    const bounceTo = srs.forward('yamada@orig.example', 'example.test');
    // any change made through the API rebuilds the relay policy (the value the test above left: the restart test checks it)
    const set = await api('PATCH', '/api/v1/settings', { changes: { 'spam.spam_threshold': 4 } });
    assert.equal(set.status, 200, set.raw);
    const after = await swaks(['--from', '<>', '--to', bounceTo, '--quit-after', 'RCPT']);
    assert.match(after.stdout, /RCPT TO:<SRS0=[^>]+>\s+<-\s+250 2\.1\.5/, after.stdout);
  });

  it('keeps the settings across a restart, and the backup holds them', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    await srv.restart();
    const s = await api('GET', '/api/v1/settings');
    assert.equal(s.status, 200);
    const byKey = Object.fromEntries(s.json.settings.map((x: { key: string; value: unknown; source: string }) => [x.key, x]));
    assert.equal(byKey['spam.spam_threshold'].value, 4);
    assert.equal(byKey['spam.spam_threshold'].source, 'override');
    assert.deepEqual(byKey['relay.allow_ips'].value, ['127.0.0.1/32']);
    const file = path.join(srv.dir, 'backup.tar.gz');
    const dl = await run('curl', ['-sk', '-X', 'POST', '-H', `Authorization: Bearer ${token}`, '-o', file, '-w', '%{http_code}', `${base()}/api/v1/backup`]);
    assert.equal(dl.stdout, '200');
    const out = path.join(srv.dir, 'restored');
    fs.mkdirSync(out);
    const x = await run('tar', ['-xzf', file, '-C', out]);
    assert.equal(x.code, 0, x.stderr);
    const db = new Database(path.join(out, 'data', 'tegami.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT key, value FROM settings ORDER BY key').all() as { key: string; value: string }[];
      assert.deepEqual(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)])), {
        'relay.allow_ips': ['127.0.0.1/32'],
        'relay.mode': 'addresses',
        'spam.phrases': ['限定セール'],
        'spam.spam_threshold': 4,
      });
    } finally {
      db.close();
    }
    assert.deepEqual(fs.readdirSync(path.join(srv.dataDir, 'run', 'web-backups')), [], 'the server keeps no copy');
    const last = await api('GET', '/api/v1/backup/last');
    assert.equal(last.json.last_download.by, BOSS);
    assert.equal(last.json.last, null, 'a download is not the last backup made by tegami backup');
  });

  it('failed admin logins count against IMAP in tegami serve: after the block, imaplib is refused with the right password', async (t) => {
    if (!requireCommand(t, 'curl') || !requireCommand(t, 'python3')) return;
    const imapLogin = async () =>
      (await run('python3', ['-c', `import imaplib,sys\nc=imaplib.IMAP4('127.0.0.1', ${srv.ports.imap})\ntry:\n  c.login('alice@example.test', sys.argv[1]); print('OK')\nexcept imaplib.IMAP4.error as e:\n  print('NO', e)\n`, 'alice password 1'])).stdout.trim();
    assert.equal(await imapLogin(), 'OK', 'IMAP login works before');
    const jar = path.join(srv.dir, 'jar-guess.txt');
    const attempt = async (password: string) => {
      const page = await run('curl', ['-sk', '-c', jar, '-b', jar, `${base()}/login`]);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.stdout)![1];
      return (await run('curl', ['-sk', '-c', jar, '-b', jar, '-o', '/dev/null', '-w', '%{http_code}', '--data-urlencode', `login=${BOSS}`, '--data-urlencode', `password=${password}`, '--data-urlencode', `_csrf=${csrf}`, `${base()}/login`])).stdout;
    };
    for (let i = 0; i < 4; i++) assert.equal(await attempt(`guess-${i}`), '403', `guess ${i}`);
    assert.equal(await attempt('boss password 1'), '429', 'the admin login itself is blocked, even with the right password');
    assert.match(await imapLogin(), /^NO .*Too many failed logins/, 'and so is IMAP, on the same throttle');
  });
});
