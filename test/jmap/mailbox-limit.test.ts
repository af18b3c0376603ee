// The folder limit over JMAP (curl over a loopback socket) and the webmail's folders page: a Mailbox/set create
// past the account's limit ([accounts] max_folders → maxMailboxesPerAccount) is notCreated with overQuota
// (RFC 8620 §5.3: a server-defined limit on the number of objects of this type), the other creates of the same
// call as room allows; the webmail says so in the page's language.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { jmapFixture, PASSWORD, USER, USING, type JmapFixture } from './helpers.js';
import { Browser } from '../web/helpers.js';
import { requireCommand } from '../helpers/server.js';

let f: JmapFixture;
let base: string;

before(async () => {
  f = await jmapFixture({ limits: { maxMailboxesPerAccount: 8 }, webmail: true });
  await f.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
});
after(() => f?.close());

function api(calls: unknown[]): Promise<[string, Record<string, unknown>, string][]> {
  return new Promise((resolve, reject) => {
    const child = execFile('curl', ['-sS', '--fail-with-body', '-u', `${USER}:${PASSWORD}`, '-H', 'Content-Type: application/json', '--data-binary', '@-', `${base}/jmap/api`], { timeout: 60_000 }, (err, out, errOut) => {
      if (err) reject(new Error(`${err.message} ${errOut} ${out}`));
      else resolve((JSON.parse(out) as { methodResponses: [string, Record<string, unknown>, string][] }).methodResponses);
    });
    child.stdin!.end(JSON.stringify({ using: USING, methodCalls: calls }));
  });
}

test('Mailbox/set create past the limit is overQuota; the creates before it are made', async (t) => {
  if (!requireCommand(t, 'curl')) return;
  const [[, got]] = await api([['Mailbox/get', { accountId: f.accountId, properties: ['name'] }, 'g']]);
  const start = (got.list as unknown[]).length;
  assert.ok(start < 8, `${start} mailboxes at the start`);
  const create = Object.fromEntries(Array.from({ length: 10 - start }, (_, i) => [`m${i}`, { name: `フォルダ${i}` }]));
  const [[name, set]] = await api([['Mailbox/set', { accountId: f.accountId, create }, 's']]);
  assert.equal(name, 'Mailbox/set');
  assert.equal(Object.keys(set.created as object).length, 8 - start, 'made up to the limit');
  const refused = set.notCreated as Record<string, { type: string; description: string }>;
  assert.deepEqual(Object.keys(refused).sort(), [`m${9 - start}`, `m${8 - start}`].sort());
  for (const e of Object.values(refused)) assert.deepEqual(e, { type: 'overQuota', description: 'an account keeps at most 8 mailboxes' });
  const [[, after]] = await api([['Mailbox/get', { accountId: f.accountId, properties: ['name'] }, 'g']]);
  assert.equal((after.list as unknown[]).length, 8);
});

test('the webmail folders page says the limit in Japanese and English', async () => {
  for (const [lang, text] of [
    ['ja', 'フォルダは 1 アカウントあたり 8 個までです。先にどれかを削除してください。'],
    ['en', 'An account keeps at most 8 folders: delete one first.'],
  ] as const) {
    const b = new Browser(f.app, { 'accept-language': lang });
    assert.equal((await b.login(USER, PASSWORD)).statusCode, 303);
    await b.get('/folders');
    const r = await b.post('/folders/create', { name: `もう一つ-${lang}` });
    assert.equal(r.statusCode, 400);
    assert.ok(r.body.includes(`<p class="error" role="alert">${text}</p>`), r.body.slice(0, 2000));
  }
});
