// The web servers on real HTTPS listeners (port 0), wired as `tegami serve` will wire them, driven with
// curl: anonymous GET / ends in the login page; cookie flags; a whole login, API call and logout; plain
// HTTP on the port gets no HTTP answer at all; and failed web logins count in the throttle IMAP uses,
// so Python's imaplib is then refused too.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { directoryFor } from '../../engine/context.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { startImap, type ImapServer } from '../../engine/imap/server.js';
import { Logger } from '../../engine/log/logger.js';
import { LoginFlow } from '../../engine/net/login.js';
import { MemoryStore } from '../../engine/store/memory-store.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { webDeps } from '../../engine/web/deps.js';
import { startWebServer, type RunningWebServer } from '../../engine/web/server.js';
import { requireCommand } from '../helpers/server.js';
import { PASSWORD } from './helpers.js';

interface Curl {
  code: number | null;
  out: string;
  err: string;
}

/** curl as a child process, asynchronously: the servers under test run in this process's event loop. */
function curl(args: string[]): Promise<Curl> {
  return run('curl', ['-sS', '--max-time', '30', ...args]);
}

function run(cmd: string, args: string[]): Promise<Curl> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args);
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('web servers on HTTPS', () => {
  let dir: string;
  let db: Db;
  let logger: Logger;
  let web: RunningWebServer;
  let webmail: RunningWebServer;
  let imap: ImapServer;
  let base: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-web-https-'));
    const dataDir = path.join(dir, 'data');
    const config = parseConfigText(
      [`hostname = "mx.example.test"`, `data_dir = ${JSON.stringify(dataDir)}`, '[domains]', 'local = ["example.test"]', '[auth]', 'throttle_after = 100', 'block_after = 4', 'block_for = 600', '[log]', 'stdout = false'].join('\n'),
      path.join(dir, 'tegami.toml'),
    );
    db = openDatabase(dataDir);
    const directory = directoryFor(config, db);
    await directory.addUser({ address: 'boss@example.test', password: PASSWORD, fullName: 'Boss', systemAdmin: true });
    await directory.addUser({ address: 'taro@example.test', password: PASSWORD, fullName: '山田太郎' });
    logger = new Logger({ dir: path.join(dataDir, 'logs'), stdout: false });
    const tls = await loadOrCreateCertificate({ dataDir, hostname: 'localhost' });
    // one login flow (and throttle) for every protocol, as engine/server.ts shares it
    const login = LoginFlow.fromConfig(config, directory, logger);
    const wiring = { db, directory, login, dataDir, logger };
    web = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'admin', deps: webDeps({ ...wiring, kind: 'admin' }) });
    webmail = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'webmail', deps: webDeps({ ...wiring, kind: 'webmail' }) });
    imap = await startImap({ listen: '127.0.0.1:0', implicitTls: false, tls, store: new MemoryStore(), directory, config, logger, login });
    base = `https://127.0.0.1:${web.port}`;
  });
  after(async () => {
    await web?.close();
    await webmail?.close();
    await imap?.close();
    await logger?.close();
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens on the port it was given 0 for, and anonymous GET / ends in the login page with 200', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    assert.ok(web.port > 0 && webmail.port > 0 && web.port !== webmail.port);
    const r = await curl(['-k', '-L', '-o', '/dev/null', '-w', '%{http_code} %{num_redirects} %{url_effective}', `${base}/`]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `200 1 ${base}/login`);
    const page = await curl(['-k', '-L', `${base}/`]);
    assert.match(page.out, /<h1>Sign in<\/h1>/);
    const ja = await curl(['-k', '-L', '-H', 'Accept-Language: ja,en;q=0.5', `https://127.0.0.1:${webmail.port}/`]);
    assert.match(ja.out, /<h1>ログイン<\/h1>/);
    assert.match(ja.out, /tegami ウェブメール/);
  });

  it('plain HTTP on the port gets no HTTP answer: the TLS handshake fails, no redirect', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const r = await curl(['-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${web.port}/`]);
    assert.notEqual(r.code, 0, 'curl fails');
    assert.equal(r.out, '000', 'no HTTP status');
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect(web.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      const chunks: Buffer[] = [];
      s.on('data', (c) => chunks.push(c));
      s.on('error', () => resolve(Buffer.concat(chunks)));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.setTimeout(30_000, () => reject(new Error('the server kept a plain-HTTP connection open')));
    });
    assert.ok(!raw.toString('latin1').includes('HTTP/'), `no HTTP in ${JSON.stringify(raw.toString('latin1').slice(0, 80))}`);
    assert.ok(!raw.toString('latin1').toLowerCase().includes('location'));
  });

  it('sets the session cookie Secure; HttpOnly; SameSite=Strict; Path=/ and drives login, API and logout', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const jar = path.join(dir, 'jar.txt');
    const login = await curl(['-k', '-c', jar, '-b', jar, `${base}/login`]);
    const token = /name="_csrf" value="([^"]+)"/.exec(login.out)![1];
    const post = await curl(['-k', '-c', jar, '-b', jar, '-D', '-', '-o', '/dev/null', '--data-urlencode', `login=boss@example.test`, '--data-urlencode', `password=${PASSWORD}`, '--data-urlencode', `_csrf=${token}`, `${base}/login`]);
    assert.match(post.out, /^HTTP\/1\.1 303/);
    const cookie = post.out.split('\r\n').find((l) => /^set-cookie: __Host-tegami-admin=/i.test(l));
    assert.ok(cookie, post.out);
    const attrs = cookie.split(/;\s*/).slice(1).map((a) => a.toLowerCase());
    for (const a of ['secure', 'httponly', 'samesite=strict', 'path=/']) assert.ok(attrs.includes(a), `${a} in ${cookie}`);
    assert.match(post.out, /^strict-transport-security: max-age=/im);

    const home = await curl(['-k', '-b', jar, `${base}/`]);
    assert.match(home.out, /Signed in as Boss \(boss@example\.test\)/);
    const status = JSON.parse((await curl(['-k', '-b', jar, `${base}/api/v1/status`])).out);
    assert.equal(typeof status.version, 'string');
    assert.ok(status.uptimeSeconds >= 0);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(home.out)![1];
    const out = await curl(['-k', '-c', jar, '-b', jar, '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '--data-urlencode', `_csrf=${csrf}`, `${base}/logout`]);
    assert.equal(out.out, `303 ${base}/login?bye=1`);
    assert.equal((await curl(['-k', '-b', jar, '-o', '/dev/null', '-w', '%{http_code}', `${base}/api/v1/status`])).out, '401');
  });

  it('failed web logins count against IMAP: after the block, imaplib is refused with the right password', async (t) => {
    if (!requireCommand(t, 'curl') || !requireCommand(t, 'python3')) return;
    const imapLogin = async () =>
      (await run('python3', ['-c', `import imaplib,sys\nc=imaplib.IMAP4('127.0.0.1', ${imap.port})\ntry:\n  c.login('taro@example.test', sys.argv[1]); print('OK')\nexcept imaplib.IMAP4.error as e:\n  print('NO', e)\n`, PASSWORD])).out.trim();
    assert.equal(await imapLogin(), 'OK', 'IMAP login works before');
    const jar = path.join(dir, 'jar-guess.txt');
    const attempt = async (password: string) => {
      const page = await curl(['-k', '-c', jar, '-b', jar, `https://127.0.0.1:${webmail.port}/login`]);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.out)![1];
      return (await curl(['-k', '-c', jar, '-b', jar, '-o', '/dev/null', '-w', '%{http_code}', '--data-urlencode', 'login=taro@example.test', '--data-urlencode', `password=${password}`, '--data-urlencode', `_csrf=${token}`, `https://127.0.0.1:${webmail.port}/login`])).out;
    };
    for (let i = 0; i < 4; i++) assert.equal(await attempt(`guess-${i}`), '403', `guess ${i}`);
    assert.equal(await attempt(PASSWORD), '429', 'the web itself is blocked, even for the right password');
    assert.match(await imapLogin(), /^NO .*Too many failed logins/, 'and so is IMAP');
  });
});
