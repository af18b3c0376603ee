// /metrics after a scripted load by clients we did not write (Python smtplib, swaks): the counters equal
// what the load did — N messages accepted and delivered, M recipients refused by relay, K AUTH failures,
// one connection each — the worker threads' spam verdicts reach the same endpoint, no label carries an
// address, a domain or an IP, the text passes `promtool check metrics`, and many scrapers at once all
// get their answer while mail flows. /healthz and /readyz answer 200 on a healthy server.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { sample, scrape, scrapeUntil } from './helpers.js';

const N = 7;
const M = 4;
const K = 3;
const USER = 'alice@example.test';
const PASS = 'correct-horse-1';

const LOAD = `
import smtplib, sys
port = int(sys.argv[1])
N, M, K = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(N):
    s = smtplib.SMTP('127.0.0.1', port, timeout=30)
    body = ('こんにちは、負荷試験 %d\\r\\n' % i).encode('iso-2022-jp')
    s.sendmail('sender@remote.example', ['${USER}'], b'Subject: load %d\\r\\nFrom: sender@remote.example\\r\\nContent-Type: text/plain; charset=ISO-2022-JP\\r\\n\\r\\n' % i + body)
    s.quit()
for i in range(M):
    s = smtplib.SMTP('127.0.0.1', port, timeout=30)
    try:
        s.sendmail('sender@remote.example', ['victim%d@elsewhere.example' % i], 'Subject: relay\\r\\n\\r\\nx\\r\\n')
        print('RELAYED'); sys.exit(1)
    except smtplib.SMTPRecipientsRefused as e:
        code = list(e.recipients.values())[0][0]
        assert code == 550, code
    s.quit()
for i in range(K):
    s = smtplib.SMTP('127.0.0.1', port, timeout=30)
    try:
        s.login('${USER}', 'wrong-%d' % i)
        print('LOGGED IN'); sys.exit(1)
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e.smtp_code
    s.quit()
print('done')
`;

describe('/metrics after a scripted load', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ listeners: ['smtp', 'metrics'], users: [{ address: USER, password: PASS }], toml: '[queue]\nworkers = 2\n' });
  });
  after(async () => {
    await srv?.stop();
  });

  it('healthz and readyz answer 200 on a healthy server', async () => {
    const h = await scrape(srv.ports.metrics, '/healthz');
    assert.equal(h.status, 200);
    const r = await scrape(srv.ports.metrics, '/readyz');
    assert.equal(r.status, 200, r.text);
    const body = JSON.parse(r.text) as { status: string; checks: Record<string, { ok: boolean }> };
    assert.equal(body.status, 'ready');
    assert.deepEqual(Object.keys(body.checks).sort(), ['database', 'disk', 'listeners', 'pool', 'spool']);
    assert.equal((await scrape(srv.ports.metrics, '/nope')).status, 404);
    const post = await fetch(`http://127.0.0.1:${srv.ports.metrics}/metrics`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('counts what the load did, while 20 scrapers read /metrics at once, and passes promtool', async (t) => {
    if (!requireCommand(t, 'python3') || !requireCommand(t, 'promtool')) return;
    let scraping = true;
    const statuses: number[] = [];
    const scrapers = Array.from({ length: 20 }, async () => {
      while (scraping) {
        statuses.push((await scrape(srv.ports.metrics)).status);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const load = await run('python3', ['-c', LOAD, String(srv.ports.smtp), String(N), String(M), String(K)], { timeoutMs: 120_000 });
    scraping = false;
    await Promise.all(scrapers);
    assert.equal(load.code, 0, load.stdout + load.stderr);
    assert.ok(statuses.length >= 20 && statuses.every((s) => s === 200), `scrapes: ${statuses.length}, not 200: ${statuses.filter((s) => s !== 200).length}`);
    await srv.waitForMail(USER, N, 120_000);

    const text = await scrapeUntil(srv.ports.metrics, (x) => sample(x, 'tegami_spam_verdicts_total', { action: 'inbox' }) === N && sample(x, 'tegami_connections_current', { service: 'smtp' }) === 0);
    assert.equal(sample(text, 'tegami_messages_total', { result: 'accepted' }), N);
    assert.equal(sample(text, 'tegami_messages_total', { result: 'delivered' }), N);
    assert.equal(sample(text, 'tegami_messages_total', { result: 'rejected' }), 0);
    assert.equal(sample(text, 'tegami_smtp_transactions_total', { result: 'accepted', class: '2xx' }), N);
    assert.equal(sample(text, 'tegami_smtp_recipients_total', { result: 'rejected', status: '5.7.1' }), M);
    assert.equal(sample(text, 'tegami_smtp_recipients_total', { result: 'accepted', status: '2.1.5' }), N);
    assert.equal(sample(text, 'tegami_auth_failures_total', { protocol: 'smtp', mechanism: 'PLAIN' }), K);
    assert.equal(sample(text, 'tegami_connections_total', { service: 'smtp', listener: 'smtp' }), N + M + K);
    assert.equal(sample(text, 'tegami_connections_current', { service: 'smtp' }), 0);
    // counted in the worker threads, reported on this endpoint
    assert.equal(sample(text, 'tegami_spam_verdicts_total', { action: 'inbox' }), N);
    assert.equal(sample(text, 'tegami_delivery_delay_seconds_count', { where: 'local' }), N);
    // the lazy gauges and the process
    for (const g of ['tegami_pool_threads', 'tegami_pool_utilization_ratio', 'tegami_pool_waiting_tasks', 'tegami_spool_bytes', 'tegami_queue_oldest_age_seconds', 'tegami_data_dir_free_bytes', 'tegami_process_resident_memory_bytes', 'tegami_nodejs_eventloop_lag_seconds']) {
      assert.ok(sample(text, g) !== undefined, `${g} is there`);
    }
    assert.equal(sample(text, 'tegami_queue_messages', { state: 'deferred' }), 0);
    // nothing the clients sent is a label
    const labels = text.split('\n').filter((l) => !l.startsWith('#') && l.includes('{'));
    assert.ok(labels.every((l) => !/@|127\.0\.0\.1|example|remote/.test(l)), labels.filter((l) => /@|127\.0\.0\.1|example|remote/.test(l)).join('\n'));

    const check = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn('promtool', ['check', 'metrics']);
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (code) => resolve({ code, out }));
      p.stdin.end(text);
    });
    assert.equal(check.code, 0, check.out);
  });

  it('swaks: a submission of a message that is too big counts as rejected', async (t) => {
    if (!requireCommand(t, 'swaks')) return;
    const before = await scrape(srv.ports.metrics);
    const was = sample(before.text, 'tegami_messages_total', { result: 'rejected' }) ?? 0;
    // the default limit is 25 MiB: a 26 MiB body is refused with 552 after DATA
    const r = await run('swaks', ['--server', `127.0.0.1:${srv.ports.smtp}`, '--to', USER, '--from', 'big@remote.example', '--body', '-', '--silent', '2'], { input: 'x'.repeat(1000).concat('\r\n').repeat(27 * 1024), timeoutMs: 120_000 });
    assert.notEqual(r.code, 0);
    const text = await scrapeUntil(srv.ports.metrics, (x) => sample(x, 'tegami_messages_total', { result: 'rejected' }) === was + 1);
    assert.equal(sample(text, 'tegami_messages_total', { result: 'rejected' }), was + 1);
    assert.equal(sample(text, 'tegami_smtp_transactions_total', { result: 'rejected', class: '5xx' }), 1);
  });
});
