// `tegami keys adopt [--json] [--config FILE]`: on [storage] backend = "postgres", record this node's
// keys/secret.key and SRS key as the cluster's (migration 45's fingerprints), after a deliberate change of a key
// (a cluster rebuilt from one node's files). Every node compares its own keys with these at start and
// does not start when they differ (engine/db/pg/server-key-check.ts), so the new key files must be copied to every
// node; those not yet holding them stop at their next start, saying so. Nothing else is written or re-sealed.
// `tegami keys rotate [--json] [--config FILE]`: a new keys/secret.key, every value sealed with the old one
// re-sealed in one transaction (engine/ops/key-rotation.ts), on SQLite or PostgreSQL; refused while a server runs
// on this data dir (it holds run/tegami.pid meanwhile, so none starts) or, on PostgreSQL, while another node is
// connected. A second run after a crash finishes the rotation with the key the first one wrote.
import { Refusal, UsageError, flag, type Args } from '../args.js';
import { out } from '../common.js';
import { loadConfig, resolveConfigPath, type LoadedConfig } from '../../config/load.js';
import { openPool } from '../../db/pg/pool.js';
import { migrate } from '../../db/pg/migrations.js';
import { adoptServerKeys } from '../../db/pg/server-key-check.js';
import { openDatabase } from '../../db/database.js';
import { claimPidFile, releasePidFile } from '../../ops/pid-file.js';
import { RotationError, rotateServerKey, type RotationResult } from '../../ops/key-rotation.js';
import { pgSealedStore, sqliteSealedStore } from '../../ops/key-rotation-stores.js';
import fs from 'node:fs';

export async function keys(args: Args): Promise<number> {
  const [sub, ...rest] = args.positional;
  if ((sub !== 'adopt' && sub !== 'rotate') || rest.length) throw new UsageError(sub && sub !== 'adopt' && sub !== 'rotate' ? `unknown subcommand "${sub}": keys adopt [--json] | keys rotate [--json]` : 'keys adopt [--json] | keys rotate [--json]');
  const config = loadConfig(resolveConfigPath(flag(args, 'config')));
  if (sub === 'rotate') return rotate(config, args.flags.has('json'));
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

async function rotate(config: LoadedConfig, json: boolean): Promise<number> {
  // the claim a server makes: none starts while the values are re-sealed, and a running one is named
  fs.mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const claim = claimPidFile(config.data_dir);
  if (!claim.ok) throw new Refusal(`keys rotate: a tegami (pid ${claim.pid}) is running on ${config.data_dir}: stop it first (it holds the old key in memory and would seal new secrets with it); nothing was changed`);
  const noLocalServer = () => null;
  let result: RotationResult;
  try {
    if (config.storage.backend === 'postgres') {
      const pool = openPool(config.storage);
      try {
        await migrate(pool);
        result = await rotateServerKey(config.data_dir, pgSealedStore(pool, config.storage.node_name, noLocalServer));
      } finally {
        await pool.end().catch(() => undefined);
      }
    } else {
      const db = openDatabase(config.data_dir);
      try {
        result = await rotateServerKey(config.data_dir, sqliteSealedStore(db, noLocalServer));
      } finally {
        db.close();
      }
    }
  } catch (e) {
    if (e instanceof RotationError) throw new Refusal(`keys rotate: ${e.message}`);
    throw e;
  } finally {
    releasePidFile(claim.file);
  }
  if (json) {
    out(JSON.stringify({ rotated: true, ...result }));
    return 0;
  }
  out(`keys/secret.key rotated: fingerprint ${result.fingerprintOld} → ${result.fingerprintNew}${result.resumed ? ' (an interrupted rotation finished)' : ''}`);
  out(`re-sealed ${result.resealed} value(s)${result.already ? `, ${result.already} already under the new key` : ''}`);
  for (const u of result.unreadable) out(`left as it was (opens with neither key, already unreadable): ${u.table}.${u.column} ${u.id.join(' ')}`);
  if (config.storage.backend === 'postgres') out(`the cluster's key is now this node's: copy ${config.data_dir}/keys/secret.key to every other node (install -m 600, owned by the service user) before starting it; a node holding the old key does not start`);
  out('list tokens in mail already sent (confirmations, moderation, unsubscribe links, VERP bounce addresses) were signed with the old key and are refused from now on');
  return 0;
}
