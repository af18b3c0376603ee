// What the client library's PIPELINING and our connection reuse are worth, measured through a TCP proxy
// that adds 10 ms each way (20 ms round trip) between tegami's SMTP client and a lab sink: 10 messages of
// 5 recipients each, pipelined vs not (the sink hides PIPELINING), and one session vs one per message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startSink, type Sink } from '../../lab/peers/sink.js';
import { closeSession, openSession, sendTransaction } from '../../engine/outbound/smtp-client.js';

function delayProxy(target: number, oneWayMs: number): Promise<{ port: number; close(): void }> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const up = net.connect(target, '127.0.0.1');
    conns.add(c).add(up);
    const pipe = (from: net.Socket, to: net.Socket) => {
      from.on('data', (d) => setTimeout(() => to.writable && to.write(d), oneWayMs));
      from.on('end', () => setTimeout(() => to.end(), oneWayMs));
      from.on('error', () => to.destroy());
    };
    pipe(c, up);
    pipe(up, c);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          for (const c of conns) c.destroy();
          server.close();
        },
      }),
    ),
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

async function run(port: number, messages: number, reuse: boolean): Promise<{ ms: number; pipelining: boolean }> {
  const opts = { ip: '127.0.0.1', port, hostName: 'sink.test', helo: 'mx.example.test', requireTls: false, connectTimeoutMs: 5000, commandTimeoutMs: 10_000 };
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
  return { ms: Math.round(performance.now() - t0), pipelining };
}

test('pipelining and connection reuse, measured over a 20 ms round trip', async (t) => {
  const pp = await delayProxy(piped.port, 10);
  const up = await delayProxy(unpiped.port, 10);
  proxies.push(pp, up);
  const withPipe = await run(pp.port, 10, true);
  const withoutPipe = await run(up.port, 10, true);
  const noReuse = await run(pp.port, 10, false);
  assert.equal(withPipe.pipelining, true);
  assert.equal(withoutPipe.pipelining, false);
  t.diagnostic(`10 messages x 5 recipients, RTT 20 ms: pipelined+reused ${withPipe.ms} ms, not pipelined ${withoutPipe.ms} ms, new STARTTLS session per message ${noReuse.ms} ms`);
  // without pipelining each of MAIL, 5 x RCPT and DATA waits a round trip: at least 6 more per message
  assert.ok(withoutPipe.ms - withPipe.ms >= 10 * 5 * 20 * 0.5, `pipelining saves round trips (${withPipe.ms} vs ${withoutPipe.ms})`);
  assert.ok(noReuse.ms > withPipe.ms * 1.5, `reuse saves the connect/EHLO/STARTTLS round trips (${withPipe.ms} vs ${noReuse.ms})`);
  assert.equal(piped.messages.length, 20);
});
