// What the client library's PIPELINING and our connection reuse are worth, counted through a TCP proxy that
// adds 10 ms each way (20 ms round trip) between tegami's SMTP client and a lab sink: 10 messages of 5
// recipients each, pipelined vs not (the sink hides PIPELINING), and one session vs one per message. The
// proxy counts connections and round trips (each time the client speaks again after the server spoke), which
// the machine's speed cannot change; the times are diagnostics (speed lives in the benchmarks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { closeSession, openSession, sendTransaction } from '../../engine/outbound/smtp-client.js';

interface Proxy {
  port: number;
  /** Connections the client opened. */
  connections: number;
  /** Round trips the client waited for: client bytes that follow server bytes on the same connection. */
  turns: number;
  close(): void;
}

function delayProxy(target: number, oneWayMs: number): Promise<Proxy> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => {
    p.connections++;
    const up = net.connect(target, '127.0.0.1');
    conns.add(c).add(up);
    let serverSpoke = false;
    c.on('data', () => {
      if (serverSpoke) p.turns++;
      serverSpoke = false;
    });
    up.on('data', () => (serverSpoke = true));
    const pipe = (from: net.Socket, to: net.Socket) => {
      from.on('data', (d) => setTimeout(() => to.writable && to.write(d), oneWayMs));
      from.on('end', () => setTimeout(() => to.end(), oneWayMs));
      from.on('error', () => to.destroy());
    };
    pipe(c, up);
    pipe(up, c);
  });
  const p: Proxy = {
    port: 0,
    connections: 0,
    turns: 0,
    close: () => {
      for (const c of conns) c.destroy();
      server.close();
    },
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      p.port = (server.address() as net.AddressInfo).port;
      resolve(p);
    }),
  );
}

let piped: Sink;
let unpiped: Sink;
const proxies: { close(): void }[] = [];

before(async () => {
  piped = await startSink();
  unpiped = await startSink({ server: { hidePIPELINING: true } as never });
});
after(async () => {
  for (const p of proxies) p.close();
  await piped.close();
  await unpiped.close();
});

const MSG = Buffer.from('From: <a@example.test>\r\nTo: <b@remote.test>\r\nSubject: cost\r\n\r\n' + 'x'.repeat(2000) + '\r\n');
const RCPTS = ['r1@remote.test', 'r2@remote.test', 'r3@remote.test', 'r4@remote.test', 'r5@remote.test'];

async function run(proxy: Proxy, messages: number, reuse: boolean): Promise<{ ms: number; pipelining: boolean; connections: number; turns: number }> {
  const opts = { ip: '127.0.0.1', port: proxy.port, hostName: 'sink.test', helo: 'mx.example.test', requireTls: false, connectTimeoutMs: 30_000, commandTimeoutMs: 30_000 };
  const [connections0, turns0] = [proxy.connections, proxy.turns];
  const t0 = performance.now();
  let pipelining = false;
  let s = reuse ? await openSession(opts) : null;
  for (let i = 0; i < messages; i++) {
    const o = s ?? (await openSession(opts));
    assert.ok(o.ok, !o.ok ? o.reply : '');
    pipelining = o.session.extensions.includes('PIPELINING');
    const r = await sendTransaction(o.session, { from: 'a@example.test', to: RCPTS, size: MSG.length, body8bit: false }, MSG);
    assert.ok(r.recipients.every((x) => x.kind === 'sent'), JSON.stringify(r.recipients));
    if (!reuse) closeSession(o.session);
  }
  if (s?.ok) closeSession(s.session);
  return { ms: Math.round(performance.now() - t0), pipelining, connections: proxy.connections - connections0, turns: proxy.turns - turns0 };
}

test('pipelining and connection reuse, counted over a 20 ms round trip', async (t) => {
  const pp = await delayProxy(piped.port, 10);
  const up = await delayProxy(unpiped.port, 10);
  proxies.push(pp, up);
  const withPipe = await run(pp, 10, true);
  const withoutPipe = await run(up, 10, true);
  const noReuse = await run(pp, 10, false);
  assert.equal(withPipe.pipelining, true);
  assert.equal(withoutPipe.pipelining, false);
  const show = (r: typeof withPipe) => `${r.ms} ms, ${r.turns} round trips, ${r.connections} connection(s)`;
  t.diagnostic(`10 messages x 5 recipients, RTT 20 ms: pipelined+reused ${show(withPipe)}; not pipelined ${show(withoutPipe)}; new STARTTLS session per message ${show(noReuse)}`);
  // without pipelining each of MAIL, 5 x RCPT and DATA waits a round trip: 6 more per message (asserted: the
  // 5 recipients' at least, leaving room for a TLS session ticket that may or may not cost a turn)
  assert.ok(withoutPipe.turns - withPipe.turns >= 10 * 5, `pipelining saves round trips (${withPipe.turns} vs ${withoutPipe.turns})`);
  // reuse: one connection for all ten, instead of a connect/EHLO/STARTTLS/EHLO per message
  assert.equal(withPipe.connections, 1);
  assert.equal(noReuse.connections, 10);
  assert.ok(noReuse.turns - withPipe.turns >= 9 * 3, `reuse saves the EHLO/STARTTLS/EHLO round trips (${withPipe.turns} vs ${noReuse.turns})`);
  assert.equal(piped.messages.length, 20);
});
