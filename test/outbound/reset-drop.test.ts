// A reused connection whose last transaction failed starts the next one with RSET; a remote MTA that
// drops the connection there (its idle timeout striking just then) must cost nothing but a fresh
// connection. The client's RSET used to wait for a reply that never came (nodemailer forgets the RSET
// callback when the connection fails), so that delivery task never ended and the message stayed "active"
// for good. The remote here is a small raw SMTP server: it answers 451 to RCPT of grey@, drops the
// connection at RSET, and accepts everything else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { logText, message, queueList, setup, submit, until, type Setup } from './helpers.js';

interface RawMta {
  port: number;
  connections: number;
  rsetDropped: number;
  accepted: { to: string[]; data: string }[];
  close(): Promise<void>;
}

async function rawMta(): Promise<RawMta> {
  const sockets = new Set<net.Socket>();
  const mta: RawMta = {
    port: 0,
    connections: 0,
    rsetDropped: 0,
    accepted: [],
    close: () =>
      new Promise<void>((r) => {
        for (const c of sockets) c.destroy();
        server.close(() => r());
      }),
  };
  const server = net.createServer((c) => {
    mta.connections++;
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    let buf = '';
    let to: string[] = [];
    let data: string | null = null;
    const say = (line: string) => c.write(`${line}\r\n`);
    c.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\r\n'); nl >= 0 && !c.destroyed; nl = buf.indexOf('\r\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (data !== null) {
          if (line === '.') {
            mta.accepted.push({ to, data });
            data = null;
            to = [];
            say('250 2.0.0 Ok: queued');
          } else data += line + '\n';
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') say('250-raw.lab.example.test\r\n250 8BITMIME');
        else if (verb === 'MAIL') {
          to = [];
          say('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          if (/grey@/i.test(line)) say('451 4.7.1 Greylisted, try again later');
          else {
            to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
            say('250 2.1.5 Ok');
          }
        } else if (verb === 'DATA') {
          data = '';
          say('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          // the idle timeout of a real MTA, striking as the client comes back
          mta.rsetDropped++;
          c.destroy();
        } else if (verb === 'QUIT') {
          say('221 2.0.0 Bye');
          c.end();
        } else say('250 2.0.0 Ok');
      }
    });
    say('220 raw.lab.example.test ESMTP');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  mta.port = (server.address() as net.AddressInfo).port;
  return mta;
}

let mta: RawMta;
let s: Setup;

before(async () => {
  mta = await rawMta();
  s = await setup({
    mxPort: mta.port,
    records: [
      { name: 'remote.test', type: 'MX', data: '10 mx.remote.test' },
      { name: 'mx.remote.test', type: 'A', data: '127.0.0.1' },
    ],
    // one worker thread, so the second message finds the first one's idle session; no retry during the test
    toml: ['[queue]', 'workers = 1', 'retry_schedule = ["1h"]', '[outbound]', 'idle_reuse = "5m"', 'connect_timeout = "15s"'].join('\n'),
  });
});

after(async () => {
  await s?.close();
  await mta?.close();
});

test('a reused connection dropped at RSET gives way to a fresh one, and the message is delivered', async () => {
  const srv = s.srv;
  await submit(srv.ports.smtp, 'alice@example.test', ['grey@remote.test'], message('alice@example.test', 'grey@remote.test', 'greylisted'));
  await until('grey@ deferred', async () => (await queueList(srv)).find((m) => m.recipients[0]?.address === 'grey@remote.test' && m.state === 'deferred'), 120_000, 100);
  assert.equal(mta.connections, 1);

  await submit(srv.ports.smtp, 'alice@example.test', ['bob@remote.test'], message('alice@example.test', 'bob@remote.test', 'after the dropped RSET'));
  await until('bob@ delivered', () => mta.accepted.some((m) => m.to.includes('bob@remote.test')), 120_000, 100);
  assert.equal(mta.rsetDropped, 1, 'the idle session was reused, and its RSET dropped');
  assert.equal(mta.connections, 2, 'then a fresh connection carried the message');
  await until('bob@ no longer queued', async () => !(await queueList(srv)).some((m) => m.recipients.some((r) => r.address === 'bob@remote.test')), 120_000, 100);
  assert.doesNotMatch(logText(srv), /\bsent\b.*rcpt=grey@/);
});
