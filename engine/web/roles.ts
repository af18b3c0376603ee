// Who may do what on the web servers. Roles answers the questions (system admin? admin of this domain,
// of this list?); requireRole() turns a question into a route guard that the server checks before every
// handler. Rights are read from the account on each request, never cached in the session or a token.
import type { FastifyRequest } from 'fastify';
import type { User } from '../accounts/directory.js';

/** A mailing list as far as rights go: its address (owners: kept for older callers, no longer consulted). */
export interface ListRef {
  address: string;
  owners?: readonly string[];
}

export interface Roles {
  isSystemAdmin(user: User): boolean;
  canAdminDomain(user: User, domain: string): boolean;
  canAdminList(user: User, list: ListRef): boolean;
  /** Any admin right at all: what the admin server's login requires. */
  hasAdminRight(user: User): boolean;
}

/**
 * Roles from the account's admin rights (engine/accounts/rights.ts, the admin_rights rows behind
 * User.systemAdmin/hostAdminOf/listAdminOf): a system admin administers everything; a host admin the domains
 * it was given (with their host aliases) and their lists; a list admin the lists it was given. A disabled
 * account has no right at all. ListRef.owners is not consulted: the rights table is the one source of truth.
 */
export class FlagRoles implements Roles {
  /** `canonical` maps a domain or host alias to its canonical local domain (directory.localDomain). */
  constructor(private readonly canonical: (domain: string) => string | null) {}

  isSystemAdmin(user: User): boolean {
    return user.systemAdmin && !user.disabled;
  }

  canAdminDomain(user: User, domain: string): boolean {
    if (user.disabled) return false;
    if (user.systemAdmin) return true;
    const c = this.canonical(domain);
    return c !== null && user.hostAdminOf.includes(c);
  }

  canAdminList(user: User, list: ListRef): boolean {
    if (user.disabled) return false;
    if (user.systemAdmin) return true;
    const at = list.address.lastIndexOf('@');
    if (at <= 0) return false;
    const c = this.canonical(list.address.slice(at + 1));
    if (c === null) return false;
    if (user.hostAdminOf.includes(c)) return true;
    return user.listAdminOf.includes(`${list.address.slice(0, at).toLowerCase()}@${c}`);
  }

  hasAdminRight(user: User): boolean {
    return !user.disabled && (user.systemAdmin || user.hostAdminOf.length > 0 || user.listAdminOf.length > 0);
  }
}

/** A route guard: checked on the server after the caller is known and before the handler runs. */
export interface Guard {
  readonly name: string;
  allows(user: User, req: FastifyRequest, roles: Roles): boolean;
}

export type RoleSpec =
  | 'signed-in'
  | 'any-admin'
  | 'system-admin'
  | { domain: (req: FastifyRequest) => string | undefined }
  | { list: (req: FastifyRequest) => ListRef | undefined };

/** The guard for a route; a getter that finds no domain or list denies. */
export function requireRole(spec: RoleSpec): Guard {
  if (spec === 'signed-in') return { name: spec, allows: () => true };
  if (spec === 'any-admin') return { name: spec, allows: (u, _r, roles) => roles.hasAdminRight(u) };
  if (spec === 'system-admin') return { name: spec, allows: (u, _r, roles) => roles.isSystemAdmin(u) };
  if ('domain' in spec) {
    return {
      name: 'domain-admin',
      allows: (u, req, roles) => {
        const d = spec.domain(req);
        return typeof d === 'string' && d !== '' && roles.canAdminDomain(u, d);
      },
    };
  }
  return {
    name: 'list-admin',
    allows: (u, req, roles) => {
      const l = spec.list(req);
      return !!l && roles.canAdminList(u, l);
    },
  };
}

/**
 * What every route must declare in its config: `public` (login page, static files) or a guard; `api`
 * routes answer 401/403 as JSON (never a redirect) and accept Authorization: Bearer on the admin server.
 */
export interface Access {
  guard: Guard | 'public';
  api?: boolean;
  /** false: no CSRF token asked for (only a public route whose URL itself is the credential and that reads no cookie: RFC 8058 one-click unsubscribe). */
  csrf?: false;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}
