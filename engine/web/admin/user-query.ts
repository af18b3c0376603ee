// Reading the users table page by page for the admin: SQL LIMIT/OFFSET over an index on (domain, address),
// a search by address or full name, and a count, so 10,000 users cost one page of rows, never the table.
// It only reads; the full User of each row comes from the directory (so every field it knows is there).
import type { Db } from '../../db/database.js';

export interface UserPageQuery {
  /** Canonical domains to list (a host admin: its own); empty = every domain (system admin). */
  domains: string[];
  /** Part of the address or the full name (case-insensitive); '' = everyone. */
  search: string;
  offset: number;
  limit: number;
}

/** LIKE with the user's text taken literally (% and _ escaped). */
function likeArg(s: string): string {
  return `%${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class UserQuery {
  constructor(private readonly db: Db) {
    // the page order (domain, address) and a domain filter both walk this index
    db.exec('CREATE INDEX IF NOT EXISTS users_domain_address ON users(domain, address)');
  }

  private where(q: Pick<UserPageQuery, 'domains' | 'search'>): { sql: string; args: string[] } {
    const parts: string[] = [];
    const args: string[] = [];
    if (q.domains.length) {
      parts.push(`domain IN (${q.domains.map(() => '?').join(', ')})`);
      args.push(...q.domains);
    }
    if (q.search) {
      parts.push("(address LIKE ? ESCAPE '\\' OR lower(full_name) LIKE ? ESCAPE '\\')");
      args.push(likeArg(q.search), likeArg(q.search));
    }
    return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
  }

  count(q: Pick<UserPageQuery, 'domains' | 'search'>): number {
    const w = this.where(q);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM users ${w.sql}`).get(...w.args) as { n: number }).n;
  }

  /** The addresses of one page, in (domain, address) order. */
  page(q: UserPageQuery): string[] {
    const w = this.where(q);
    const rows = this.db.prepare(`SELECT address FROM users ${w.sql} ORDER BY domain, address LIMIT ? OFFSET ?`).all(...w.args, q.limit, q.offset) as { address: string }[];
    return rows.map((r) => r.address);
  }

  /** Every address of the given domains in order, a batch at a time (the CSV export streams these). */
  *all(domains: string[], batch = 500): Generator<string[]> {
    for (let offset = 0; ; offset += batch) {
      const page = this.page({ domains, search: '', offset, limit: batch });
      if (page.length) yield page;
      if (page.length < batch) return;
    }
  }
}
