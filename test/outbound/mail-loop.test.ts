// Issue 10 #5, over real sockets: two tegami servers, each routing the other's domain to the other's SMTP
// port, with aliases that send mail back and forth. The hop limit (50 Received: fields) must stop the loop
// for forwarded and remote recipients too, bounce once (one DSN to the original sender, however many
// recipients and hops), and leave both queues empty. Deadlines are generous; nothing is timed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { logText, queueList, readMail, until } from './helpers.js';

let a: TestServer;
let b: TestServer;

const common = ['[spam]', 'enabled = false', '[queue]', 'retry_schedule = ["1s"]'].join('\n');

function route(domain: string, port: number): string {
  return `\n[[route]]\ndomain = "${domain}"\nto = "127.0.0.1:${port}"\n`;
}

function cli(srv: TestServer, args: string[]): void {
  const r = srv.cli(args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  a = await startTestServer({ hostname: 'mx.a.test', domains: ['a.test'], listeners: ['smtp'], users: [{ address: 'carol@a.test', password: 'carol-secret-1' }], toml: common });
  b = await startTestServer({ hostname: 'mx.b.test', domains: ['b.test'], listeners: ['smtp'], toml: common + route('a.test', a.ports.smtp) });
  // A learns B's port only now: add its route and restart it on the port B already routes to
  const pinned = fs.readFileSync(a.configPath, 'utf8').replace(/^smtp = "127\.0\.0\.1:0"$/m, `smtp = "127.0.0.1:${a.ports.smtp}"`);
  assert.ok(pinned.includes(`127.0.0.1:${a.ports.smtp}`), 'the listen line of A is pinned to its port');
  fs.writeFileSync(a.configPath, pinned + route('b.test', b.ports.smtp));
  await a.restart();
  // a simple loop: loop@a.test → loop@b.test → loop@a.test → ...
  cli(a, ['alias', 'add', 'loop@a.test', 'loop@b.test']);
  cli(b, ['alias', 'add', 'loop@b.test', 'loop@a.test']);
  // a fan-out: fan@a.test → x, y, z @b.test, each of which comes back to fan@a.test
  cli(a, ['alias', 'add', 'fan@a.test', 'x@b.test,y@b.test,z@b.test']);
  for (const l of ['x', 'y', 'z']) cli(b, ['alias', 'add', `${l}@b.test`, 'fan@a.test']);
});

after(async () => {
  await a?.stop();
  await b?.stop();
});

async function send(to: string, subject: string): Promise<void> {
  const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(a.ports.smtp), '--helo', 'client.a.test', '--from', 'carol@a.test', '--to', to, '--header', `Subject: ${subject}`, '--timeout', '30']);
  assert.match(r.stdout, /<- {2}250 2\.0\.0 Ok: queued/, r.stdout + r.stderr);
}

/** Carol's notices about `subject`, once both queues are empty. */
async function noticesAfterDrain(subject: string): Promise<string[]> {
  await until(`a notice about "${subject}" for carol`, () => readMail(a.maildir('carol@a.test')).some((m) => m.includes(subject)), 120_000, 200);
  await until('both queues empty', async () => (await queueList(a)).length === 0 && (await queueList(b)).length === 0, 120_000, 200);
  // once nothing is queued anywhere, nothing more can arrive
  return readMail(a.maildir('carol@a.test')).filter((m) => m.includes(subject));
}

/** SMTP transactions this server made to the other (one per hop; a DSN to a remote sender would be one more). */
function sentCount(srv: TestServer): number {
  return (logText(srv).match(/ remote-attempt /g) ?? []).length;
}

test('a forwarding loop between two servers stops at the hop limit with one DSN to the sender', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await send('loop@a.test', 'round and round');
  const notices = await noticesAfterDrain('round and round');
  assert.equal(notices.length, 1, 'exactly one notice');
  const [dsn] = notices;
  assert.match(dsn, /^From: Mail Delivery System <MAILER-DAEMON@mx\.[ab]\.test>/m);
  assert.match(dsn, /Action: failed\r\nStatus: 5\.4\.6/);
  assert.match(dsn, /mail forwarding loop/);
  assert.equal((dsn.match(/^Final-Recipient:/gm) ?? []).length, 1);
  // the loop went round until the limit, not for ever: each pass through a forward adds the copy's own Received:
  // (engine/rules/outgoing.ts, a redirect counts a hop) besides the one at delivery, so 50 Received: fields take
  // about 25 transactions, and never more than 51
  const hops = sentCount(a) + sentCount(b);
  assert.ok(hops >= 22 && hops <= 51, `${hops} remote deliveries`);
});

test('an alias fanning out to several addresses that loop back bounces once, listing its recipients once each', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  const before = sentCount(a) + sentCount(b);
  await send('fan@a.test', 'fan-out loop');
  const notices = await noticesAfterDrain('fan-out loop');
  assert.equal(notices.length, 1, 'exactly one notice');
  const [dsn] = notices;
  assert.match(dsn, /Status: 5\.4\.6/);
  const finals = (dsn.match(/^Final-Recipient: rfc822; (.*)$/gm) ?? []).map((l) => l.replace(/^Final-Recipient: rfc822; /, '').trim());
  assert.ok(finals.length >= 1 && new Set(finals).size === finals.length, `each recipient once: ${finals.join(', ')}`);
  assert.ok(finals.every((f) => /^(fan@a\.test|[xyz]@b\.test)$/.test(f)), finals.join(', '));
  const hops = sentCount(a) + sentCount(b) - before;
  assert.ok(hops >= 22 && hops <= 51, `${hops} remote deliveries`);
});
