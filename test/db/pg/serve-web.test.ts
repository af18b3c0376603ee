// Web sessions and JMAP objects on [storage] backend = "postgres" (engine/web/pg-session-store.ts,
// engine/jmap/pg-object-store.ts): two `serve` nodes on one cluster behind no load balancer but curl's cookie jar,
// which sends the cookie node A set to node B as a browser would behind one name. A session made by signing in on
// node A is valid on node B; logging out on A ends it on B at once; a password set through A's admin API ends the
// user's webmail session on B. An identity made with Identity/set on A is listed by Identity/get on B, with the
// same state string and B's Identity/changes naming it; destroyed on B, it is gone on A; an event source open on B
// hears of an identity made on A (by NOTIFY, well before push's own 60-s look). A message uploaded to A (ISO-2022-JP)
// is parsed by Email/parse and downloaded on B. With the database away a page
// answers 503 (the session cannot be read), and the same session works when it is back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { encodedWord, toIso2022jp } from '../../spam/mail.js';
import { accountIdOf } from '../../../engine/jmap/capabilities.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../../helpers/postgres.js';
import { requireCommand, run, startTestServer, type TestServer } from '../../helpers/server.js';
import { until } from './shared-mail.js';
import { copyKeys } from './pg-node.js';

const skip = process.env.TEGAMI_TEST_DIRECTORY !== 'postgres' ? 'runs with npm run test:postgres (TEGAMI_TEST_DIRECTORY=postgres)' : postgresUnavailable();
const BOSS = 'boss@example.test';
const BOSS_PW = 'boss password 1';
const ALICE = 'alice@example.test';
const ALICE_PW = 'alice password 1';
const CAROL = 'carol@example.test';
const CAROL_PW = 'carol password 1';
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'];

const nodeToml = (url: string, node: string) =>
  ['[storage]', 'backend = "postgres"', `url = ${JSON.stringify(url)}`, 'tls = "disable"', 'pool_size = 3', `node_name = "${node}"`, '[spam]', 'enabled = false'].join('\n');

