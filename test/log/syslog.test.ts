// The syslog copy ([log] syslog) reaching test listeners: RFC 5424 messages in octet-counted frames
// (RFC 6587) over TCP and TLS (certificate checked against syslog_ca_file), lines over a unix stream
// socket, datagrams on a unix datagram socket like /dev/log (through util-linux `logger`, received by
// Python); a server that goes away costs dropped lines (counted, bounded), never a stalled logger, and the
// lines after it comes back arrive. Finally `tegami serve` with [log] syslog sends its own lines.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Logger } from '../../engine/log/logger.js';
import { SyslogSink } from '../../engine/log/syslog.js';
import { Metrics } from '../../engine/metrics/metrics.js';
import { labCertificate } from '../../lab/peers/tls.js';
import { BIN, freePort, requireCommand } from '../helpers/server.js';

const RFC5424 = /^<(\d+)>1 (\d{4}-\d\d-\d\dT[\d:.]+Z) (\S+) tegami (\d+) (\S+) - (.*)$/;

/** Octet-counted frames (RFC 6587 3.4.1) from a byte stream; throws on a malformed frame. */
class Frames {
  private buf = Buffer.alloc(0);
  readonly messages: string[] = [];
  push(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const sp = this.buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(this.buf.subarray(0, sp).toString());
      assert.ok(Number.isInteger(len) && len > 0, `bad frame length "${this.buf.subarray(0, sp).toString()}"`);
      if (this.buf.length < sp + 1 + len) return;
      this.messages.push(this.buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(sp + 1 + len);
    }
  }
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function listen(server: net.Server, port = 0, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port)));
}

function logged(target: string, extra: Partial<ConstructorParameters<typeof SyslogSink>[0]> = {}) {
  const logger = new Logger({ stdout: false, files: false, sink: null });
  const states: string[] = [];
  const sink = new SyslogSink({ target, facility: 'mail', hostname: 'mx.example.test', buffer: 1000, onState: (s) => states.push(s.kind === 'dropped' ? `dropped ${s.lines}` : s.kind), ...extra });
  logger.tee((level, service, event, text) => sink.line(level, service, event, text));
  return { logger, sink, states };
}

describe('syslog over TCP and TLS', () => {
  it('RFC 5424 messages, octet-counted, with facility mail and the level as severity', async () => {
    const frames = new Frames();
    const server = net.createServer((c) => c.on('data', (d) => frames.push(d)));
    const port = await listen(server);
    const { logger, sink } = logged(`tcp:127.0.0.1:${port}`);
    logger.emit('smtp.auth-failed', { sid: 's1', ip: '192.0.2.1', method: 'PLAIN', user: 'not an address', failures: 3, blocked: false });
    logger.emit('system.listening', { listener: 'smtp', address: '127.0.0.1:25' });
    logger.emit('imap.append', { folder: '受信箱', size: 12 });
    await until('3 messages', () => frames.messages.length >= 3 || undefined);
    const [a, b, c] = frames.messages.map((m) => RFC5424.exec(m));
    assert.ok(a && b && c, frames.messages.join('\n'));
    assert.equal(a[1], String(2 * 8 + 4)); // mail.warning
    assert.equal(b[1], String(2 * 8 + 6)); // mail.info
    assert.equal(a[3], 'mx.example.test');
    assert.equal(a[4], String(process.pid));
    assert.equal(a[5], 'smtp.auth-failed');
    assert.match(a[6], /^smtp\.auth-failed sid=s1 ip=192\.0\.2\.1 method=PLAIN user=#[0-9a-f]{12} failures=3 blocked=false$/);
    assert.match(c[6], /folder=受信箱/);
    await sink.close();
    server.close();
  });

  it('over TLS, to a server whose certificate verifies against syslog_ca_file', async () => {
    const cert = await labCertificate();
    const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-syslog-')), 'ca.pem');
    fs.writeFileSync(caFile, cert.cert);
    const frames = new Frames();
    const server = tls.createServer({ key: cert.key, cert: cert.cert }, (c) => c.on('data', (d) => frames.push(d)));
    const port = await listen(server);
    const { logger, sink, states } = logged(`tls:localhost:${port}`, { caFile });
    logger.emit('system.stopping', {});
    await until('the message', () => frames.messages[0]);
    assert.match(frames.messages[0], /^<22>1 .* system\.stopping - system\.stopping$/);
    assert.deepEqual(states, ['connected']);
    await sink.close();
    server.close();
  });

  it('a TLS server with a certificate that does not verify gets nothing', async () => {
    const cert = await labCertificate();
    const frames = new Frames();
    const server = tls.createServer({ key: cert.key, cert: cert.cert }, (c) => c.on('data', (d) => frames.push(d)));
    const port = await listen(server);
    const { logger, sink, states } = logged(`tls:localhost:${port}`); // the system CAs: the lab certificate is not among them
    logger.emit('system.stopping', {});
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(frames.messages.length, 0);
    assert.ok(!states.includes('connected'));
    await sink.close(100);
    server.close();
  });

  it('a server that goes away: lines beyond the buffer are dropped and counted, logging never waits; later lines arrive', async () => {
    const frames = new Frames();
    const conns = new Set<net.Socket>();
    let server = net.createServer((c) => (conns.add(c), c.on('data', (d) => frames.push(d))));
    const port = await listen(server);
    const metrics = new Metrics({ processMetrics: false });
    const logger = new Logger({ stdout: false, files: false, sink: metrics });
    const sink = new SyslogSink({
      target: `tcp:127.0.0.1:${port}`,
      facility: 'local3',
      hostname: 'h',
      buffer: 100,
      onState: (s) => s.kind === 'dropped' && logger.emit('system.log-dropped', { destination: 'syslog', lines: s.lines }),
    });
    logger.tee((level, service, event, text) => sink.line(level, service, event, text));
    logger.emit('system.ready', {});
    await until('first line', () => frames.messages[0]);
    // the server goes away
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const c of conns) c.destroy();
    await closed;
    await new Promise((r) => setTimeout(r, 200));
    // 5000 lines while it is away: each call returns at once; the buffer keeps 100
    for (let i = 0; i < 5000; i++) logger.emit('delivery.orphan-state-removed', { id: `q${i}` });
    assert.equal(sink.droppedTotal, 4900);
    // it comes back on the same port: the buffered lines and then new ones arrive
    server = net.createServer((c) => c.on('data', (d) => frames.push(d)));
    await listen(server, port);
    const back = () => frames.messages.filter((m) => m.includes('orphan-state-removed'));
    await until('the buffered lines', () => back().length >= 100 || undefined, 120_000);
    assert.equal(back().length, 100);
    assert.match(back()[0], /id=q0$/);
    logger.emit('system.stopping', {});
    await until('a line after the return', () => frames.messages.some((m) => m.includes('system.stopping')) || undefined);
    await sink.close();
    assert.match(await metrics.text(), /tegami_log_dropped_total\{destination="syslog"\} 4900/);
    server.close();
    metrics.close();
  });
});

