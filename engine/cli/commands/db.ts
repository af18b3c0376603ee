// tegami db migrate|status|import-local — the schema of the [storage] database. SQLite migrates whenever it is
// opened, so for it both report the version; for PostgreSQL `migrate` applies the pending migrations
// (engine/db/pg), and `import-local` moves a single node's data into it (engine/db/pg/import-local.ts).
import fs from 'node:fs';
import path from 'node:path';
import { Refusal, UsageError, flag, type Args } from '../args.js';
import { out } from '../common.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { databaseFile, openDatabase } from '../../db/database.js';
import { openPool } from '../../db/pg/pool.js';
import { migrate, schemaVersion } from '../../db/pg/migrations.js';
import { MIGRATIONS } from '../../db/pg/schema-sql.js';
import { privateDataDir } from '../../context.js';
import type { LoadedConfig } from '../../config/load.js';
import { importLocal } from '../../db/pg/import-local.js';
// registers the mail hook of import-local (Maildir → the shared mailbox store)
import '../../store/pg-import.js';
// and the queue's (the spool's remote recipients → the shared queue, with their state)
import '../../queue/pg-import.js';
// and the DKIM hook (data_dir/dkim/ key files → sealed dkim_keys rows)
import '../../outbound/dkim-import.js';
import { isCopy, prepareCopy } from '../../db/pg/replica.js';
import { COPIED_TABLES } from '../../db/pg/replica-tables.js';
import { ensureSettingsTables } from '../../settings/store.js';
import { addScramColumn } from '../../accounts/sqlite-directory.js';

export async function db(args: Args): Promise<number> {
  const [sub] = args.positional;
  if (sub !== 'migrate' && sub !== 'status' && sub !== 'import-local') throw new UsageError('db migrate|status|import-local');
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
  if (sub === 'import-local') return importCommand(args, config);
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

/**
 * Copy a single node's data dir into PostgreSQL and print the counts. Importing the node's own data dir marks
 * its tegami.db as the node's copy afterwards, so `serve` on PostgreSQL may use it (it is reloaded from the database).
 */
async function importCommand(args: Args, config: LoadedConfig): Promise<number> {
  if (config.storage.backend !== 'postgres') throw new Refusal('db import-local needs [storage] backend = "postgres" (and its url)');
  const from = path.resolve(flag(args, 'from') ?? config.data_dir);
  if (!fs.existsSync(databaseFile(from))) {
    process.stderr.write(`tegami db import-local: ${databaseFile(from)} does not exist\n`);
    return 1;
  }
  const source = openDatabase(from);
  const pool = openPool(config.storage);
  try {
    ensureSettingsTables(source);
    addScramColumn(source);
    const r = await importLocal(pool, source, from, { merge: args.flags.has('merge'), config });
    if (!r.ok) {
      process.stderr.write(`tegami db import-local: ${r.reason}\n`);
      return 1;
    }
    if (path.resolve(config.data_dir) === from && !isCopy(source)) prepareCopy(source, COPIED_TABLES);
    if (args.flags.has('json')) out(JSON.stringify({ from, counts: r.counts }));
    else {
      out(`imported from ${from}:`);
      for (const n of r.counts) out(`  ${n.table.padEnd(18)} source ${String(n.source).padStart(7)}  imported ${String(n.imported).padStart(7)}  postgres ${String(n.postgres).padStart(7)}`);
      out('every source row, message and queued remote recipient is in PostgreSQL (the Maildir is left as it was; local deliveries and unprocessed mail stay in the spool for `serve`)');
    }
    return 0;
  } finally {
    source.close();
    await pool.end();
  }
}
