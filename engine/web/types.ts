// Names shared by the web foundation's modules: which server a request is on, what it knows about the
// caller, and what the servers need from the rest of tegami (WebDeps). No behaviour lives here.
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { Logger } from '../log/logger.js';
import type { Audit } from './audit.js';
import type { Authenticate } from './authenticate.js';
import type { Lang, Translate } from './i18n.js';
import type { Roles } from './roles.js';
import type { SessionRecord, WebSessions } from './session-store.js';
import type { TokenStore } from './token-store.js';
import type { AdminServices } from './admin/services.js';
import type { NavItem } from './layout.js';

/** The two web servers: the administration (8181) and the webmail (8383). */
export type WebKind = 'admin' | 'webmail';

/**
 * Who is calling: through a page session (cookie), an API token (Authorization: Bearer), or on the webmail's API
 * routes (JMAP) HTTP Basic with the account password.
 */
export type Caller = { user: User; via: 'session'; session: SessionRecord } | { user: User; via: 'token'; tokenId: number } | { user: User; via: 'basic' };

/**
 * Credentials in an Authorization header on the webmail's API routes (JMAP: Basic or Bearer), resolved by the
 * module that owns them; 401 for bad credentials, 403 for an account without the right, 429 for a blocked IP.
 */
export type ApiAuth = (
  authorization: string, ip: string,
) => Promise<{ ok: true; caller: Caller } | { ok: false; status: 401 | 403 | 429; reason: string }>;

/** What the web servers use from the rest of tegami; `webDeps()` (deps.ts) builds the usual set. */
export interface WebDeps {
  directory: Pick<AccountDirectory, 'user' | 'domains' | 'localDomain'>;
  authenticate: Authenticate;
  roles: Roles;
  sessions: WebSessions;
  tokens: TokenStore;
  audit: Audit;
  /** The server's logger, for errors (service "web"); optional in tests. */
  logger?: Logger;
  version: string;
  /** When the server started (ms since the epoch), for the uptime. */
  startedAt: number;
  /** Authorization headers on the webmail's API routes (JMAP); without it they are refused (401). */
  apiAuth?: ApiAuth;
  /** Largest request body on any route, bytes (default 64 KiB); a route may lower it. */
  bodyLimit?: number;
  /** Largest upload (the admin's CSV import), bytes (default 4 MiB). */
  uploadLimit?: number;
  /** The admin pages' view of the running server; without it the admin server has only the foundation's shell. */
  admin?: AdminServices;
  now?: () => number;
}

/** What a request carries through the hooks to the handlers. */
declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
    lang: Lang;
    locale: string;
    t: Translate;
    /** Set by a handler to describe its action in the audit line (what, result, details). */
    audit: AuditNote | null;
    /** The navigation this caller may use (set by the admin pages for signed-in callers). */
    nav: NavItem[] | null;
  }
}

export interface AuditNote {
  action?: string;
  who?: string;
  result?: 'ok' | 'denied' | 'failed' | 'error';
  detail?: Record<string, string | number | boolean | undefined>;
}
