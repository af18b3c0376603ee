// tegami db migrate|status — the schema of the [storage] database. SQLite migrates whenever it is opened, so
// for it both report the version; for PostgreSQL `migrate` applies the pending migrations (engine/db/pg).
import { UsageError, flag, type Args } from '../args.js';
import { out } from '../common.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { openDatabase } from '../../db/database.js';
import { openPool } from '../../db/pg/pool.js';
import { migrate, schemaVersion } from '../../db/pg/migrations.js';
import { MIGRATIONS } from '../../db/pg/schema-sql.js';
import { privateDataDir } from '../../context.js';

export async function db(args: Args): Promise<number> {
  const [sub] = args.positional;
  if (sub !== 'migrate' && sub !== 'status') throw new UsageError('db migrate|status');
  const config = loadConfig(resolveConfigPath(flag(args, 'config')));
  const json = args.flags.has('json');
  if (config.storage.backend === 'sqlite') {
    privateDataDir(config.data_dir);
    const sqlite = openDatabase(config.data_dir);
    const version = sqlite.pragma('user_version', { simple: true }) as number;
    sqlite.close();
    if (json) out(JSON.stringify({ backend: 'sqlite', applied: [], current: version, known: version }));
    else out(`sqlite: schema version ${version} (SQLite migrates itself when opened)`);
    return 0;
  }
  const pool = openPool(config.storage);
  try {
    const known = MIGRATIONS[MIGRATIONS.length - 1].version;
    const r = sub === 'migrate' ? await migrate(pool) : { applied: [], current: await schemaVersion(pool), known };
    if (json) out(JSON.stringify({ backend: 'postgres', ...r }));
    else {
      if (r.applied.length) out(`applied migration(s) ${r.applied.join(', ')}`);
      out(`postgres: schema version ${r.current} (this program knows ${r.known})`);
      if (r.current < r.known && sub === 'status') out('run `tegami db migrate` to bring it up to date');
      if (r.current > r.known) out('note: a newer tegami has migrated this database further');
    }
    return 0;
  } finally {
    await pool.end();
  }
}
