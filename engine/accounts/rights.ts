// Admin rights (FEATURES A2): system admin, host admin of a domain, list admin of a list, one row each in
// admin_rights. That table is the one source of truth: User.systemAdmin/hostAdminOf/listAdminOf are read from it
// (sqlite-directory.ts USER_SELECT) and the old users.*_admin columns are rewritten from it as a derived copy.
// It never decides what a right allows (engine/web/roles.ts does) and never checks that a target exists.
import type { Db } from '../db/database.js';

export type RightKind = 'system' | 'host' | 'list';

export interface RightsOf {
  system: boolean;
  /** Canonical local domains, sorted. */
  host: string[];
  /** List addresses, sorted. */
  list: string[];
}

/** The subquery columns a user row gains (r_system 0/1, r_host and r_list space-separated), for USER_SELECT. */
export const RIGHTS_COLUMNS = `
  EXISTS (SELECT 1 FROM admin_rights r WHERE r.address = u.address AND r.kind = 'system') AS r_system,
  (SELECT group_concat(target, ' ') FROM (SELECT target FROM admin_rights r WHERE r.address = u.address AND r.kind = 'host' ORDER BY target)) AS r_host,
  (SELECT group_concat(target, ' ') FROM (SELECT target FROM admin_rights r WHERE r.address = u.address AND r.kind = 'list' ORDER BY target)) AS r_list`;

export interface RightsRow {
  r_system?: number | null;
  r_host?: string | null;
  r_list?: string | null;
}

export function rightsFromRow(r: RightsRow): RightsOf {
  const split = (s: string | null | undefined) => (s ? s.split(' ').filter(Boolean) : []);
  return { system: !!r.r_system, host: split(r.r_host), list: split(r.r_list) };
}

export class AdminRights {
  constructor(private readonly db: Db) {}

  of(address: string): RightsOf {
    const rows = this.db
      .prepare<[string], { kind: RightKind; target: string }>('SELECT kind, target FROM admin_rights WHERE address = ? ORDER BY kind, target')
      .all(address.toLowerCase());
    return {
      system: rows.some((r) => r.kind === 'system'),
      host: rows.filter((r) => r.kind === 'host').map((r) => r.target),
      list: rows.filter((r) => r.kind === 'list').map((r) => r.target),
    };
  }

  /** Who holds a right: the system admins, the admins of one domain, or of one list. */
  holders(kind: RightKind, target = ''): string[] {
    return this.db
      .prepare<[string, string], { address: string }>('SELECT address FROM admin_rights WHERE kind = ? AND target = ? ORDER BY created, address')
      .all(kind, target.toLowerCase())
      .map((r) => r.address);
  }

  grant(address: string, kind: RightKind, target = ''): void {
    const a = address.toLowerCase();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR IGNORE INTO admin_rights (address, kind, target, created) VALUES (?, ?, ?, ?)')
        .run(a, kind, kind === 'system' ? '' : target.toLowerCase(), Date.now());
      this.derive(a);
    })();
  }

  /** Take a right away; without a target, every right of that kind. Returns whether anything was held. */
  revoke(address: string, kind: RightKind, target?: string): boolean {
    const a = address.toLowerCase();
    return this.db.transaction(() => {
      const r =
        target === undefined || kind === 'system'
          ? this.db.prepare('DELETE FROM admin_rights WHERE address = ? AND kind = ?').run(a, kind)
          : this.db.prepare('DELETE FROM admin_rights WHERE address = ? AND kind = ? AND target = ?').run(a, kind, target.toLowerCase());
      this.derive(a);
      return r.changes > 0;
    })();
  }

  /** The old boolean columns, rewritten from the rows (readers of users.*_admin see the same answer). */
  private derive(address: string): void {
    this.db
      .prepare(
        `UPDATE users SET
           system_admin = EXISTS (SELECT 1 FROM admin_rights WHERE address = @a AND kind = 'system'),
           host_admin = EXISTS (SELECT 1 FROM admin_rights WHERE address = @a AND kind = 'host'),
           list_admin = EXISTS (SELECT 1 FROM admin_rights WHERE address = @a AND kind = 'list')
         WHERE address = @a`,
      )
      .run({ a: address });
  }
}
