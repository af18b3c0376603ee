// Test fixture for JMAP over inject(): a temporary data dir with the real database, account directory and
// Maildir store, the webmail app with the JMAP routes, and helpers that call the API as a client would (HTTP
// Basic, a JMAP app token, or the webmail session with its CSRF token). Submissions are recorded by a
// stand-in for the queue unless a test passes the real submission entry point.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { openDatabase, type Db } from '../../engine/db/database.js';
import { SqliteDirectory } from '../../engine/accounts/sqlite-directory.js';
import { AuthThrottle } from '../../engine/policy/auth-throttle.js';
import { AuditLog } from '../../engine/web/audit.js';
import { loginFlowAuth } from '../../engine/web/authenticate.js';
import { LoginFlow } from '../../engine/net/login.js';
import { nullLogger } from '../../engine/log/logger.js';
import { FlagRoles } from '../../engine/web/roles.js';
import pg from 'pg';
import { DEFAULT_SESSION_OPTIONS, SessionStore } from '../../engine/web/session-store.js';
import { PgSessionStore } from '../../engine/web/pg-session-store.js';
import { TokenStore } from '../../engine/web/token-store.js';
import { buildWebApp } from '../../engine/web/app.js';
import type { WebDeps } from '../../engine/web/types.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import type { MailAccountStore, MailboxStore } from '../../engine/store/mailbox-store.js';
import { openPgTestStore, TEST_STORE, type StoreBackend } from '../helpers/store.js';
import { freshDatabase } from '../helpers/postgres.js';
import { createJmap, jmapAuth, jmapRoutes, type JmapService } from '../../engine/jmap/index.js';
import { webmailRoutes } from '../../engine/web/webmail/index.js';
import type { JmapLimits } from '../../engine/jmap/capabilities.js';
import { accountIdOf } from '../../engine/jmap/capabilities.js';
import type { Submit, SubmissionRequest } from '../../engine/submission/submit.js';

export const PASSWORD = 'correct horse 7';
export const USER = 'hanako@example.jp';
export const OTHER = 'taro@example.jp';
export const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse'];

