// Builds the usual WebDeps from what `tegami serve` already has: the database (sessions, tokens), the
// account directory, the login flow shared with SMTP/POP3/IMAP, the logger and the data dir. One place,
// so the admin and webmail servers are wired the same way; tests build their own deps from the parts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteDirectory } from '../accounts/sqlite-directory.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import type { LoginFlow } from '../net/login.js';
import { AuditLog } from './audit.js';
import { loginFlowAuth, type Authenticate } from './authenticate.js';
import { FlagRoles, type Roles } from './roles.js';
import { DEFAULT_SESSION_OPTIONS, SessionStore, type SessionOptions } from './session-store.js';
import { TokenStore } from './token-store.js';
import type { WebDeps, WebKind } from './types.js';

export interface WebWiring {
  kind: WebKind;
  db: Db;
  directory: SqliteDirectory;
  /** The one login flow of the process (engine/server.ts): its throttle is shared with SMTP, POP3 and IMAP. */
  login: LoginFlow;
  dataDir: string;
  logger: Logger;
  /** Session idle timeout, absolute lifetime, per-account cap (config keys come with the wiring round). */
  sessions?: Partial<SessionOptions>;
  /** Largest request body, bytes (default 64 KiB). */
  bodyLimit?: number;
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
    sessions: new SessionStore(w.db, { ...DEFAULT_SESSION_OPTIONS, ...w.sessions }),
    tokens: new TokenStore(w.db),
    audit: w.kind === 'admin' ? AuditLog.admin(logsDir) : AuditLog.web(w.logger),
    logger: w.logger,
    version: tegamiVersion(),
    startedAt: w.startedAt ?? Date.now(),
    bodyLimit: w.bodyLimit,
  };
}
