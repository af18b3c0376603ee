// Security headers on every answer (pages, API, errors, 404s, static files), a CSP that forbids inline
// script and style, pages that need none, no caching of authenticated pages, body limits, schema
// validation, and errors as JSON for the API and as a page for HTML.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Browser, cookieHeader, csrfField, FORM, form, webFixture, type Fixture } from './helpers.js';

function parseCsp(h: unknown): Map<string, string> {
  return new Map(String(h).split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1).join(' ')]));
}

function assertSecurityHeaders(r: Pick<LightMyRequestResponse, 'headers'>, what: string): void {
  const csp = parseCsp(r.headers['content-security-policy']);
  assert.equal(csp.get('default-src'), "'none'", what);
  assert.equal(csp.get('script-src'), "'self'", what);
  assert.equal(csp.get('style-src'), "'self'", what);
  assert.equal(csp.get('img-src'), "'self' data:", what);
  assert.equal(csp.get('form-action'), "'self'", what);
  assert.equal(csp.get('frame-ancestors'), "'none'", what);
  assert.equal(csp.get('base-uri'), "'none'", what);
  for (const [k, v] of csp) assert.doesNotMatch(v, /unsafe-inline|unsafe-eval|\*|https?:/, `${what}: ${k} ${v}`);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  assert.match(String(r.headers['strict-transport-security']), /^max-age=\d{8,}/, what);
  assert.equal(r.headers['referrer-policy'], 'same-origin', what);
  assert.equal(r.headers['x-frame-options'], 'DENY', what);
}

