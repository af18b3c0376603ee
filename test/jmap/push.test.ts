// The event source (RFC 8620 §7.3) on a real HTTPS listener: a state event when mail is delivered into the
// Maildir by another writer (as the delivery workers do) and when a JMAP object changes, pings at the interval
// asked (clamped), closeafter=state, what a client missed given its Last-Event-ID, and the per-account bound.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { startWebServer, type RunningWebServer } from '../../engine/web/server.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { jmapRoutes } from '../../engine/jmap/index.js';
import { maildirRoot, writeMaildirMessage } from '../../engine/store/maildir.js';
import { PING_MIN_S } from '../../engine/jmap/push.js';
import { jmapFixture, message, USER, type JmapFixture } from './helpers.js';
import { openPgTestStore } from '../helpers/store.js';
import type { PgMailboxStore } from '../../engine/store/pg-store.js';

let f: JmapFixture;
let web: RunningWebServer;

before(async () => {
  f = await jmapFixture({ limits: { maxEventSources: 2 } });
  const tls = await loadOrCreateCertificate({ dataDir: f.dir, hostname: 'localhost' });
  web = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'webmail', deps: f.deps, routes: jmapRoutes(f.svc) });
});
after(async () => {
  await web.close();
  await f.close();
  await other?.close();
});

/** Over the PostgreSQL store: a second store object on the same database, standing for another node. */
let other: PgMailboxStore | undefined;
async function otherNode(): Promise<PgMailboxStore> {
  other ??= await openPgTestStore(f.storeUrl);
  return other;
}

interface Stream {
  res: IncomingMessage;
  text: () => string;
  events: () => { event: string; id?: string; data: string }[];
  closed: Promise<void>;
  close: () => void;
}

function open(query: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: web.port, path: `/jmap/eventsource?${query}`, rejectUnauthorized: false, headers: { authorization: f.basic(), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      const closed = new Promise<void>((r) => res.on('close', () => r()));
      resolve({
        res,
        text: () => text,
        events: () =>
          text
            .split('\n\n')
            .filter((b) => b.startsWith('event:'))
            .map((b) => {
              const f: Record<string, string> = {};
              for (const line of b.split('\n')) {
                const i = line.indexOf(': ');
                if (i > 0) f[line.slice(0, i)] = line.slice(i + 2);
              }
              return { event: f.event, id: f.id, data: f.data };
            }),
        closed,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

async function until<T>(what: string, fn: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a delivery written straight into new/ (as a worker does) is pushed as a state change of Email, Mailbox, Thread and EmailDelivery', async () => {
  await f.svc.store.refreshAccount(USER);
  const s = await open('types=*&closeafter=no&ping=0');
  assert.equal(s.res.statusCode, 200);
  assert.match(String(s.res.headers['content-type']), /^text\/event-stream/);
  assert.match(String(s.res.headers['content-security-policy']), /default-src 'none'/);
  await until('the stream to open', () => s.text().includes('event source'));
  await until('the baseline', () => s.text().includes(': ready'));
  // (over the PostgreSQL store a worker appends through another store object: the notice comes by NOTIFY)
  if (f.storeBackend === 'default') await writeMaildirMessage(maildirRoot(f.dir, USER), [message({ subject: 'by the worker' })]);
  else await (await otherNode()).append(USER, 'INBOX', message({ subject: 'by the worker' }));
  const ev = await until('a state event', () => s.events().find((e) => e.event === 'state'));
  const change = JSON.parse(ev.data);
  assert.equal(change['@type'], 'StateChange');
  assert.deepEqual(Object.keys(change.changed[f.accountId]).sort(), ['Email', 'EmailDelivery', 'Mailbox', 'Thread']);
  const st = (await f.call('Email/get', { ids: [] })).args.state;
  assert.equal(change.changed[f.accountId].Email, st, 'the pushed state is the one Email/get gives');
  // a flag change moves Email and Mailbox, not EmailDelivery
  const n = s.events().length;
  const [m] = await f.store.list(USER, 'INBOX');
  await f.store.updateFlags(USER, 'INBOX', [m.uid], 'add', ['\\Seen']);
  // (an event for an earlier change, e.g. folders made by the Email/get above, may still come first: find the flag change's)
  const ev2 = await until('a second state event', () => s.events().slice(n).find((e) => e.event === 'state' && JSON.parse(e.data).changed[f.accountId].Email));
  const types = Object.keys(JSON.parse(ev2.data).changed[f.accountId]);
  assert.ok(types.includes('Email') && !types.includes('EmailDelivery'), types.join());
  // and a VacationResponse change is pushed too
  const k = s.events().length;
  await f.call('VacationResponse/set', { update: { singleton: { isEnabled: true } } });
  const ev3 = await until('a vacation state event', () => s.events().length > k && s.events()[s.events().length - 1]);
  assert.deepEqual(Object.keys(JSON.parse(ev3.data).changed[f.accountId]), ['VacationResponse']);
  s.close();
});

test('types filter what is pushed; closeafter=state ends the response after one event', async () => {
  const s = await open('types=Mailbox&closeafter=state&ping=0');
  await until('the baseline', () => s.text().includes(': ready'));
  await f.call('VacationResponse/set', { update: { singleton: { isEnabled: false } } }); // not a Mailbox change
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(s.events().length, 0);
  await f.call('Mailbox/set', { create: { m: { name: 'Pushed' } } });
  await s.closed;
  const evs = s.events();
  assert.equal(evs.length, 1);
  assert.deepEqual(Object.keys(JSON.parse(evs[0].data).changed[f.accountId]), ['Mailbox']);
});

test('pings at the interval asked, clamped to the minimum, with the interval in their data', async () => {
  const s = await open('types=*&closeafter=no&ping=1');
  const ping = await until('a ping', () => s.events().find((e) => e.event === 'ping'));
  assert.deepEqual(JSON.parse(ping.data), { interval: PING_MIN_S });
  assert.equal(ping.id, undefined, 'a ping sets no event id');
  s.close();
});

test('a client back with its Last-Event-ID hears at once what changed while it was away', async () => {
  const s = await open('types=*&closeafter=no&ping=0');
  await until('the baseline', () => s.text().includes(': ready'));
  await f.store.append(USER, 'INBOX', message({ subject: 'one' }));
  const ev = await until('a state event', () => s.events().find((e) => e.event === 'state'));
  s.close();
  await f.store.append(USER, 'INBOX', message({ subject: 'while away' }));
  const back = await open('types=Email&closeafter=state&ping=0', { 'last-event-id': ev.id! });
  await back.closed;
  const missed = back.events();
  assert.equal(missed.length, 1);
  assert.ok(JSON.parse(missed[0].data).changed[f.accountId].Email);
});

test('bad queries are 400, and event sources per account are bounded (429 limit)', async () => {
  for (const q of ['types=*&closeafter=maybe&ping=0', 'types=*&ping=0', 'types=*&closeafter=no&ping=-1']) {
    const s = await open(q);
    assert.equal(s.res.statusCode, 400, q);
    s.close();
  }
  const a = await open('types=*&closeafter=no&ping=0');
  const b = await open('types=*&closeafter=no&ping=0');
  const c = await open('types=*&closeafter=no&ping=0');
  assert.deepEqual([a.res.statusCode, b.res.statusCode, c.res.statusCode], [200, 200, 429]);
  a.close();
  await a.closed;
  await until('the slot to come back', () => (f.svc.running.events.get(USER) ?? 0) < 2);
  const d = await open('types=*&closeafter=no&ping=0');
  assert.equal(d.res.statusCode, 200);
  b.close();
  c.close();
  d.close();
});