describe('syslog on the local socket', () => {
  it('a unix stream socket gets one message per line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-syslog-'));
    const sock = path.join(dir, 'log.sock');
    let text = '';
    const server = net.createServer((c) => c.on('data', (d) => (text += d.toString())));
    await new Promise<void>((r) => server.listen(sock, () => r()));
    const { logger, sink } = logged(`unix:${sock}`);
    logger.emit('pop3.login', { user: 'a@example.test', mechanism: 'USER' });
    logger.emit('pop3.disconnect', {});
    await until('two lines', () => text.split('\n').filter(Boolean).length >= 2 || undefined);
    const lines = text.split('\n').filter(Boolean);
    assert.match(lines[0], /^<22>1 \S+ mx\.example\.test tegami \d+ pop3\.login - pop3\.login user=a@example\.test mechanism=USER$/);
    await sink.close();
    server.close();
  });

  it('a unix datagram socket (like /dev/log) gets each line as a datagram, through util-linux logger', async (t) => {
    if (!requireCommand(t, 'logger') || !requireCommand(t, 'python3')) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-syslog-'));
    const sock = path.join(dir, 'dev-log');
    const py = spawn('python3', [
      '-u',
      '-c',
      'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\nwhile True:\n  print(s.recv(65536).decode("utf-8","replace"),flush=True)',
      sock,
    ]);
    let out = '';
    py.stdout.on('data', (d) => (out += d.toString()));
    try {
      await until('python ready', () => out.startsWith('ready') || undefined);
      const { logger, sink, states } = logged(`unix:${sock}`);
      logger.emit('smtp.queued', { sid: 's', id: 'Q1', from: 'a@example.test', rcpts: 2, size: 100, delivered: true });
      logger.emit('smtp.timeout', { phase: 'data', sid: 's' });
      await until('two datagrams', () => (out.match(/tegami/g) ?? []).length >= 2 || undefined);
      const grams = out.split('\n').filter((l) => l.includes('tegami'));
      assert.match(grams[0], /^<22>1 \S+ \S+ tegami - - - smtp\.queued sid=s id=Q1 from=a@example\.test rcpts=2 size=100 delivered=true/);
      assert.match(grams[1], /^<20>1 .* smtp\.timeout phase=data sid=s$/);
      assert.ok(states.includes('connected'));
      await sink.close();
    } finally {
      py.kill();
    }
  });
});

describe('tegami serve with [log] syslog', () => {
  it("sends the server's own lines (listening, stopping) to the syslog server", async () => {
    const frames = new Frames();
    const server = net.createServer((c) => c.on('data', (d) => frames.push(d)));
    const port = await listen(server);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-syslog-srv-'));
    const smtp = await freePort();
    const config = path.join(dir, 'tegami.toml');
    fs.writeFileSync(
      config,
      [`hostname = "mx.example.test"`, `data_dir = "${dir}/data"`, '[listen]', `smtp = "127.0.0.1:${smtp}"`, '[log]', 'stdout = false', `syslog = "tcp:127.0.0.1:${port}"`, '[dns]', 'servers = ["127.0.0.1:9"]'].join('\n') + '\n',
    );
    const proc = spawn(process.execPath, [BIN, 'serve', '--config', config], { stdio: 'ignore' });
    try {
      await until('listening', () => frames.messages.find((m) => m.includes('system.listening listener=smtp')), 120_000);
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      // the last lines of a stop are sent before the process ends
      await until('the drained line', () => frames.messages.some((m) => /system\.drained tasks=\d+/.test(m)) || undefined, 120_000);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      server.close();
    }
  });
});