describe('web sessions and JMAP objects shared by every node on PostgreSQL', { skip: skip ?? false, timeout: 180_000 }, () => {
  let cluster: PgCluster;
  let a: TestServer;
  let b: TestServer;
  let db: pg.Client;
  let dirB = '';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgweb-'));

  before(async () => {
    cluster = await startPostgres('tegami_serve_web');
    a = await startTestServer({
      listeners: ['admin', 'webmail'],
      hostname: 'a.example.test',
      toml: nodeToml(cluster.url, 'node-a'),
      users: [
        { address: BOSS, password: BOSS_PW, admin: true },
        { address: ALICE, password: ALICE_PW },
        { address: CAROL, password: CAROL_PW },
      ],
    });
    // node B holds the same sealing key as node A (docs/scale-out.md, "Keys")
    dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-pgweb-b-'));
    copyKeys(a.dataDir, dirB);
    b = await startTestServer({ dataDir: dirB, listeners: ['admin', 'webmail'], hostname: 'b.example.test', toml: nodeToml(cluster.url, 'node-b') });
    db = new pg.Client({ connectionString: cluster.url });
    db.on('error', () => undefined); // the last case halts the cluster under it
    await db.connect();
  });
  after(async () => {
    await db?.end().catch(() => undefined);
    await a?.stop();
    await b?.stop();
    await cluster?.stop();
    if (dirB) fs.rmSync(dirB, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const url = (node: TestServer, kind: 'admin' | 'webmail', p: string) => `https://127.0.0.1:${node.ports[kind]}${p}`;

  /** GET with the jar: the status and where a redirect points ("" when none). */
  async function visit(jar: string, node: TestServer, kind: 'admin' | 'webmail', p: string): Promise<{ status: number; location: string; body: string }> {
    const r = await run('curl', ['-sk', '-c', jar, '-b', jar, '-w', '\n%{http_code} %{redirect_url}', url(node, kind, p)]);
    const nl = r.stdout.lastIndexOf('\n');
    const [status, location = ''] = r.stdout.slice(nl + 1).split(' ');
    return { status: Number(status), location, body: r.stdout.slice(0, nl) };
  }

  const csrfOf = (html: string): string => {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    assert.ok(m, `a form with a CSRF token in: ${html.slice(0, 300)}`);
    return m[1];
  };

  async function post(jar: string, node: TestServer, kind: 'admin' | 'webmail', p: string, fields: Record<string, string>): Promise<{ status: number; location: string }> {
    const data = Object.entries(fields).flatMap(([k, v]) => ['--data-urlencode', `${k}=${v}`]);
    const r = await run('curl', ['-sk', '-c', jar, '-b', jar, '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', ...data, url(node, kind, p)]);
    const [status, location = ''] = r.stdout.trim().split(' ');
    return { status: Number(status), location };
  }

  /** Sign in on one node with a fresh jar (the login form's CSRF token, then the form). */
  async function signIn(name: string, node: TestServer, kind: 'admin' | 'webmail', login: string, password: string): Promise<string> {
    const jar = path.join(tmp, `${name}.jar`);
    const form = await visit(jar, node, kind, '/login');
    const r = await post(jar, node, kind, '/login', { _csrf: csrfOf(form.body), login, password });
    assert.equal(r.status, 303, `signed in on ${kind}`);
    assert.doesNotMatch(r.location, /\/login/, 'not sent back to the login form');
    return jar;
  }

  const signedIn = (r: { status: number; location: string }) => r.status === 200 && !/\/login/.test(r.location);

  it('an admin session made on node A is valid on node B; logging out on A ends it on B', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const jar = await signIn('boss', a, 'admin', BOSS, BOSS_PW);
    assert.ok(signedIn(await visit(jar, a, 'admin', '/')), 'the dashboard on node A');
    const onB = await visit(jar, b, 'admin', '/');
    assert.ok(signedIn(onB), `node B knows the session node A made: ${onB.status} ${onB.location}`);
    assert.equal((await db.query('SELECT 1 FROM web_sessions WHERE address = $1 AND kind = $2', [BOSS, 'admin'])).rowCount, 1, 'one shared row');
    // a state-changing request on B carries the CSRF token of the shared session (the page B served holds it)
    const lang = await post(jar, b, 'admin', '/lang', { _csrf: csrfOf(onB.body), lang: 'ja', back: '/' });
    assert.equal(lang.status, 303);
    const out = await post(jar, a, 'admin', '/logout', { _csrf: csrfOf((await visit(jar, a, 'admin', '/')).body) });
    assert.equal(out.status, 303);
    const after = await visit(jar, b, 'admin', '/');
    assert.ok(!signedIn(after), `node B refuses the session logged out on A: ${after.status} ${after.location}`);
    assert.equal((await db.query('SELECT 1 FROM web_sessions WHERE address = $1', [BOSS])).rowCount, 0);
  });

  it("a password set through node A's admin API ends the user's webmail session on node B", async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const jar = await signIn('alice-web', b, 'webmail', ALICE, ALICE_PW);
    assert.ok(signedIn(await visit(jar, b, 'webmail', '/mail')), 'the webmail on node B');
    assert.ok(signedIn(await visit(jar, a, 'webmail', '/mail')), 'and on node A with the same cookie');
    const tok = a.cli(['admin', 'token', 'create', BOSS]);
    assert.equal(tok.status, 0, tok.stderr);
    const set = await run('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Authorization: Bearer ${tok.stdout.trim()}`, '-H', 'Content-Type: application/json', '--data', JSON.stringify({ password: 'alice password 2' }), url(a, 'admin', `/api/v1/users/${ALICE}/password`)]);
    assert.equal(set.stdout, '204', 'the password is set');
    const r = await visit(jar, b, 'webmail', '/mail');
    assert.ok(!signedIn(r), `node B ended the session at once: ${r.status} ${r.location}`);
  });

  /** One JMAP request as carol (HTTP Basic, as a JMAP client that is not the webmail page would send). */
  async function jmap(node: TestServer, calls: unknown[]): Promise<[string, Record<string, any>, string][]> {
    const r = await run('curl', ['-sk', '-u', `${CAROL}:${CAROL_PW}`, '-H', 'Content-Type: application/json', '--data', JSON.stringify({ using: USING, methodCalls: calls }), url(node, 'webmail', '/jmap/api')]);
    const body = JSON.parse(r.stdout) as { methodResponses: [string, Record<string, any>, string][] };
    assert.ok(Array.isArray(body.methodResponses), r.stdout);
    return body.methodResponses;
  }

  it('an identity made with Identity/set on node A is on node B, with the same state and change log', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const accountId = accountIdOf(CAROL);
    const [[, first]] = await jmap(b, [['Identity/get', { accountId, ids: null }, 'g0']]);
    const before = first.state as string;
    assert.equal(first.list.length, 1, 'the default identity');
    const [[name, set]] = await jmap(a, [['Identity/set', { accountId, create: { n1: { name: '山田 花子', email: CAROL, textSignature: '-- \n山田 花子（営業部）' } } }, 's1']]);
    assert.equal(name, 'Identity/set', JSON.stringify(set));
    const id = set.created?.n1?.id as string;
    assert.ok(id, JSON.stringify(set));
    const [[, onB]] = await jmap(b, [['Identity/get', { accountId, ids: null }, 'g1']]);
    const made = (onB.list as { id: string; name: string; textSignature: string }[]).find((i) => i.id === id);
    assert.ok(made, `node B lists the identity made on node A: ${JSON.stringify(onB)}`);
    assert.equal(made.name, '山田 花子');
    assert.equal(made.textSignature, '-- \n山田 花子（営業部）');
    assert.equal(onB.state, set.newState, 'one state string on both nodes');
    const [[, changes]] = await jmap(b, [['Identity/changes', { accountId, sinceState: before }, 'c1']]);
    assert.deepEqual(changes.created, [id], JSON.stringify(changes));
    assert.equal(changes.newState, set.newState);
    const [[, gone]] = await jmap(b, [['Identity/set', { accountId, destroy: [id] }, 'd1']]);
    assert.deepEqual(gone.destroyed, [id], JSON.stringify(gone));
    const [[, onA]] = await jmap(a, [['Identity/get', { accountId, ids: [id] }, 'g2']]);
    assert.deepEqual(onA.notFound, [id], 'destroyed on B, gone on A');
    assert.equal(onA.state, gone.newState);
  });

  it('a blob uploaded to node A is read on node B (Email/parse, download)', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const accountId = accountIdOf(CAROL);
    const subject = '会議の議事録（第３回）';
    const raw = Buffer.concat([
      Buffer.from(`From: ${encodedWord('山田', 'ISO-2022-JP')} <yamada@example.test>\r\nTo: ${CAROL}\r\nSubject: ${encodedWord(subject, 'ISO-2022-JP')}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n`),
      toIso2022jp('添付の議事録をご確認ください。\r\n'),
    ]);
    const file = path.join(tmp, 'upload.eml');
    fs.writeFileSync(file, raw);
    const up = await run('curl', ['-sk', '-u', `${CAROL}:${CAROL_PW}`, '-H', 'Content-Type: message/rfc822', '--data-binary', `@${file}`, url(a, 'webmail', `/jmap/upload/${accountId}`)]);
    const blob = JSON.parse(up.stdout) as { blobId: string; size: number };
    assert.equal(blob.size, raw.length, up.stdout);
    const [[, parsed]] = await jmap(b, [['Email/parse', { accountId, blobIds: [blob.blobId], properties: ['subject'] }, 'p1']]);
    assert.equal(parsed.parsed?.[blob.blobId]?.subject, subject, `node B reads the upload node A stored: ${JSON.stringify(parsed)}`);
    const out = path.join(tmp, 'download.eml');
    const dl = await run('curl', ['-sk', '-u', `${CAROL}:${CAROL_PW}`, '-o', out, '-w', '%{http_code}', url(b, 'webmail', `/jmap/download/${accountId}/${blob.blobId}/m.eml`)]);
    assert.equal(dl.stdout, '200');
    assert.ok(fs.readFileSync(out).equals(raw), 'the same bytes');
  });

  it("node B's JMAP push tells of an identity made on node A", async () => {
    const chunks: string[] = [];
    let req: ReturnType<typeof https.get> | undefined;
    const text = () => chunks.join('');
    const stream = new Promise<void>((resolve, reject) => {
      req = https.get(url(b, 'webmail', '/jmap/eventsource?types=Identity&closeafter=state&ping=0'), { rejectUnauthorized: false, headers: { authorization: 'Basic ' + Buffer.from(`${CAROL}:${CAROL_PW}`).toString('base64') } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.setEncoding('utf8');
        res.on('data', (d: string) => chunks.push(d));
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    try {
      await until('the event source ready on node B', () => text().includes(': ready'), 120_000);
      const [[, set]] = await jmap(a, [['Identity/set', { accountId: accountIdOf(CAROL), create: { p1: { name: 'プッシュ', email: CAROL } } }, 'p1']]);
      assert.ok(set.created?.p1, JSON.stringify(set));
      // generous, yet below push's own 60-s look: only the notification from node A's write can bring it this soon
      // (this bound is part of the check: at 60 s or more the backstop alone would pass it)
      await until('a StateChange for Identity on node B', () => /event: state/.test(text()), 45_000);
      const data = JSON.parse(/data: (.*)/.exec(text().slice(text().indexOf('event: state')))![1]) as { changed: Record<string, { Identity?: string }> };
      assert.equal(data.changed[accountIdOf(CAROL)]?.Identity, set.newState, 'the state node A answered');
      await stream; // closeafter=state: the server ends the stream
    } finally {
      req?.destroy();
    }
  });

  it('with the database away a signed-in page answers 503 with Retry-After, and works again when it returns', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const jar = await signIn('boss-away', a, 'admin', BOSS, BOSS_PW);
    await cluster.halt();
    try {
      const r = await run('curl', ['-sk', '-b', jar, '-D', '-', '-o', '/dev/null', url(b, 'admin', '/')]);
      assert.match(r.stdout, /^HTTP\/[\d.]+ 503/, r.stdout);
      assert.match(r.stdout, /^retry-after: 5\r?$/im);
    } finally {
      await cluster.resume();
    }
    await until('the session valid on node B again', async () => signedIn(await visit(jar, b, 'admin', '/')), 120_000);
  });
});
