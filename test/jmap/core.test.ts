// JMAP core over inject() (RFC 8620): the Session resource (URLs from the request's Host, never the configured
// hostname), credentials (Basic through the shared throttle, Bearer app tokens, the webmail session with its
// CSRF token; 401 never a redirect), request-level problems, method-level errors, back-references with "*",
// creation ids and the request limits the capabilities advertise.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdOf } from '../../engine/jmap/capabilities.js';
import { jmapFixture, PASSWORD, USER, USING, type JmapFixture } from './helpers.js';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture({ limits: { maxCallsInRequest: 5, maxSizeRequest: 20_000, maxObjectsInGet: 3, maxObjectsInSet: 3 } });
});
after(() => f.close());

const core = ['urn:ietf:params:jmap:core'];

test('the Session resource: capabilities and limits as enforced, URLs from the Host header, nothing from hostname', async () => {
  const res = await f.app.inject({ method: 'GET', url: '/.well-known/jmap', headers: { authorization: f.basic(), host: 'webmail.example.jp:8383' } });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['cache-control']), /no-store/);
  const s = res.json();
  assert.deepEqual(Object.keys(s.capabilities).sort(), ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse']);
  assert.equal(s.capabilities['urn:ietf:params:jmap:core'].maxCallsInRequest, 5);
  assert.equal(s.capabilities['urn:ietf:params:jmap:core'].maxObjectsInGet, 3);
  assert.equal(s.apiUrl, 'https://webmail.example.jp:8383/jmap/api');
  assert.equal(s.downloadUrl, 'https://webmail.example.jp:8383/jmap/download/{accountId}/{blobId}/{name}?type={type}');
  assert.equal(s.uploadUrl, 'https://webmail.example.jp:8383/jmap/upload/{accountId}');
  assert.equal(s.eventSourceUrl, 'https://webmail.example.jp:8383/jmap/eventsource?types={types}&closeafter={closeafter}&ping={ping}');
  assert.doesNotMatch(res.body, /mx\.example\.jp/, 'the configured hostname never appears');
  assert.equal(s.username, USER);
  assert.equal(s.primaryAccounts['urn:ietf:params:jmap:mail'], accountIdOf(USER));
  assert.equal(s.accounts[accountIdOf(USER)].accountCapabilities['urn:ietf:params:jmap:mail'].maxMailboxesPerEmail, null);
  // a Host that is not a plain host[:port] gives relative URLs, not an injected origin
  const odd = await f.app.inject({ method: 'GET', url: '/.well-known/jmap', headers: { authorization: f.basic(), host: 'evil.example/"><x' } });
  assert.equal(odd.json().apiUrl, '/jmap/api');
  assert.equal(odd.json().state, s.state, 'the state does not depend on the Host');
});

test('missing or bad credentials get 401 with JSON (never a redirect to the login page)', async () => {
  let n = 0;
  for (const authorization of [undefined, f.basic(USER, 'wrong password'), 'Bearer tgj_nope', 'Digest abc', 'Basic !!!', f.basic('nobody@example.jp')]) {
    for (const [method, url] of [['GET', '/.well-known/jmap'], ['POST', '/jmap/api'], ['GET', '/jmap/eventsource?types=*&closeafter=no&ping=0'], ['POST', `/jmap/upload/${f.accountId}`], ['GET', `/jmap/download/${f.accountId}/Gx/n`]] as const) {
      // each from its own address, so the throttle does not turn these into 429s
      const res = await f.app.inject({ method, url, remoteAddress: `198.51.100.${++n}`, headers: authorization ? { authorization, 'content-type': 'application/json' } : { 'content-type': 'application/json' }, ...(method === 'POST' ? { payload: '{}' } : {}) });
      assert.equal(res.statusCode, 401, `${method} ${url} with ${authorization}: ${res.body}`);
      assert.equal(res.headers.location, undefined);
      assert.match(String(res.headers['content-type']), /json/);
    }
  }
});

test('an account without web access is refused (403), with a right password', async () => {
  const res = await f.app.inject({ method: 'GET', url: '/.well-known/jmap', headers: { authorization: f.basic('noweb@example.jp') } });
  assert.equal(res.statusCode, 403);
});

