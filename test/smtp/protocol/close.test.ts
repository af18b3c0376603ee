// The end of an SMTP connection (engine/smtp/protocol/connection.ts close/closed): once the socket has closed
// after QUIT, nothing of the connection is kept — no timer still holds it (the half-close timer is cleared), so
// the connection, its session and its socket can be collected at once, not seconds later. Real sockets; the
// collection is observed with WeakRefs and a forced GC.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SmtpConnection } from '../../../engine/smtp/protocol/connection.js';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { testOptions } from './options.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const options = testOptions({ socketTimeout: 600_000 });

const refs: WeakRef<SmtpConnection>[] = [];
let closedOnServer = 0;
const server = net.createServer((socket) => {
  socket.once('close', () => closedOnServer++);
  refs.push(new WeakRef(new SmtpConnection(socket, options, `s${refs.length}`)));
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1200 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(cond(), what);
}

describe('the end of an SMTP connection', () => {
  it('after QUIT and the close, no timer keeps the connection: it is collected at once', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const n = 20;
    for (let i = 0; i < n; i++) {
      const c = await RawSmtp.connect(port);
      assert.equal((await c.reply()).code, 220);
      assert.equal((await c.cmd('EHLO client.example')).code, 250);
      assert.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 250);
      assert.equal((await c.cmd('RCPT TO:<b@example.test>')).code, 250);
      assert.equal((await c.cmd('DATA')).code, 354);
      assert.equal((await c.cmd('Subject: x\r\n\r\nbody\r\n.')).code, 250);
      assert.equal((await c.cmd('QUIT')).text, '221 2.0.0 Bye');
      await until('the client sees the close', () => c.closed);
      c.socket.destroy();
    }
    await until('every server socket closed', () => closedOnServer === n);
    // a turn or two for the 'close' handlers and the onClose hook's setImmediate
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
    const alive = refs.filter((w) => w.deref() !== undefined).length;
    assert.equal(alive, 0, `${alive} of ${n} closed connections still reachable (a timer holds them)`);
  });
});
