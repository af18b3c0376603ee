// A deleted account's per-user Bayes counts, removed from the data dir's bayes.db (the single-node store of
// engine/spam/bayes.ts; owner = the address, '' = the server's own, never removed here). bayes.db is a file of
// its own, which no trigger of tegami.db reaches, so SqliteDirectory.deleteUser calls this inside its transaction:
// a failure (the file locked past the busy timeout) keeps the account. On PostgreSQL migration 53's trigger does it.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Remove `address`'s Bayes tokens, totals and learnt-message keys; the number of rows removed (0: no bayes.db). */
export function forgetBayes(dataDir: string, address: string): number {
  const owner = address.trim().toLowerCase();
  const file = path.join(dataDir, 'bayes.db');
  if (!owner || !fs.existsSync(file)) return 0;
  const db = new Database(file, { fileMustExist: true, timeout: 5000 });
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    return db.transaction(() => {
      let n = 0;
      for (const t of ['tokens', 'totals', 'learnt']) if (tables.has(t)) n += db.prepare(`DELETE FROM ${t} WHERE owner = ?`).run(owner).changes;
      return n;
    })();
  } finally {
    db.close();
  }
}
