// `tegami keys adopt [--json] [--config FILE]`: on [storage] backend = "postgres", record this node's
// keys/secret.key and SRS key as the cluster's (migration 45's fingerprints), after a deliberate change of a key
// (a rotation, a cluster rebuilt from one node's files). Every node compares its own keys with these at start and
// does not start when they differ (engine/db/pg/server-key-check.ts), so the new key files must be copied to every
// node; those not yet holding them stop at their next start, saying so. Nothing else is written or re-sealed.
import { Refusal, UsageError, flag, type Args } from '../args.js';
import { out } from '../common.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { openPool } from '../../db/pg/pool.js';
import { migrate } from '../../db/pg/migrations.js';
import { adoptServerKeys } from '../../db/pg/server-key-check.js';

export async function keys(args: Args): Promise<number> {
  const [sub, ...rest] = args.positional;
  if (sub !== 'adopt' || rest.length) throw new UsageError(sub ? `unknown subcommand "${sub}": keys adopt [--json]` : 'keys adopt [--json]');
  const config = loadConfig(resolveConfigPath(flag(args, 'config')));
  if (config.storage.backend !== 'postgres') {
    throw new Refusal('keys adopt: the keys are compared between the nodes of one PostgreSQL database only ([storage] backend = "postgres"); a single node has nothing to adopt');
  }
  const pool = openPool(config.storage);
  try {
    await migrate(pool);
    const adopted = await adoptServerKeys(pool, config, config.storage.node_name);
    if (args.flags.has('json')) {
      out(JSON.stringify({ node: config.storage.node_name, adopted }));
      return 0;
    }
    for (const a of adopted) {
      const was = a.was ? (a.was.fingerprint === a.fingerprint ? 'unchanged' : `was ${a.was.fingerprint}, recorded by ${a.was.node}`) : 'none recorded before';
      out(`${a.name}: ${a.file}, fingerprint ${a.fingerprint} is now the cluster's (${was})`);
    }
    out('copy these files to every other node (install -m 600, owned by the service user): a node holding other keys does not start');
    return 0;
  } finally {
    await pool.end().catch(() => undefined);
  }
}