/** One raw request to a listening app; the whole answer until the server closes, split into status, headers, body. */
function rawExchange(port: number, request: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(request));
    let text = '';
    sock.setEncoding('latin1').on('data', (c: string) => (text += c));
    sock.on('error', reject).on('close', () => {
      const [head, ...rest] = text.split('\r\n\r\n');
      const [line, ...fields] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const f of fields) headers[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
      resolve({ status: Number(line.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/**
 * Send the head of a request whose body is far from all sent; resolve with the answer's head, and whether the server
 * then ended the connection (waited for only when the answer says it closes, so the old code fails, not hangs).
 */
function answerBeforeBody(port: number, head: string, sent = 'x'.repeat(1024)): Promise<{ status: number; connection: string; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(head + sent));
    let text = '';
    let answered: { status: number; connection: string } | null = null;
    sock.setEncoding('latin1').on('error', reject);
    sock.on('data', (c: string) => {
      text += c;
      if (answered || !text.includes('\r\n\r\n')) return;
      const [line, ...fields] = text.split('\r\n\r\n')[0].split('\r\n');
      const connection = fields.find((f) => /^connection:/i.test(f))?.split(':')[1].trim().toLowerCase() ?? '';
      answered = { status: Number(line.split(' ')[1]), connection };
      if (connection !== 'close') {
        sock.destroy();
        resolve({ ...answered, ended: false });
      }
    });
    sock.on('end', () => {
      if (answered) resolve({ ...answered, ended: true });
    });
  });
}

/** No inline script, no inline style, no event-handler attribute: the pages need nothing the CSP forbids. */
function assertNoInline(body: string, what: string): void {
  for (const m of body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    assert.match(m[1], /\bsrc="\/static\//, `${what}: script without src`);
    assert.equal(m[2].trim(), '', `${what}: inline script`);
  }
  assert.doesNotMatch(body, /<style\b/i, `${what}: <style>`);
  assert.doesNotMatch(body, /\sstyle\s*=/i, `${what}: style attribute`);
  assert.doesNotMatch(body, /\son[a-z]+\s*=/i, `${what}: event handler attribute`);
  assert.doesNotMatch(body, /javascript:/i, what);
}

describe('headers, limits and errors', () => {
  let f: Fixture;
  let admin: FastifyInstance;
  let webmail: FastifyInstance;
  let b: Browser;
  before(async () => {
    f = await webFixture();
    admin = await f.app('admin');
    webmail = await f.app('webmail');
    b = new Browser(admin);
    await b.login('admin@example.com');
  });
  after(() => f.close());

  it('every kind of answer carries the CSP and the other security headers', async () => {
    const answers: [string, LightMyRequestResponse][] = [
      ['login page', await admin.inject('/login')],
      ['redirect', await admin.inject('/')],
      ['dashboard', await b.get('/')],
      ['domains page', await b.get('/domains')],
      ['API', await b.get('/api/v1/status')],
      ['API 401', await admin.inject('/api/v1/status')],
      ['404 page', await b.get('/nowhere')],
      ['404 API', await b.get('/api/v1/nowhere')],
      ['static', await admin.inject('/static/web.js')],
      ['webmail login', await webmail.inject('/login')],
      ['415', await admin.inject({ method: 'POST', url: '/login', payload: 'x', headers: { 'content-type': 'text/plain' } })],
    ];
    for (const [what, r] of answers) assertSecurityHeaders(r, `${what} (${r.statusCode})`);
  });

  it('a refusal sent before the body came in whole ends the connection (the rest is not read and discarded)', async () => {
    const app = await f.app('admin');
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as net.AddressInfo).port;
    try {
      const head = (path: string, type: string, length: number) => `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n\r\n`;
      // within the body limit (refused by the guard, by the media type) and over it (refused by the limit)
      for (const [path, type, length, status] of [
        ['/api/v1/tokens', 'application/json', 60_000, 401],
        ['/login', 'text/plain', 60_000, 415],
        ['/login', 'application/x-www-form-urlencoded', 1_000_000_000, 413],
      ] as const) {
        const r = await answerBeforeBody(port, head(path, type, length));
        assert.deepEqual(r, { status, connection: 'close', ended: true }, `${path} ${type}`);
      }
      // a request sent whole keeps its connection
      const whole = await answerBeforeBody(port, 'GET /login HTTP/1.1\r\nHost: x\r\n\r\n', '');
      assert.deepEqual(whole, { status: 200, connection: 'keep-alive', ended: false });
    } finally {
      await app.close();
    }
  });

  it('what the HTTP parser refuses before any route (bad framing, headers too large) carries them too', async () => {
    for (const kind of ['admin', 'webmail'] as const) {
      const app = await f.app(kind);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.address() as net.AddressInfo).port;
      try {
        const cases: [string, number, string][] = [
          ['headers too large', 431, `GET /login HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
          ['length and chunked', 400, 'POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'],
          ['not HTTP', 400, '<script>alert(1)</script>\r\n\r\n'],
        ];
        for (const [what, status, request] of cases) {
          const r = await rawExchange(port, request);
          assert.equal(r.status, status, `${kind} ${what}`);
          assertSecurityHeaders(r, `${kind} ${what}`);
          assert.match(r.headers['cache-control'] ?? '', /no-store/, `${kind} ${what}`);
          assert.equal(r.headers.connection, 'close', `${kind} ${what}`);
          assert.doesNotMatch(r.body, /script|a{100}/, `${kind} ${what}: nothing of the request is echoed`);
          assert.equal(JSON.parse(r.body).statusCode, status, `${kind} ${what}`);
        }
      } finally {
        await app.close();
      }
    }
  });

  it('pages hold no inline script, style or event handler', async () => {
    const ja = new Browser(admin, { 'accept-language': 'ja' });
    const jaLogin = (await ja.get('/login')).body;
    await ja.login('host@example.org');
    const pages: [string, string][] = [
      ['login', (await admin.inject('/login')).body],
      ['login ja', jaLogin],
      ['dashboard', (await b.get('/')).body],
      ['dashboard ja', (await ja.get('/')).body],
      ['domains', (await b.get('/domains')).body],
      ['404', (await b.get('/nowhere')).body],
      ['webmail login', (await webmail.inject('/login')).body],
    ];
    for (const [what, body] of pages) {
      assert.match(body, /^<!doctype html>/, what);
      assertNoInline(body, what);
    }
  });

  it('authenticated pages and API answers are never cached; static files are', async () => {
    for (const url of ['/', '/domains', '/api/v1/status', '/login']) {
      const r = await b.get(url);
      assert.match(String(r.headers['cache-control']), /no-store/, url);
    }
    const js = await admin.inject('/static/web.js');
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.match(String(js.headers['cache-control']), /^public, max-age=\d+/);
    const again = await admin.inject({ url: '/static/web.js', headers: { 'if-none-match': String(js.headers.etag) } });
    assert.equal(again.statusCode, 304);
    for (const bad of ['/static/../app.js', '/static/%2e%2e%2fapp.js', '/static/nope.js', '/static/web.js%00.png']) {
      assert.equal((await admin.inject(bad)).statusCode, 404, bad);
    }
  });

  it('bounds request bodies on every route: 413 as JSON for the API, as a page for forms', async () => {
    await b.get('/');
    const token = csrfField(b.lastPage);
    const big = 'x'.repeat(70 * 1024);
    const api = await admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: JSON.stringify({ label: big }), headers: { cookie: cookieHeader(b.jar), 'x-csrf-token': token, 'content-type': 'application/json' } });
    assert.equal(api.statusCode, 413);
    assert.equal(api.json().error, 'too-large');
    const page = await admin.inject({ method: 'POST', url: '/login', payload: form({ login: big, password: 'x', _csrf: token }), headers: { 'content-type': FORM } });
    assert.equal(page.statusCode, 413);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /The request is too large/);
  });

  it('validates API input against the route schema: unknown or mistyped fields are a 400 in JSON', async () => {
    await b.get('/');
    const token = csrfField(b.lastPage);
    const post = (payload: unknown) => admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: payload as object, headers: { cookie: cookieHeader(b.jar), 'x-csrf-token': token } });
    for (const payload of [{ label: 'a', admin: true }, { label: 42 }, { label: 'x'.repeat(101) }]) {
      const r = await post(payload);
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.equal(r.json().error, 'invalid');
      assert.match(r.json().detail, /body/);
      assert.equal(r.json().fields.length, 1);
      assert.equal(r.json().message, r.json().fields[0].message);
    }
    assert.equal((await admin.inject({ url: '/api/v1/tokens/abc', method: 'DELETE', headers: { cookie: cookieHeader(b.jar), 'x-csrf-token': token } })).statusCode, 400);
    const login = await b.post('/login', { login: 'a', password: 'b', extra: 'c' });
    assert.equal(login.statusCode, 400);
    assert.match(String(login.headers['content-type']), /^text\/html/);
  });

  it('answers API errors in JSON and page errors as pages, without stack traces', async () => {
    const api = await b.get('/api/v1/nowhere');
    assert.equal(api.statusCode, 404);
    assert.deepEqual(Object.keys(api.json()).sort(), ['detail', 'error', 'message']);
    const page = await b.get('/nowhere');
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /There is no such page/);
    const broken = await admin.inject({ method: 'POST', url: '/api/v1/tokens', payload: '{"label":', headers: { authorization: `Bearer ${f.deps.tokens.create('admin@example.com').token}`, 'content-type': 'application/json' } });
    assert.equal(broken.statusCode, 400);
    assert.doesNotMatch(broken.body, /at .*\.js:\d+/);
  });
});
