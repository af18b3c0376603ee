// Builds the usual WebDeps from what `tegami serve` already has: the database (sessions, tokens; sessions in
// PostgreSQL's shared rows when the node runs on it), the
// account directory, the login flow shared with SMTP/POP3/IMAP, the logger and the data dir. One place,
// so the admin and webmail servers are wired the same way; tests build their own deps from the parts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteDirectory } from '../accounts/sqlite-directory.js';
import type { Db } from '../db/database.js';
import type { PgPool } from '../db/pg/pool.js';
import type { Logger } from '../log/logger.js';
import type { LoginFlow } from '../net/login.js';
import { AuditLog } from './audit.js';
import { loginFlowAuth, type Authenticate } from './authenticate.js';
import { FlagRoles, type Roles } from './roles.js';
import { DEFAULT_SESSION_OPTIONS, SessionStore, type SessionOptions } from './session-store.js';
import { PgSessionStore } from './pg-session-store.js';
import { TokenStore } from './token-store.js';
import type { WebDeps, WebKind } from './types.js';
import type { AdminServices } from './admin/services.js';

export interface WebWiring {
  kind: WebKind;
  db: Db;
  /** [storage] backend = "postgres": sessions are the shared rows, so every node knows them (engine/web/pg-session-store.ts). */
  pool?: PgPool;
  directory: SqliteDirectory;
  /** The one login flow of the process (engine/server.ts): its throttle is shared with SMTP, POP3 and IMAP. */
  login: LoginFlow;
  dataDir: string;
  logger: Logger;
  /** Session idle timeout, absolute lifetime, per-account cap ([web] session_idle, session_lifetime, sessions_per_account). */
  sessions?: Partial<SessionOptions>;
  /** Largest request body, bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Largest upload (CSV import), bytes. */
  uploadLimit?: number;
  /** The admin pages' view of the running server (admin kind only). */
  admin?: AdminServices;
  /** Replace the default login check. */
  authenticate?: Authenticate;
  roles?: Roles;
  startedAt?: number;
}

export function tegamiVersion(): string {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../package.json');
  try {
    return String((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

export function webDeps(w: WebWiring): WebDeps {
  const roles = w.roles ?? new FlagRoles((d) => w.directory.localDomain(d));
  const logsDir = path.join(w.dataDir, 'logs');
  return {
    directory: w.directory,
    roles,
    authenticate: w.authenticate ?? loginFlowAuth(w.login, roles),
    sessions: w.pool ? new PgSessionStore(w.pool, { ...DEFAULT_SESSION_OPTIONS, ...w.sessions }) : new SessionStore(w.db, { ...DEFAULT_SESSION_OPTIONS, ...w.sessions }),
    tokens: new TokenStore(w.db),
    audit: w.kind === 'admin' ? AuditLog.admin(logsDir) : AuditLog.web(w.logger),
    logger: w.logger,
    version: tegamiVersion(),
    startedAt: w.startedAt ?? Date.now(),
    bodyLimit: w.bodyLimit,
    uploadLimit: w.uploadLimit,
    admin: w.kind === 'admin' ? w.admin : undefined,
  };
}
