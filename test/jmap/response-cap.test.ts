// The JMAP answer is bounded (curl over a loopback socket): body values of one request share a byte budget — past
// it a value is cut (isTruncated, as a client's maxBodyValueBytes cuts it) or empty, never decoded — and a call
// whose Email objects pass the response budget is requestTooLarge (RFC 8620 §5.1), its memory freed; Email/parse
// over an upload is cut the same way. The budgets here are small so the messages can be (the defaults: 16 MB of
// body values, 40 MB of Email objects per request).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { jmapFixture, message, PASSWORD, USER, USING, type JmapFixture } from './helpers.js';
import { requireCommand } from '../helpers/server.js';

const BODY_BUDGET = 250_000;
const RESPONSE_BUDGET = 420_000;
// 100,002 octets of UTF-8 text a message: Japanese (3 octets a character) and a line end
const TEXT = '日本語のメール本文。'.repeat(3334).slice(0, 33_334);
const TEXT_BYTES = Buffer.byteLength(TEXT + '\n', 'utf8');

let f: JmapFixture;
let base: string;

before(async () => {
  f = await jmapFixture({ limits: { maxBodyValueBytesPerRequest: BODY_BUDGET, maxResponseBytes: RESPONSE_BUDGET } });
  for (let i = 0; i < 6; i++) {
    // a 50 KB header field too, for the response budget
    const pad = `X-Pad: ${Array.from({ length: 700 }, () => 'padding-word-'.repeat(5)).join('\r\n ')}`;
    await f.store.append(USER, 'INBOX', message({ subject: `big ${i}`, body: TEXT, extra: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', pad] }));
  }
  await f.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
});

after(() => f?.close());

/** curl in a child process (asynchronously: the server answers from this process's event loop). */
function curl(pathname: string, body: Buffer | string, type = 'application/json'): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = execFile('curl', ['-sS', '--fail-with-body', '-u', `${USER}:${PASSWORD}`, '-H', `Content-Type: ${type}`, '--data-binary', '@-', base + pathname], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (err, out, errOut) => {
      if (err) reject(new Error(`curl ${pathname}: ${err.message} ${errOut.toString()} ${out.toString().slice(0, 500)}`));
      else resolve(JSON.parse(out.toString('utf8')) as Record<string, unknown>);
    });
    child.stdin!.end(body);
  });
}

type Value = { value: string; isTruncated: boolean };
type Answer = [string, Record<string, unknown>, string][];

async function api(calls: unknown[]): Promise<Answer> {
  return (await curl('/jmap/api', JSON.stringify({ using: USING, methodCalls: calls }))).methodResponses as Answer;
}

const getAll = (extra: Record<string, unknown>) => [
  ['Email/query', { accountId: f.accountId }, 'q'],
  ['Email/get', { accountId: f.accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'bodyValues', 'textBody'], fetchAllBodyValues: true, ...extra }, 'g'],
];

function values(answer: Answer): { subject: string; v: Value }[] {
  const list = answer[1][1].list as { subject: string; bodyValues: Record<string, Value> }[];
  return list.map((e) => ({ subject: e.subject, v: Object.values(e.bodyValues)[0] }));
}

test('body values of one request share a budget: whole, then cut, then empty — every email still answered', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  const got = values(await api(getAll({})));
  assert.deepEqual(got.map((g) => g.subject).sort(), ['big 0', 'big 1', 'big 2', 'big 3', 'big 4', 'big 5']);
  // spent in the order of the answer's list
  assert.deepEqual(got.slice(0, 2).map((g) => [g.v.value === TEXT + '\n', g.v.isTruncated]), [[true, false], [true, false]], 'the first two whole');
  const cut = got[2].v;
  assert.equal(cut.isTruncated, true);
  assert.equal(Buffer.byteLength(cut.value, 'utf8') <= BODY_BUDGET - 2 * TEXT_BYTES, true);
  assert.ok(cut.value.length > 0 && TEXT.startsWith(cut.value), 'cut on a character boundary');
  assert.deepEqual(got.slice(3).map((g) => g.v), Array(3).fill({ value: '', isEncodingProblem: false, isTruncated: true }));
  const total = got.reduce((n, g) => n + Buffer.byteLength(g.v.value, 'utf8'), 0);
  assert.ok(total <= BODY_BUDGET, `${total} octets of body values`);

  // a client's own maxBodyValueBytes below the budget: every value cut to it, none empty
  const small = values(await api(getAll({ maxBodyValueBytes: 3000 })));
  assert.ok(small.every((g) => g.v.isTruncated && g.v.value.length > 0 && Buffer.byteLength(g.v.value, 'utf8') <= 3000));
  // the budget is per request: the next one starts whole again
  assert.equal(values(await api(getAll({})))[0].v.isTruncated, false);
});

test('Email objects past the response budget: that call is requestTooLarge, the others answer', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  const answer = await api([
    ['Email/query', { accountId: f.accountId }, 'q'],
    ['Email/get', { accountId: f.accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'headers', 'bodyValues'], fetchTextBodyValues: true }, 'g'],
    ['Mailbox/get', { accountId: f.accountId, properties: ['name'] }, 'm'],
  ]);
  assert.equal(answer[1][0], 'error');
  assert.equal(answer[1][1].type, 'requestTooLarge');
  assert.match(String(answer[1][1].description), new RegExp(`would pass ${RESPONSE_BUDGET} octets; ask for fewer ids`));
  assert.equal(answer[2][0], 'Mailbox/get', 'the next call is answered');
  // fewer ids fit
  const few = await api([['Email/query', { accountId: f.accountId, limit: 2 }, 'q'], ['Email/get', { accountId: f.accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'headers'] }, 'g']]);
  assert.equal(few[1][0], 'Email/get');
  assert.equal((few[1][1].list as unknown[]).length, 2);
});

test('Email/parse over an upload is cut by the same budget', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  const raw = message({ subject: 'uploaded', body: TEXT.repeat(3), extra: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'] });
  const up = await curl(`/jmap/upload/${f.accountId}`, raw, 'message/rfc822');
  const blobId = String(up.blobId);
  const answer = await api([['Email/parse', { accountId: f.accountId, blobIds: [blobId, blobId.replace(/.$/, (c) => (c === '0' ? '1' : '0'))], fetchAllBodyValues: true, properties: ['subject', 'bodyValues'] }, 'p']]);
  assert.equal(answer[0][0], 'Email/parse', JSON.stringify(answer[0][1]).slice(0, 300));
  const parsed = (answer[0][1].parsed as Record<string, { subject: string; bodyValues: Record<string, Value> }>)[blobId];
  assert.equal(parsed.subject, 'uploaded');
  const v = Object.values(parsed.bodyValues)[0];
  assert.equal(v.isTruncated, true);
  assert.ok(Buffer.byteLength(v.value, 'utf8') <= BODY_BUDGET && v.value.length > 0);
});