test('Basic goes through the shared throttle: wrong passwords here block the IP (429) even with the right one', async () => {
  const g = await jmapFixture();
  try {
    for (let i = 0; i < 5; i++) {
      const r = await g.app.inject({ method: 'GET', url: '/.well-known/jmap', remoteAddress: '192.0.2.9', headers: { authorization: g.basic(USER, `guess ${i}`) } });
      assert.equal(r.statusCode, 401);
      if (i === 3) assert.equal(g.throttle.failures('192.0.2.9'), 4, 'the failures are counted in the throttle SMTP, POP3 and IMAP share');
    }
    const blocked = await g.app.inject({ method: 'GET', url: '/.well-known/jmap', remoteAddress: '192.0.2.9', headers: { authorization: g.basic() } });
    assert.equal(blocked.statusCode, 429);
    assert.ok(blocked.headers['retry-after']);
    const elsewhere = await g.app.inject({ method: 'GET', url: '/.well-known/jmap', remoteAddress: '192.0.2.10', headers: { authorization: g.basic() } });
    assert.equal(elsewhere.statusCode, 200);
  } finally {
    await g.close();
  }
});

test('Bearer app tokens: valid ones work, revoked ones do not', async () => {
  const { token, info } = f.svc.tokens.create(USER, 'test client');
  const ok = await f.app.inject({ method: 'GET', url: '/.well-known/jmap', headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().username, USER);
  const api = await f.app.inject({ method: 'POST', url: '/jmap/api', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify({ using: core, methodCalls: [['Core/echo', { hi: 1 }, 'a']] }) });
  assert.equal(api.statusCode, 200, 'a bearer request needs no CSRF token');
  f.svc.tokens.revoke(info.id, USER);
  const gone = await f.app.inject({ method: 'GET', url: '/.well-known/jmap', headers: { authorization: `Bearer ${token}` } });
  assert.equal(gone.statusCode, 401);
});

test('the webmail session works for the API, with its CSRF header on POST; a cross-site POST is refused', async () => {
  const form = await f.app.inject({ method: 'GET', url: '/login' });
  const pre = form.cookies.find((c) => c.name.endsWith('-csrf'))!;
  const field = /name="_csrf" value="([^"]+)"/.exec(form.body)![1];
  const login = await f.app.inject({
    method: 'POST', url: '/login', headers: { cookie: `${pre.name}=${pre.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ login: USER, password: PASSWORD, _csrf: field }).toString(),
  });
  assert.equal(login.statusCode, 303);
  const sid = login.cookies.find((c) => c.name === '__Host-tegami-webmail')!;
  const cookie = `${sid.name}=${sid.value}`;
  const page = await f.app.inject({ method: 'GET', url: '/', headers: { cookie } });
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.body)?.[1] ?? /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  const session = await f.app.inject({ method: 'GET', url: '/.well-known/jmap', headers: { cookie } });
  assert.equal(session.statusCode, 200);
  const payload = JSON.stringify({ using: core, methodCalls: [['Core/echo', { a: 1 }, 'x']] });
  const noToken = await f.app.inject({ method: 'POST', url: '/jmap/api', headers: { cookie, 'content-type': 'application/json' }, payload });
  assert.equal(noToken.statusCode, 403, 'a browser POST without the CSRF header is refused');
  const withToken = await f.app.inject({ method: 'POST', url: '/jmap/api', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, payload });
  assert.equal(withToken.statusCode, 200);
  const crossSite = await f.app.inject({ method: 'POST', url: '/jmap/api', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' }, payload });
  assert.equal(crossSite.statusCode, 403);
  const basicCross = await f.app.inject({ method: 'POST', url: '/jmap/api', headers: { authorization: f.basic(), 'content-type': 'application/json', origin: 'https://evil.example' }, payload });
  assert.equal(basicCross.statusCode, 403, 'Basic credentials a browser cached do not make a cross-origin POST work');
});

async function post(payload: string | Buffer, type = 'application/json') {
  return f.app.inject({ method: 'POST', url: '/jmap/api', headers: { authorization: f.basic(), 'content-type': type }, payload });
}

test('request-level errors are problem details with the RFC 8620 types, never a 500', async () => {
  const cases: [string | Buffer, string, number, string, string?][] = [
    ['{"using": [', 'application/json', 400, 'urn:ietf:params:jmap:error:notJSON'],
    [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'application/json', 400, 'urn:ietf:params:jmap:error:notJSON'],
    ['{"using":[],"methodCalls":[]}', 'text/plain', 400, 'urn:ietf:params:jmap:error:notJSON'],
    ['[1,2]', 'application/json', 400, 'urn:ietf:params:jmap:error:notRequest'],
    ['{"using":"x","methodCalls":[]}', 'application/json', 400, 'urn:ietf:params:jmap:error:notRequest'],
    ['{"using":[],"methodCalls":[["Core/echo",{},1]]}', 'application/json', 400, 'urn:ietf:params:jmap:error:notRequest'],
    ['{"using":["urn:ietf:params:jmap:core"],"methodCalls":[],"createdIds":{"a":5}}', 'application/json', 400, 'urn:ietf:params:jmap:error:notRequest'],
    ['{"using":["urn:ietf:params:jmap:core","urn:example:foo"],"methodCalls":[]}', 'application/json', 400, 'urn:ietf:params:jmap:error:unknownCapability'],
    [JSON.stringify({ using: core, methodCalls: Array.from({ length: 6 }, (_, i) => ['Core/echo', {}, String(i)]) }), 'application/json', 400, 'urn:ietf:params:jmap:error:limit', 'maxCallsInRequest'],
    [JSON.stringify({ using: core, methodCalls: [['Core/echo', { pad: 'x'.repeat(30_000) }, '0']] }), 'application/json', 400, 'urn:ietf:params:jmap:error:limit', 'maxSizeRequest'],
  ];
  for (const [payload, type, status, problem, limit] of cases) {
    const res = await post(payload, type);
    assert.equal(res.statusCode, status, `${String(payload).slice(0, 60)}: ${res.body}`);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    const p = res.json();
    assert.equal(p.type, problem);
    assert.equal(p.status, status);
    if (limit) assert.equal(p.limit, limit);
  }
});

test('maxConcurrentRequests is enforced per account (429 limit problem), and the slots come back', async () => {
  const g = await jmapFixture({ limits: { maxConcurrentRequests: 1 } });
  try {
    const release = g.svc.acquire('api', USER, 1)!; // one request in flight
    const res = await g.app.inject({ method: 'POST', url: '/jmap/api', headers: { authorization: g.basic(), 'content-type': 'application/json' }, payload: JSON.stringify({ using: core, methodCalls: [] }) });
    assert.equal(res.statusCode, 429);
    assert.equal(res.json().limit, 'maxConcurrentRequests');
    release();
    const ok = await g.app.inject({ method: 'POST', url: '/jmap/api', headers: { authorization: g.basic(), 'content-type': 'application/json' }, payload: JSON.stringify({ using: core, methodCalls: [] }) });
    assert.equal(ok.statusCode, 200);
  } finally {
    await g.close();
  }
});

test('Core/echo, back-references with JSON Pointer and "*", and method-level errors in place', async () => {
  const { responses, body } = await f.api(
    [
      ['Core/echo', { hello: true, list: [{ id: 'a', kids: ['x', 'y'] }, { id: 'b', kids: ['z'] }], 'sl/ash': { 'ti~lde': 7 } }, 'e1'],
      ['Core/echo', { '#ids': { resultOf: 'e1', name: 'Core/echo', path: '/list/*/id' }, '#kids': { resultOf: 'e1', name: 'Core/echo', path: '/list/*/kids' }, '#esc': { resultOf: 'e1', name: 'Core/echo', path: '/sl~1ash/ti~0lde' } }, 'e2'],
      ['Core/echo', { '#x': { resultOf: 'nope', name: 'Core/echo', path: '/hello' } }, 'e3'],
      ['Core/echo', { '#x': { resultOf: 'e1', name: 'Mailbox/get', path: '/hello' } }, 'e4'],
      ['Core/echo', { '#x': { resultOf: 'e1', name: 'Core/echo', path: '/missing' } }, 'e5'],
    ],
    { using: core },
  );
  assert.equal(typeof body.sessionState, 'string');
  assert.deepEqual(responses[0], ['Core/echo', { hello: true, list: [{ id: 'a', kids: ['x', 'y'] }, { id: 'b', kids: ['z'] }], 'sl/ash': { 'ti~lde': 7 } }, 'e1']);
  assert.deepEqual(responses[1][1], { ids: ['a', 'b'], kids: ['x', 'y', 'z'], esc: 7 }, '"*" maps over the array and flattens');
  for (const r of responses.slice(2)) assert.deepEqual([r[0], r[1].type], ['error', 'invalidResultReference']);
  const more = await f.api(
    [
      ['Core/echo', { a: 1, '#a': { resultOf: 'x', name: 'y', path: '' } }, 'd'],
      ['Mailbox/get', { accountId: f.accountId }, 'm'],
      ['Nope/get', {}, 'n'],
      ['Core/echo', { ok: true }, 'after'],
    ],
    { using: core },
  );
  const types = more.responses.map((r) => [r[2], r[0] === 'error' ? r[1].type : r[0]]);
  assert.deepEqual(types, [
    ['d', 'invalidArguments'],
    ['m', 'unknownMethod'], // the mail capability is not in "using"
    ['n', 'unknownMethod'],
    ['after', 'Core/echo'], // an error stops nothing after it
  ]);
  const mail = await f.api([
    ['Mailbox/get', { accountId: 'someoneelse' }, 'o'],
    ['Mailbox/get', { accountId: f.accountId, bogus: 1 }, 'p'],
    ['Mailbox/get', { accountId: f.accountId, ids: ['a', 'b', 'c', 'd'] }, 'q'],
    ['Mailbox/get', { accountId: f.accountId, properties: ['nope'] }, 'r'],
  ]);
  assert.deepEqual(mail.responses.map((r) => r[1].type), ['accountNotFound', 'invalidArguments', 'requestTooLarge', 'invalidArguments']);
  const changes = await f.api([
    ['Mailbox/changes', { accountId: f.accountId, sinceState: 'garbage' }, 's'],
    ['Mailbox/changes', { accountId: f.accountId, sinceState: 'x', maxChanges: 0 }, 't'],
    ['Email/changes', { accountId: f.accountId, sinceState: 'zzz-1' }, 'u'],
  ]);
  assert.deepEqual(changes.responses.map((r) => r[1].type), ['cannotCalculateChanges', 'invalidArguments', 'cannotCalculateChanges']);
});

test('maxObjectsInSet and maxObjectsInGet bound one call (requestTooLarge), counting creates, updates and destroys together', async () => {
  const { responses } = await f.api([
    ['Mailbox/set', { accountId: f.accountId, create: { a: { name: 'A1' }, b: { name: 'B1' } }, destroy: ['F1', 'F2'] }, 's'],
    ['Email/get', { accountId: f.accountId, ids: ['M1', 'M2', 'M3', 'M4'] }, 'g'],
    ['Email/import', { accountId: f.accountId, emails: { a: {}, b: {}, c: {}, d: {} } }, 'i'],
  ]);
  assert.deepEqual(responses.map((r) => r[1].type), ['requestTooLarge', 'requestTooLarge', 'requestTooLarge']);
  assert.ok(!(await f.store.listFolders(USER)).includes('A1'), 'nothing of a refused call was done');
});

test('createdIds: given ones are used and returned, new ones added', async () => {
  const { body, responses } = await f.api(
    [
      ['Mailbox/set', { accountId: f.accountId, create: { k1: { name: 'Projects' } } }, 's1'],
      ['Mailbox/set', { accountId: f.accountId, create: { k2: { name: '2025', parentId: '#k1' } } }, 's2'],
      ['Mailbox/get', { accountId: f.accountId, ids: ['#k2'], properties: ['name', 'parentId'] }, 'g'],
    ],
    { createdIds: { earlier: 'F1' } },
  );
  const created = body.createdIds as Record<string, string>;
  assert.equal(created.earlier, 'F1');
  assert.ok(created.k1 && created.k2);
  assert.deepEqual(responses[2][1].list, [{ id: created.k2, name: '2025', parentId: created.k1 }]);
});

test('PushSubscription is refused (forbidden), Blob/copy and Email/copy name no other account', async () => {
  const { responses } = await f.api([
    ['PushSubscription/set', { create: { p: { deviceClientId: 'd', url: 'https://example.net/push', types: null } } }, 'p'],
    ['PushSubscription/get', { ids: null }, 'g'],
    ['Blob/copy', { fromAccountId: 'other', accountId: f.accountId, blobIds: ['x'] }, 'b'],
    ['Email/copy', { fromAccountId: 'other', accountId: f.accountId, create: {} }, 'e'],
    ['Email/copy', { fromAccountId: f.accountId, accountId: f.accountId, create: {} }, 'f'],
  ]);
  assert.equal((responses[0][1].notCreated as Record<string, { type: string }>).p.type, 'forbidden');
  assert.deepEqual(responses[1][1].list, []);
  assert.equal(responses[2][1].type, 'fromAccountNotFound');
  assert.equal(responses[3][1].type, 'fromAccountNotFound');
  assert.equal(responses[4][1].type, 'invalidArguments');
});

test('the capabilities follow the deployment: no queue, no submission capability', async () => {
  const g = await jmapFixture({ submit: null });
  try {
    const s = (await g.app.inject({ method: 'GET', url: '/.well-known/jmap', headers: { authorization: g.basic() } })).json();
    assert.equal(s.capabilities['urn:ietf:params:jmap:submission'], undefined);
    const r = await g.app.inject({ method: 'POST', url: '/jmap/api', headers: { authorization: g.basic(), 'content-type': 'application/json' }, payload: JSON.stringify({ using: USING, methodCalls: [] }) });
    assert.equal(r.json().type, 'urn:ietf:params:jmap:error:unknownCapability');
  } finally {
    await g.close();
  }
});

test('an API POST with no body at all is notJSON, an upload with none is an empty blob', async () => {
  const api = await f.app.inject({ method: 'POST', url: '/jmap/api', headers: { authorization: f.basic(), 'content-type': 'application/json' } });
  assert.equal(api.statusCode, 400);
  assert.equal(api.json().type, 'urn:ietf:params:jmap:error:notJSON');
  const up = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic() } });
  assert.equal(up.statusCode, 201);
  assert.equal(up.json().size, 0);
});

test('hostile arguments to every method give method errors or SetErrors, never serverFail or an HTTP error', async () => {
  const { METHODS } = await import('../../engine/jmap/methods/index.js');
  const junk: unknown[] = [null, 1, -1, 1.5, 'x', '', true, [], {}, [null], [1], { a: null }, 'x'.repeat(300), ['#nope'], { '#x': true }, { operator: 'AND', conditions: [{ operator: 'OR' }] }];
  const argNames = ['ids', 'properties', 'bodyProperties', 'filter', 'sort', 'position', 'anchor', 'limit', 'sinceState', 'sinceQueryState', 'maxChanges', 'create', 'update', 'destroy', 'ifInState', 'emails', 'blobIds', 'emailIds', 'fromAccountId', 'onSuccessUpdateEmail', 'maxBodyValueBytes', 'collapseThreads'];
  const g = await jmapFixture({ limits: { maxObjectsInGet: 50, maxObjectsInSet: 50 } });
  try {
    let n = 0;
    for (const name of Object.keys(METHODS)) {
      for (const arg of argNames) {
        const calls = junk.map((v, i) => [name, { accountId: g.accountId, [arg]: v }, `c${i}`]);
        for (let k = 0; k < calls.length; k += 8) {
          const r = await g.api(calls.slice(k, k + 8));
          assert.equal(r.res.statusCode, 200, `${name} ${arg}: ${r.res.body.slice(0, 200)}`);
          for (const [rn, ra] of r.responses) {
            n++;
            assert.ok(!(rn === 'error' && ra.type === 'serverFail'), `${name} with ${arg}: serverFail`);
          }
        }
      }
    }
    assert.ok(n > 1000);
  } finally {
    await g.close();
  }
});

test('a remembered Basic login ends with a password change: the old password is refused at once, the new one works', async () => {
  const g = await jmapFixture();
  try {
    const get = (authorization: string) => g.app.inject({ method: 'GET', url: '/.well-known/jmap', remoteAddress: '192.0.2.20', headers: { authorization } });
    assert.equal((await get(g.basic())).statusCode, 200);
    assert.equal((await get(g.basic())).statusCode, 200, 'remembered');
    const changed = await g.directory.changePassword(USER, null, '新しい合言葉 new-pass-2', { by: 'admin' });
    assert.equal(changed.ok, true);
    assert.equal((await get(g.basic())).statusCode, 401, 'the old password no longer opens the API');
    assert.equal((await get(g.basic(USER, '新しい合言葉 new-pass-2'))).statusCode, 200);
  } finally {
    await g.close();
  }
});