export interface JmapFixture {
  dir: string;
  db: Db;
  directory: SqliteDirectory;
  store: MailboxStore & MailAccountStore & { close(): Promise<void> };
  /** Which store (TEGAMI_TEST_STORE): Maildir files exist only with 'default'. */
  storeBackend: StoreBackend;
  /** The PostgreSQL store's database (postgres only): open a second "node" on it with openPgTestStore. */
  storeUrl?: string;
  throttle: AuthThrottle;
  svc: JmapService;
  deps: WebDeps;
  app: FastifyInstance;
  accountId: string;
  submitted: SubmissionRequest[];
  basic(user?: string, password?: string): string;
  /** POST /jmap/api as `user` with Basic auth; the parsed body and the raw response. */
  api(calls: unknown[], o?: { using?: string[]; user?: string; createdIds?: Record<string, string> }): Promise<{ res: LightMyRequestResponse; body: Record<string, unknown>; responses: [string, Record<string, unknown>, string][] }>;
  /** One method call; its (first) response arguments and name. */
  call(name: string, args: Record<string, unknown>, o?: { user?: string }): Promise<{ name: string; args: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function jmapFixture(o: { limits?: Partial<JmapLimits>; submit?: Submit | null; learn?: JmapService['deps']['learn']; webmail?: boolean } = {}): Promise<JmapFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-jmap-'));
  const db = openDatabase(dir);
  const directory = new SqliteDirectory(db, {
    hostname: 'mx.example.jp',
    configDomains: ['example.jp', 'example.org'],
    hostAliases: {},
    serverKey: crypto.randomBytes(32),
    decoyKey: crypto.randomBytes(32),
    recoverableSecrets: false,
    minUserLength: 1,
    passwordMin: 8,
    passwordMax: 128,
  });
  await directory.addUser({ address: USER, password: PASSWORD, fullName: '山田 花子' });
  await directory.addUser({ address: OTHER, password: PASSWORD, fullName: 'Taro' });
  await directory.addUser({ address: 'noweb@example.jp', password: PASSWORD });
  directory.updateUser('noweb@example.jp', { webAccess: false });
  directory.addAlias('info@example.org', [USER]);
  // TEGAMI_TEST_STORE=postgres runs the JMAP tests over the PostgreSQL store (test/helpers/store.ts)
  const storeUrl = TEST_STORE === 'postgres' ? await freshDatabase() : undefined;
  const store = storeUrl ? await openPgTestStore(storeUrl) : new MaildirStore(dir);
  // and the JMAP objects (identities, submissions, states) and web sessions over PostgreSQL's shared rows, as `serve` does
  const pool = storeUrl ? new pg.Pool({ connectionString: storeUrl, max: 2 }) : undefined;
  pool?.on('error', () => undefined);
  const throttle = new AuthThrottle({ throttleAfter: 0, windowMs: 600_000, maxDelayMs: 0, blockAfter: 5, blockForMs: 600_000 });
  const roles = new FlagRoles((d) => directory.localDomain(d));
  const submitted: SubmissionRequest[] = [];
  const recordingSubmit: Submit = async (s) => {
    submitted.push({ ...s, message: Buffer.isBuffer(s.message) ? s.message : Buffer.alloc(0) });
    return { kind: 'accepted', id: `Q${submitted.length}`, delivered: false, recipients: s.rcptTo.map((a) => ({ address: a, kind: 'remote' as const })) };
  };
  const svc = createJmap({
    store,
    db,
    pool,
    directory,
    dataDir: dir,
    maxMessageSize: 10 * 1024 * 1024,
    maxRecipients: 100,
    limits: o.limits,
    submit: o.submit === null ? undefined : (o.submit ?? recordingSubmit),
    learn: o.learn === undefined ? null : o.learn,
    // JMAP_DEBUG=1 shows the server's log lines (a serverFail's cause) on stderr
    logger: process.env.JMAP_DEBUG ? (new Proxy({}, { get: () => (...a: unknown[]) => console.error(...a) }) as never) : undefined,
  });
  const authenticate = loginFlowAuth(
    new LoginFlow({ directory, logger: nullLogger, hostname: 'mx.example.jp', mechanisms: ['PLAIN'], recoverableSecrets: false, byIp: {}, throttle, maxHashing: 2, maxHashQueue: 64 }),
    roles,
  );
  const deps: WebDeps = {
    directory,
    roles,
    authenticate,
    sessions: pool ? new PgSessionStore(pool, DEFAULT_SESSION_OPTIONS) : new SessionStore(db, DEFAULT_SESSION_OPTIONS),
    tokens: new TokenStore(db),
    audit: AuditLog.admin(path.join(dir, 'logs')),
    version: 'test',
    startedAt: Date.now(),
    apiAuth: jmapAuth(svc, { authenticate, roles }),
  };
  // webmail: the mail pages too (engine/web/webmail), as `tegami serve` runs them
  const app = o.webmail
    ? await buildWebApp({ kind: 'webmail', deps, shell: false, routes: webmailRoutes({ svc, deps, accounts: directory }) })
    : await buildWebApp({ kind: 'webmail', deps, routes: jmapRoutes(svc) });
  const basic = (user = USER, password = PASSWORD) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const f: JmapFixture = {
    dir,
    db,
    directory,
    store,
    storeBackend: TEST_STORE,
    storeUrl,
    throttle,
    svc,
    deps,
    app,
    accountId: accountIdOf(USER),
    submitted,
    basic,
    async api(calls, opts = {}) {
      const res = await app.inject({
        method: 'POST',
        url: '/jmap/api',
        headers: { authorization: basic(opts.user ?? USER), 'content-type': 'application/json' },
        payload: JSON.stringify({ using: opts.using ?? USING, methodCalls: calls, ...(opts.createdIds ? { createdIds: opts.createdIds } : {}) }),
      });
      const body = JSON.parse(res.body) as Record<string, unknown>;
      return { res, body, responses: (body.methodResponses ?? []) as [string, Record<string, unknown>, string][] };
    },
    async call(name, args, opts = {}) {
      const user = opts.user ?? USER;
      const r = await f.api([[name, { accountId: accountIdOf(user), ...args }, 'c']], { user });
      if (r.res.statusCode !== 200) throw new Error(`HTTP ${r.res.statusCode}: ${r.res.body}`);
      const [n, a] = r.responses[0];
      return { name: n, args: a };
    },
    async close() {
      await app.close();
      await store.close();
      await pool?.end();
      await deps.audit.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

/** A plain message (CRLF line ends). */
export function message(o: { from?: string; to?: string; subject?: string; body?: string; messageId?: string; extra?: string[] } = {}): Buffer {
  return Buffer.from(
    [
      `From: ${o.from ?? 'Taro <taro@example.org>'}`,
      `To: ${o.to ?? USER}`,
      `Subject: ${o.subject ?? 'hello'}`,
      `Message-ID: <${o.messageId ?? crypto.randomBytes(6).toString('hex') + '@example.org'}>`,
      'Date: Tue, 01 Jul 2025 10:52:37 +0900',
      ...(o.extra ?? []),
      '',
      o.body ?? 'body text',
      '',
    ].join('\r\n'),
    'utf8',
  );
}
