// Webhook failure shapes with msw intercepting the global fetch: a receiver answering 500, one that hangs
// past webhook_timeout and one whose connection is reset are each retried with back-off and then dropped
// with a log line; a 404 is dropped at once (retrying cannot help); a receiver that recovers gets the
// alert on a retry; and while one receiver fails or hangs, another gets its alert at the first attempt.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setupServer } from 'msw/node';
import { http, HttpResponse, delay } from 'msw';
import { Alerter, signature, type AlertEvent } from '../../engine/monitor/alerts.js';
import { Logger } from '../../engine/log/logger.js';
import type { AlertsConfig } from '../../engine/config/schema.js';

const SECRET = 'しーくれっと-secret';
const seen = new Map<string, { at: number; body: string; headers: Headers }[]>();
let recovering = 0;

function note(name: string) {
  return async ({ request }: { request: Request }) => {
    const list = seen.get(name) ?? [];
    list.push({ at: Date.now(), body: await request.text(), headers: request.headers });
    seen.set(name, list);
  };
}

const server = setupServer(
  http.post('https://ok.hooks.test/h', async (x) => (await note('ok')(x), new HttpResponse(null, { status: 204 }))),
  http.post('https://fails.hooks.test/h', async (x) => (await note('fails')(x), new HttpResponse('boom', { status: 500 }))),
  http.post('https://hangs.hooks.test/h', async (x) => {
    await note('hangs')(x);
    await delay('infinite');
    return new HttpResponse(null, { status: 200 });
  }),
  http.post('https://resets.hooks.test/h', async (x) => (await note('resets')(x), HttpResponse.error())),
  http.post('https://gone.hooks.test/h', async (x) => (await note('gone')(x), new HttpResponse(null, { status: 404 }))),
  http.post('https://recovers.hooks.test/h', async (x) => {
    await note('recovers')(x);
    return new HttpResponse(null, { status: ++recovering < 3 ? 503 : 200 });
  }),
);

function config(webhooks: string[]): AlertsConfig {
  return { mail_to: [], smarthost_tls: 'starttls', webhooks, webhook_secret: SECRET, webhook_timeout: 300, webhook_retries: 2, webhook_backoff: 50 };
}

function alerter(webhooks: string[]) {
  const logger = new Logger({ stdout: false, files: false, sink: null });
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  logger.on((_s, event, fields) => events.push({ event, fields }));
  return { a: new Alerter(config(webhooks), { hostname: 'mx.example.test', version: '0.0.0', logger }), events };
}

const DOWN: AlertEvent = { kind: 'down', target: 'mx2', check: 'smtp', address: 'mx2.example.test:25', detail: 'ECONNREFUSED', since: new Date().toISOString(), failures: 3 };

describe('webhooks through msw', () => {
  before(() => server.listen({ onUnhandledRequest: 'error' }));
  after(() => server.close());

  for (const [name, attempts] of [
    ['fails', 3],
    ['hangs', 3],
    ['resets', 3],
    ['gone', 1],
  ] as const) {
    it(`${name}: ${attempts === 1 ? 'dropped at once' : 'retried, then dropped'} with a log line; the good receiver is not held back`, async () => {
      seen.clear();
      const { a, events } = alerter([`https://${name}.hooks.test/h`, 'https://ok.hooks.test/h']);
      const t0 = Date.now();
      const results = await a.send(DOWN);
      await a.close();
      const bad = results.find((r) => r.to === `https://${name}.hooks.test`)!;
      assert.equal(bad.ok, false);
      assert.equal(bad.attempts, attempts);
      assert.equal(seen.get(name)?.length, attempts);
      const ok = results.find((r) => r.to === 'https://ok.hooks.test')!;
      assert.deepEqual([ok.ok, ok.attempts], [true, 1]);
      // the good receiver got it at once, before the bad one's first retry was due
      assert.ok(seen.get('ok')![0].at - t0 < seen.get(name)!.at(-1)!.at - t0 || attempts === 1);
      const dropped = events.filter((e) => e.event === 'alert-dropped');
      assert.equal(dropped.length, 1);
      assert.equal(dropped[0].fields.to, `https://${name}.hooks.test`);
      assert.equal(events.filter((e) => e.event === 'alert-retry').length, attempts - 1);
      if (name === 'hangs') assert.match(String(dropped[0].fields.error), /no answer within 300 ms/);
      if (name === 'fails') assert.equal(dropped[0].fields.status, 500);
    });
  }

  it('a receiver that answers 503 twice gets the alert on the third attempt, signed the same way each time', async () => {
    seen.clear();
    recovering = 0;
    const { a } = alerter(['https://recovers.hooks.test/h']);
    const [r] = await a.send({ ...DOWN, kind: 'up', detail: '220 back', down_s: 42 });
    await a.close();
    assert.deepEqual([r.ok, r.attempts], [true, 3]);
    for (const req of seen.get('recovers')!) {
      const ts = req.headers.get('x-tegami-timestamp')!;
      assert.equal(req.headers.get('x-tegami-signature'), signature(SECRET, ts, req.body));
      assert.equal(req.headers.get('content-type'), 'application/json');
      const body = JSON.parse(req.body) as Record<string, unknown>;
      assert.equal(body.event, 'up');
      assert.equal(body.target, 'mx2');
      assert.equal(body.down_seconds, 42);
    }
    // one alert, one id: the receiver can tell a retry from a new alert
    const ids = new Set(seen.get('recovers')!.map((x) => (JSON.parse(x.body) as { id: string }).id));
    assert.equal(ids.size, 1);
  });
});
