// The logger: fields written by kind (a login that is not an address is fingerprinted, a secret never
// written, a line break in a value cannot start a forged line), nothing lost at close (every line of a
// burst is in the file, and a line after close too), and events emitted in a worker thread counted by the
// main thread's metrics, with a malformed batch refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Logger, formatFields, localDay, shownFields } from '../../engine/log/logger.js';
import { eventDef } from '../../engine/log/events.js';
import { Metrics } from '../../engine/metrics/metrics.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-logger-'));
const read = (dir: string, service: string) => fs.readFileSync(path.join(dir, `${service}-${localDay(new Date())}.log`), 'utf8');

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('fields are written by kind', () => {
  it('a value is quoted (as JSON) when it holds white space, a quote, "=" or a control character, else bare', () => {
    const table: [unknown, string][] = [
      ['plain', 'plain'], ['a b', '"a b"'], ['a\tb', '"a\\tb"'], ['a\nb', '"a\\nb"'], ['a\u00a0b', '"a\u00a0b"'], ['a\u2028b', '"a\u2028b"'],
      ['say "hi"', '"say \\"hi\\""'], ['k=v', '"k=v"'], ['a\x00b', '"a\\u0000b"'], ['a\x1bb', '"a\\u001bb"'], ['a\x7fb', '"a\x7fb"'],
      ['日本語', '日本語'], ['x@y.test', 'x@y.test'], [3, '3'], [1.5, '1.5'], [true, 'true'], [null, 'null'], [['a', 2], '["a",2]'],
    ];
    for (const [v, want] of table) assert.equal(formatFields({ f: v }), ` f=${want}`, JSON.stringify(v));
    assert.equal(formatFields({ a: 1, b: 'x y', c: 'z' }), ' a=1 b="x y" c=z');
  });

  it('declared kinds (optional ones too) decide what is shown; undeclared fields are judged by name', () => {
    const def = eventDef('smtp.mail-from')!;
    assert.ok(Object.values(def.fields).some((k) => k.endsWith('?')), 'the event has an optional field');
    const shown = shownFields(def, { sid: 's1', from: 'a@b.test', user: 'not an address', password: 'p', extra: 'e', helo: undefined, login: 'x y' });
    assert.deepEqual(Object.keys(shown), ['sid', 'from', 'user', 'password', 'extra', 'login']);
    assert.equal(shown.password, '[redacted]');
    assert.match(String(shown.login), /^#[0-9a-f]{12}$/);
    assert.equal(shown.extra, 'e');
    assert.equal(shownFields(def, { from: 'x'.repeat(600) }).from, 'x'.repeat(512) + '…', 'an address-kind field is bounded at 512');
  });

  it('a typed login is shown only when it looks like an address; secrets and password-like fields never', async () => {
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    logger.emit('smtp.auth-failed', { sid: 'a', ip: '192.0.2.1', method: 'PLAIN', user: 'correct horse battery', failures: 1, blocked: false });
    logger.emit('smtp.auth-failed', { sid: 'b', ip: '192.0.2.1', method: 'PLAIN', user: 'taro@example.jp', failures: 2, blocked: false });
    logger.emit('imap.login-failed', { session: 'c', login: 'パスワード123', mechanism: 'LOGIN' });
    logger.warn('smtp', 'uncatalogued-thing', { password: 'hunter2', auth_password: 'hunter3', token: 'tok', login: 'p@ss word' });
    await logger.close();
    const smtp = read(dir, 'smtp');
    assert.ok(!smtp.includes('correct horse'), 'a login that is not an address is not written');
    assert.match(smtp, /sid=a .*user=#[0-9a-f]{12} /);
    assert.match(smtp, /sid=b .*user=taro@example\.jp /);
    assert.ok(!/hunter2|hunter3|tok\b|p@ss/.test(smtp), smtp);
    assert.match(smtp, /password=\[redacted\] auth_password=\[redacted\] token=\[redacted\] login=#[0-9a-f]{12}/);
    assert.ok(!read(dir, 'imap').includes('パスワード'));
  });

  it('the same login gives the same fingerprint (a guesser can be followed without the guesses being shown)', async () => {
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    for (const l of ['guess1', 'guess1', 'guess2']) logger.emit('pop3.login-failed', { login: l, mechanism: 'USER' });
    await logger.close();
    const fps = [...read(dir, 'pop3').matchAll(/login=(#[0-9a-f]{12})/g)].map((m) => m[1]);
    assert.equal(fps.length, 3);
    assert.equal(fps[0], fps[1]);
    assert.notEqual(fps[0], fps[2]);
  });

  it('a line break in a value cannot forge a second line', async () => {
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    logger.emit('smtp.mail-from', { sid: 's', ip: '192.0.2.1', from: 'a@b.example', verdict: 'reject', reason: 'x\r\n2026-01-01T00:00:00.000Z ERROR forged=1' });
    await logger.close();
    const lines = read(dir, 'smtp').trimEnd().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /reason="x\\r\\n2026/);
  });
});

describe('nothing is lost', () => {
  it('every line of a burst is in the file after close(), and a line emitted after close() too', async () => {
    const dir = tmp();
    const logger = new Logger({ dir, stdout: false, sink: null });
    for (let i = 0; i < 20_000; i++) logger.emit('delivery.delivered', { id: `q${i}`, to: 'a@example.test', rcpt: 'a@example.test', folder: 'INBOX' });
    await logger.close();
    logger.emit('system.stopping', {});
    const lines = read(dir, 'delivery').trimEnd().split('\n');
    assert.equal(lines.length, 20_000);
    assert.match(lines[19_999], /id=q19999 /);
    assert.match(read(dir, 'system'), /INFO stopping/);
  });

  it('a disk that does not keep up costs dropped lines (counted), not memory', async () => {
    const dir = tmp();
    const metrics = new Metrics({ processMetrics: false });
    const logger = new Logger({ dir, stdout: false, sink: metrics, maxPendingBytes: 4096 });
    // one turn of the event loop: far more than 4 KiB waiting for one file
    for (let i = 0; i < 500; i++) logger.emit('delivery.delivered', { id: `q${i}`, to: 'a@example.test', rcpt: 'a@example.test', folder: 'INBOX' });
    await new Promise((r) => setImmediate(r));
    await logger.close();
    const text = await metrics.text();
    const dropped = Number(/tegami_log_dropped_total\{destination="file"\} (\d+)/.exec(text)?.[1]);
    const written = read(dir, 'delivery').trimEnd().split('\n').filter(Boolean).length;
    assert.equal(written + dropped, 500, `${written} written + ${dropped} dropped`);
    assert.ok(written > 0 && dropped > 0, `${written} written + ${dropped} dropped`);
    assert.match(read(dir, 'system'), /WARN log-dropped destination=file lines=\d+/);
    metrics.close();
  });
});

describe('worker threads', () => {
  it("a worker's events are counted by the main thread's metrics", async () => {
    const dataDir = tmp();
    const metrics = new Metrics({ processMetrics: false });
    metrics.listenToWorkers(dataDir);
    const w = new Worker(path.join(here, 'worker-emitter.js'), { workerData: { dataDir, count: 5 } });
    await new Promise((r) => w.once('exit', r));
    const verdicts = await until('5 verdicts', async () => {
      const v = (await metrics.get('tegami_spam_verdicts_total').get()).values.find((x) => x.labels.action === 'spam')?.value;
      return v === 5 ? v : undefined;
    });
    assert.equal(verdicts, 5);
    const tags = (await metrics.get('tegami_spam_tags_total').get()).values.map((v) => `${v.labels.tag}=${v.value}`).sort();
    assert.deepEqual(tags, ['PHRASE=5', 'VALHELO=5']);
    metrics.close();
  });

  it("a worker's lines reach its log files, every one, before the thread ends", async () => {
    const dataDir = tmp();
    const logsDir = path.join(dataDir, 'logs');
    const w = new Worker(path.join(here, 'worker-emitter.js'), { workerData: { dataDir, count: 300, logsDir } });
    await new Promise((r) => w.once('exit', r));
    const lines = read(logsDir, 'spam').trimEnd().split('\n');
    assert.equal(lines.length, 300);
    for (const l of lines) assert.match(l, /INFO verdict action=spam score=7\.5 tags=VALHELO\(1\.0\),PHRASE\(6\.5\) from=x@example\.test/);
    assert.equal(fs.statSync(path.join(logsDir, fs.readdirSync(logsDir)[0])).mode & 0o777, 0o600);
  });

  it('a batch that does not have the right shape, or names no event, is refused and not counted', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const refused: string[] = [];
    metrics.onRefused = (r) => refused.push(r);
    metrics.fromWorker('garbage');
    metrics.fromWorker({ v: 1, events: [['smtp.queued', 'smtp', 'info', 'not an object']] });
    metrics.fromWorker({ v: 1, events: [['smtp.no-such-event', 'smtp', 'info', {}]] });
    metrics.fromWorker({ v: 1, events: [['smtp.queued', 'pop3', 'info', {}]] });
    metrics.fromWorker({ v: 1, events: [['smtp.queued', 'smtp', 'loud', {}]] });
    metrics.fromWorker({ v: 1, events: new Array(20_000).fill(['smtp.queued', 'smtp', 'info', {}]) });
    assert.equal(refused.length, 6, refused.join('; '));
    const accepted = (await metrics.get('tegami_messages_total').get()).values.find((v) => v.labels.result === 'accepted')?.value;
    assert.equal(accepted, 0);
    metrics.fromWorker({ v: 1, events: [['smtp.queued', 'smtp', 'info', { sid: 's', id: 'q', from: '', rcpts: 1, size: 1, delivered: true }]] });
    assert.equal((await metrics.get('tegami_messages_total').get()).values.find((v) => v.labels.result === 'accepted')?.value, 1);
    metrics.close();
  });
});
