// The web side of the A2 settings over real HTTPS, driven with curl: "web access" off refuses the webmail login
// (and `--web-access` gives it back), a disabled account is refused on the webmail and on the admin server, and
// a host admin of one domain may sign in to the admin server and sees that domain only.
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { directoryFor } from '../../engine/context.js';
import { openDatabase, type Db } from '../../engine/db/database.js';
import type { SqliteDirectory } from '../../engine/accounts/sqlite-directory.js';
import { Logger } from '../../engine/log/logger.js';
import { LoginFlow } from '../../engine/net/login.js';
import { loadOrCreateCertificate } from '../../engine/tls/certificate.js';
import { webDeps } from '../../engine/web/deps.js';
import { startWebServer, type RunningWebServer } from '../../engine/web/server.js';
import { requireCommand, run } from '../helpers/server.js';

const PW = 'web-secret-1';
let dir: string;
let db: Db;
let directory: SqliteDirectory;
let logger: Logger;
let webmail: RunningWebServer;
let admin: RunningWebServer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-web-access-'));
  const dataDir = path.join(dir, 'data');
  const config = parseConfigText(
    [`hostname = "mx.example.test"`, `data_dir = ${JSON.stringify(dataDir)}`, '[domains]', 'local = ["example.test", "other.test"]', '[auth]', 'throttle_after = 100', 'block_after = 100', '[log]', 'stdout = false'].join('\n'),
    path.join(dir, 'tegami.toml'),
  );
  db = openDatabase(dataDir);
  directory = directoryFor(config, db);
  await directory.addUser({ address: 'taro@example.test', password: PW, fullName: '山田太郎' });
  await directory.addUser({ address: 'hana@example.test', password: PW, hostAdminOf: ['other.test'] });
  logger = new Logger({ dir: path.join(dataDir, 'logs'), stdout: false });
  const tls = await loadOrCreateCertificate({ dataDir, hostname: 'localhost' });
  const wiring = { db, directory, login: LoginFlow.fromConfig(config, directory, logger), dataDir, logger };
  webmail = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'webmail', deps: webDeps({ ...wiring, kind: 'webmail' }) });
  admin = await startWebServer({ listen: '127.0.0.1:0', tls, kind: 'admin', deps: webDeps({ ...wiring, kind: 'admin' }) });
});

after(async () => {
  await webmail?.close();
  await admin?.close();
  await logger?.close();
  db?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const curl = (args: string[]) => run('curl', ['-sS', '--max-time', '30', '-k', ...args]);

/** A whole login with curl (the login page's CSRF token, then the POST): the HTTP status of the POST. */
async function login(server: RunningWebServer, who: string, jar: string): Promise<string> {
  const base = `https://127.0.0.1:${server.port}`;
  const page = await curl(['-c', jar, '-b', jar, `${base}/login`]);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.stdout)?.[1];
  assert.ok(token, page.stdout);
  const r = await curl(['-c', jar, '-b', jar, '-o', '/dev/null', '-w', '%{http_code}', '--data-urlencode', `login=${who}`, '--data-urlencode', `password=${PW}`, '--data-urlencode', `_csrf=${token}`, `${base}/login`]);
  return r.stdout;
}

describe('web access', () => {
  it('off: the webmail refuses the right password; on again: it signs in', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const jar = path.join(dir, 'a.jar');
    assert.equal(await login(webmail, 'taro@example.test', jar), '303', 'signs in with web access');
    directory.updateUser('taro@example.test', { webAccess: false });
    assert.equal(await login(webmail, 'taro@example.test', path.join(dir, 'b.jar')), '403');
    const home = await curl(['-b', jar, '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${webmail.port}/`]);
    assert.equal(home.stdout, '303', 'the session made before is over too');
    directory.updateUser('taro@example.test', { webAccess: true });
    assert.equal(await login(webmail, 'taro@example.test', path.join(dir, 'c.jar')), '303');
  });

  it('a disabled account is refused on the webmail and the admin server', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    directory.updateUser('hana@example.test', { disabled: true });
    try {
      assert.equal(await login(webmail, 'hana@example.test', path.join(dir, 'd.jar')), '403');
      assert.equal(await login(admin, 'hana@example.test', path.join(dir, 'e.jar')), '403');
    } finally {
      directory.updateUser('hana@example.test', { disabled: false });
    }
  });

  it('a host admin of one domain signs in to the admin server and is shown that domain only', async (t) => {
    if (!requireCommand(t, 'curl')) return;
    const jar = path.join(dir, 'f.jar');
    assert.equal(await login(admin, 'hana@example.test', jar), '303');
    const home = await curl(['-b', jar, `https://127.0.0.1:${admin.port}/`]);
    assert.match(home.stdout, /data-domain="other\.test"/);
    assert.doesNotMatch(home.stdout, /data-domain="example\.test"/, 'not its own domain, which it was not given');
    assert.equal(await login(admin, 'taro@example.test', path.join(dir, 'g.jar')), '403', 'no admin right, no admin server');
  });
});
