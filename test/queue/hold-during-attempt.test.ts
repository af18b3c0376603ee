// Mail held while its delivery attempt is in flight stays held when that attempt fails temporarily after
// `max_queue_lifetime`: hold_lifetime governs held mail, not max_queue_lifetime. Both holds are covered:
// a message held by id (`queue hold ID`) and a domain held by the operator (`queue hold --domain D`).
// A gated server keeps each first attempt waiting at RCPT; the test holds the mail, waits until the
// messages are older than max_queue_lifetime (2 s), then lets the server answer 451. Such an attempt used
// to expire the recipient (4.4.7 bounce) although it was held. Released, the message held by id then gets
// its one attempt and, being older than max_queue_lifetime, is bounced on that failure (as documented).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { logText, message, queueList, readMail, setup, submit, until, type Setup } from '../outbound/helpers.js';

const LIFETIME_MS = 2000;
let s: Setup;
let gated: SMTPServer;
const rcptSeen = new Set<string>();
let release!: () => void;
const released = new Promise<void>((r) => (release = r));

before(async () => {
  // takes each RCPT and answers it 451 only once the test says so
  gated = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(addr, _session, cb) {
      rcptSeen.add(addr.address);
      // eslint-disable-next-line @typescript-eslint/no-floating-promises -- `released` only ever resolves
      released.then(() => cb(Object.assign(new Error('4.3.0 busy, try again later'), { responseCode: 451 })));
    },
  });
  await new Promise<void>((r) => gated.listen(0, '127.0.0.1', () => r()));
  const port = (gated.server.address() as { port: number }).port;
  s = await setup({
    mxPort: port,
    toml: [
      '[queue]',
      'retry_schedule = ["1h"]',
      `max_queue_lifetime = "${LIFETIME_MS}ms"`,
      'hold_lifetime = "1h"',
      '[[route]]',
      'domain = "byid.test"',
      `to = "127.0.0.1:${port}"`,
      '[[route]]',
      'domain = "bydomain.test"',
      `to = "127.0.0.1:${port}"`,
    ].join('\n'),
  });
});

after(async () => {
  release();
  await s?.close();
  await new Promise<void>((r) => (gated ? gated.close(() => r()) : r()));
});

function bounceFor(rcpt: string): string | undefined {
  return readMail(s.srv.maildir('alice@example.test')).find((t) => t.includes(rcpt) && /multipart\/report/.test(t));
}

test('mail held during its attempt is not expired by max_queue_lifetime when the attempt fails late', async () => {
  const srv = s.srv;
  const RCPTS = ['stuck@byid.test', 'stuck@bydomain.test'];
  for (const rcpt of RCPTS) assert.equal((await submit(srv.ports.smtp, 'alice@example.test', [rcpt], message('alice@example.test', rcpt, `held during the attempt: ${rcpt}`))).code, 250);
  await until('both first attempts waiting at RCPT', () => RCPTS.every((r) => rcptSeen.has(r)), 120_000, 50);
  const byId = await until('queued', async () => (await queueList(srv)).find((m) => m.recipients[0]?.address === 'stuck@byid.test'), 120_000, 50);
  const held = srv.cli(['queue', 'hold', byId.id]);
  assert.equal(held.status, 0, held.stderr);
  const heldDomain = srv.cli(['queue', 'hold', '--domain', 'bydomain.test']);
  assert.equal(heldDomain.status, 0, heldDomain.stderr);

  // both are older than max_queue_lifetime before their attempts fail
  const newest = Math.max(...(await queueList(srv)).map((m) => Date.parse(m.arrival)));
  await until('older than max_queue_lifetime', () => Date.now() > newest + LIFETIME_MS + 1000, 120_000);
  release();

  const list = await until('both deferred with the 451, still held', async () => {
    const l = await queueList(srv);
    const ok = RCPTS.every((rcpt) => l.some((m) => m.recipients[0]?.address === rcpt && m.state === 'hold' && /451/.test(m.recipients[0]?.last_error ?? '')));
    return ok ? l : null;
  }, 120_000, 100);
  for (const rcpt of RCPTS) {
    const m = list.find((x) => x.recipients[0]?.address === rcpt)!;
    assert.equal(m.recipients[0].status, 'deferred', rcpt);
    assert.equal(m.recipients[0].held, true, rcpt);
    assert.equal(bounceFor(rcpt), undefined, `no bounce for ${rcpt}`);
  }
  assert.doesNotMatch(logText(srv), /\bexpired id=/, 'nothing expired by max_queue_lifetime');

  // released by id: one attempt, and (older than max_queue_lifetime) its temporary failure bounces it
  assert.equal(srv.cli(['queue', 'release', byId.id]).status, 0);
  const dsn = await until('bounce after the release', () => bounceFor('stuck@byid.test'), 120_000, 200);
  assert.match(dsn, /Status: 4\.4\.7/);
  assert.ok((await queueList(srv)).some((m) => m.recipients[0]?.address === 'stuck@bydomain.test' && m.state === 'hold'), 'the domain-held one is still on hold');
});
