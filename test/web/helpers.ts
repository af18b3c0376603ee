// Test fixture for the web foundation: a temporary data dir with the real SQLite database and account
// directory (domains, a system admin, a host admin, a list admin, a plain user, a user without web access,
// a user whose full name is an XSS payload), WebDeps built from them, and inject() helpers that log in
// the way a browser does (GET the form, carry its cookie and hidden CSRF field, POST it).
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
import { DEFAULT_SESSION_OPTIONS, SessionStore, type SessionOptions } from '../../engine/web/session-store.js';
import { TokenStore } from '../../engine/web/token-store.js';
import { buildWebApp } from '../../engine/web/app.js';
import type { WebDeps, WebKind } from '../../engine/web/types.js';

export const PASSWORD = 'correct horse 1';
export const XSS_NAME = `<img src=x onerror="document.body.dataset.pwned=1">"'><script>document.body.dataset.pwned=2</script>`;

export interface Fixture {
  dir: string;
  db: Db;
  directory: SqliteDirectory;
  throttle: AuthThrottle;
  clock: { now: number };
  deps: WebDeps;
  logsDir: string;
  app(kind: WebKind): Promise<FastifyInstance>;
  close(): Promise<void>;
}

export async function webFixture(o: { sessions?: Partial<SessionOptions>; throttle?: AuthThrottle } = {}): Promise<Fixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-web-'));
  const db = openDatabase(dir);
  const directory = new SqliteDirectory(db, {
    hostname: 'mx.example.com',
    configDomains: ['example.com', 'example.org'],
    hostAliases: { 'mail.example.org': 'example.org' },
    serverKey: crypto.randomBytes(32),
    decoyKey: crypto.randomBytes(32),
    recoverableSecrets: false,
    minUserLength: 1,
    passwordMin: 8,
    passwordMax: 128,
  });
  await directory.addUser({ address: 'admin@example.com', password: PASSWORD, fullName: 'Ada Admin', systemAdmin: true });
  await directory.addUser({ address: 'host@example.org', password: PASSWORD, fullName: '山田 花子' });
  directory.updateUser('host@example.org', { hostAdmin: true });
  await directory.addUser({ address: 'lists@example.com', password: PASSWORD, fullName: 'Lisa Lists' });
  directory.updateUser('lists@example.com', { listAdminOf: ['team@example.com'] });
  await directory.addUser({ address: 'user@example.com', password: PASSWORD, fullName: 'Ursula User' });
  await directory.addUser({ address: 'noweb@example.com', password: PASSWORD });
  directory.updateUser('noweb@example.com', { webAccess: false });
  await directory.addUser({ address: 'xss@example.org', password: PASSWORD, fullName: XSS_NAME });
  directory.updateUser('xss@example.org', { hostAdmin: true });

  const clock = { now: Date.now() };
  const now = () => clock.now;
  const throttle = o.throttle ?? new AuthThrottle({ throttleAfter: 0, windowMs: 600_000, maxDelayMs: 0, blockAfter: 5, blockForMs: 600_000 });
  const roles = new FlagRoles((d) => directory.localDomain(d));
  const logsDir = path.join(dir, 'logs');
  const audit = AuditLog.admin(logsDir);
  const deps: WebDeps = {
    directory,
    roles,
    authenticate: loginFlowAuth(
      new LoginFlow({ directory, logger: nullLogger, hostname: 'mx.example.com', mechanisms: ['PLAIN'], recoverableSecrets: false, byIp: {}, throttle, maxHashing: 2, maxHashQueue: 64 }),
      roles,
    ),
    sessions: new SessionStore(db, { ...DEFAULT_SESSION_OPTIONS, ...o.sessions }, now),
    tokens: new TokenStore(db, now),
    audit,
    version: '9.9.9-test',
    startedAt: clock.now - 90_061_000,
    now,
  };
  const apps: FastifyInstance[] = [];
  return {
    dir,
    db,
    directory,
    throttle,
    clock,
    deps,
    logsDir,
    async app(kind) {
      const a = await buildWebApp({ kind, deps });
      apps.push(a);
      return a;
    },
    async close() {
      for (const a of apps) await a.close();
      await audit.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** name=value pairs from Set-Cookie headers (the attributes dropped). */
export function setCookies(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.cookies as { name: string; value: string }[]) out[c.name] = c.value;
  return out;
}

/** The raw Set-Cookie header lines. */
export function setCookieLines(res: LightMyRequestResponse): string[] {
  const h = res.headers['set-cookie'];
  return h === undefined ? [] : Array.isArray(h) ? h : [String(h)];
}

export function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
}

/** The hidden CSRF field of a page. */
export function csrfField(body: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!m) throw new Error(`no CSRF field in page: ${body.slice(0, 300)}`);
  return m[1];
}

export const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
export const FORM = 'application/x-www-form-urlencoded';

/** A browser-like client over inject(): keeps cookies, sends forms with the page's CSRF token. */
export class Browser {
  jar: Record<string, string> = {};
  lastPage = '';

  constructor(
    readonly app: FastifyInstance,
    readonly headers: Record<string, string> = {},
  ) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: { ...this.headers, cookie: cookieHeader(this.jar) } });
    this.keep(res);
    if (String(res.headers['content-type'] ?? '').startsWith('text/html')) this.lastPage = res.body;
    return res;
  }

  async post(url: string, fields: Record<string, string>, o: { csrf?: string | null } = {}): Promise<LightMyRequestResponse> {
    const csrf = o.csrf === undefined ? csrfField(this.lastPage) : o.csrf;
    const body = form(csrf === null ? fields : { ...fields, _csrf: csrf });
    const res = await this.app.inject({ method: 'POST', url, payload: body, headers: { ...this.headers, cookie: cookieHeader(this.jar), 'content-type': FORM } });
    this.keep(res);
    if (String(res.headers['content-type'] ?? '').startsWith('text/html')) this.lastPage = res.body;
    return res;
  }

  /** GET /login, then POST the form; returns the POST's response. */
  async login(address: string, password = PASSWORD): Promise<LightMyRequestResponse> {
    await this.get('/login');
    return this.post('/login', { login: address, password });
  }

  keep(res: LightMyRequestResponse): void {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now())) delete this.jar[c.name];
      else this.jar[c.name] = c.value;
    }
  }
}

/** The audit lines, once `until` holds for them (the logger writes on a later turn of the event loop). */
export async function auditLines(f: Fixture, until: (lines: string[]) => boolean = (l) => l.length > 0): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const files = fs.existsSync(f.logsDir) ? fs.readdirSync(f.logsDir).filter((n) => /^admin-\d{8}\.log$/.test(n)) : [];
    const lines = files.flatMap((n) => fs.readFileSync(path.join(f.logsDir, n), 'utf8').split('\n').filter(Boolean));
    if (until(lines) || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
}
