// `tegami db import-local` for DKIM keys: each <data_dir>/dkim/<domain>/<selector>.key becomes a dkim_keys row
// (migration 31) sealed with the data dir's keys/secret.key — the key every node must hold. A row already in
// PostgreSQL is kept; the files are left in place (nothing reads them on PostgreSQL). Never prints a key.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { IMPORT_HOOKS, type ImportCount, type ImportHook } from '../db/pg/import-local.js';
import { seal, serverKey } from '../accounts/password.js';
import { dkimDir, keyOf, validDomain } from './dkim.js';

export async function importDkimKeys(pool: pg.Pool, dataDir: string): Promise<ImportCount[]> {
  const dir = dkimDir(dataDir);
  const count: ImportCount = { table: 'dkim_keys', source: 0, imported: 0, postgres: 0, missing: 0 };
  const domains = fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => validDomain(d.toLowerCase()) && fs.statSync(path.join(dir, d)).isDirectory()) : [];
  const keys: { domain: string; selector: string }[] = [];
  for (const domain of domains) {
    for (const n of fs.readdirSync(path.join(dir, domain))) {
      const m = /^([a-z0-9-]+)\.key$/i.exec(n);
      if (!m) continue;
      const file = path.join(dir, domain, n);
      const pem = fs.readFileSync(file, 'utf8');
      keyOf(domain, m[1], pem); // a file that is not a private key fails the import here, by name, before any row
      count.source++;
      const d = domain.toLowerCase();
      keys.push({ domain: d, selector: m[1] });
      const r = await pool.query(
        'INSERT INTO dkim_keys (domain, selector, key_sealed, created) VALUES ($1, $2, $3, $4) ON CONFLICT (domain, selector) DO NOTHING',
        [d, m[1], seal(serverKey(dataDir), pem), Math.round(fs.statSync(file).mtimeMs)],
      );
      count.imported += r.rowCount ?? 0;
    }
  }
  count.postgres = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM dkim_keys')).rows[0].n);
  for (const k of keys) {
    if (!(await pool.query('SELECT 1 FROM dkim_keys WHERE domain = $1 AND selector = $2', [k.domain, k.selector])).rowCount) count.missing++;
  }
  return [count];
}

/** The DKIM hook of `tegami db import-local` (registered when this module is loaded). */
export const DKIM_IMPORT: ImportHook = { name: 'dkim', run: (pool, dataDir) => importDkimKeys(pool, dataDir) };
if (!IMPORT_HOOKS.includes(DKIM_IMPORT)) IMPORT_HOOKS.push(DKIM_IMPORT);
