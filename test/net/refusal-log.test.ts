// Refused connections are not written one line each: the first refusal of a listener and reason is, with its
// client; the rest of the interval is counted into one summary line (count, clients, seconds), and the metric
// still counts every refusal. The interval runs on mock timers; the listener case uses real sockets (a flood of
// 40 connections over a cap of 1) and the summary written when the listener closes.
import { after, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Logger, localDay } from '../../engine/log/logger.js';
import { Metrics } from '../../engine/metrics/metrics.js';
import { ConnectionLimits } from '../../engine/net/conn-limits.js';
import { startListener } from '../../engine/net/listener.js';
import type { ServerTls } from '../../engine/net/tls.js';
import { REFUSAL_SUMMARY_MS, RefusalLog } from '../../engine/net/refusal-log.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function logDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-refusals-'));
  dirs.push(d);
  return d;
}
const lines = (dir: string, service: string, event: string) =>
  (fs.existsSync(path.join(dir, `${service}-${localDay(new Date())}.log`)) ? fs.readFileSync(path.join(dir, `${service}-${localDay(new Date())}.log`), 'utf8') : '').split('\n').filter((l) => l.includes(` ${event} `));

describe('refused connections in the log', () => {
  it('a flood writes one line and, when the interval ends, one summary with the count; the metric counts all', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const dir = logDir();
    const metrics = new Metrics({ processMetrics: false });
    const logger = new Logger({ dir, stdout: false, sink: metrics });
    const log = new RefusalLog(logger);
    // 500 refusals from 50 clients on smtp, and 3 on imap's listener (its own first line and summary)
    for (let i = 0; i < 500; i++) log.refused('smtp', { listener: 'smtp', ip: `192.0.2.${i % 50}`, reason: 'per-client', open: 3 });
    for (let i = 0; i < 3; i++) log.refused('imap', { listener: 'imaps', ip: '198.51.100.7', reason: 'total', open: 200 });
    t.mock.timers.tick(REFUSAL_SUMMARY_MS - 1);
    log.refused('smtp', { listener: 'smtp', ip: '192.0.2.99', reason: 'per-client', open: 3 }); // still in the interval
    t.mock.timers.tick(1);
    // the next interval starts with a line of its own again
    log.refused('smtp', { listener: 'smtp', ip: '203.0.113.5', reason: 'per-client', open: 3 });
    await logger.close();

    const smtp = lines(dir, 'smtp', 'connection-refused');
    assert.equal(smtp.length, 2, smtp.join('\n'));
    assert.match(smtp[0], /listener=smtp ip=192\.0\.2\.0 reason="too many connections from this client" open=3/);
    assert.match(smtp[1], /ip=203\.0\.113\.5/);
    const summary = lines(dir, 'smtp', 'connections-refused');
    assert.equal(summary.length, 1, summary.join('\n'));
    assert.match(summary[0], /WARN connections-refused listener=smtp reason="too many connections from this client" count=500 clients=51 seconds=10/);
    assert.equal(lines(dir, 'imap', 'connection-refused').length, 1);
    assert.match(lines(dir, 'imap', 'connections-refused')[0] ?? '', /listener=imaps reason="too many connections" count=2 clients=1/);

    const values = (await metrics.get('tegami_connections_refused_total').get()).values.map((v) => `${JSON.stringify(v.labels)}=${v.value}`).sort();
    assert.deepEqual(values, ['{"service":"imap","reason":"total_limit"}=3', '{"service":"smtp","reason":"per_client_limit"}=502'], 'every refusal counted');
    metrics.close();
  });

  it('a listener over its cap refuses 40 connections with one line, and says how many more when it closes', async () => {
    mock.timers.reset();
    // the summary interval on a mocked setTimeout: however slowly a busy machine makes the 40 connections, they
    // fall in one interval (sockets and the listener use no global setTimeout)
    mock.timers.enable({ apis: ['setTimeout'] });
    const dir = logDir();
    const logger = new Logger({ dir, stdout: false });
    const held: net.Socket[] = [];
    const listener = await startListener({
      protocol: 'pop3',
      name: 'pop3',
      listen: '127.0.0.1:0',
      implicitTls: false,
      context: {} as ServerTls, // plaintext: never used
      limits: new ConnectionLimits({ total: 1, perClient: 1, ipv6Prefix: 64 }),
      handshakeMs: 0,
      logger,
      refusal: () => '-ERR [SYS/TEMP] too many connections',
      onConnection: (s) => s.write('+OK ready\r\n'),
    });
    const greet = () =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect(listener.port, '127.0.0.1');
        held.push(s);
        s.setEncoding('latin1');
        s.once('data', (d: string) => resolve(d));
        s.once('error', reject);
      });
    try {
      assert.match(await greet(), /^\+OK/);
      for (let i = 0; i < 40; i++) assert.match(await greet(), /^-ERR \[SYS\/TEMP\] too many connections/);
    } finally {
      for (const s of held) s.destroy();
      listener.destroyAll();
      await listener.close();
      await logger.close();
      mock.timers.reset();
    }
    assert.equal(lines(dir, 'pop3', 'connection-refused').length, 1, 'one line, not forty');
    assert.match(lines(dir, 'pop3', 'connections-refused')[0] ?? '', /listener=pop3 reason="too many connections" count=39 clients=1 seconds=10/);
  });
});
