// `tegami backup FILE [--with-mail] [--with-bayes] [--with-logs] [--force]` and `tegami restore FILE [--force]`: one
// gzipped tar with the accounts, keys and (optionally) mail; see engine/ops/ and docs/operations.md.
// Output: one summary line, or one JSON object with --json. Never prints a key or a password.
import { UsageError, flag, type Args } from '../args.js';
import { out } from '../common.js';
import { loadConfig, resolveConfigPath } from '../../config/load.js';
import { createBackup } from '../../ops/backup.js';
import { restoreBackup } from '../../ops/restore.js';

export async function backup(args: Args): Promise<number> {
  const [file] = args.positional;
  if (!file || args.positional.length > 1) throw new UsageError('backup FILE [--with-mail] [--with-bayes] [--with-logs] [--force] [--json]');
  const config = loadConfig(resolveConfigPath(flag(args, 'config')));
  const r = await createBackup(config, {
    file,
    withMail: args.flags.has('with-mail'),
    withBayes: args.flags.has('with-bayes'),
    withLogs: args.flags.has('with-logs'),
    force: args.flags.has('force'),
  });
  if (!r.ok) {
    process.stderr.write(`tegami backup: ${r.reason}\n`);
    return 1;
  }
  const m = r.manifest;
  // on PostgreSQL what matters most is in the database: said on every backup, so a daily timer's log shows it
  if (config.storage.backend === 'postgres') r.notes.unshift(...postgresNotes(args.flags.has('with-mail')));
  const parts = ['accounts', m.includes.keys ? 'keys' : '', m.includes.dkim ? `dkim ${m.includes.dkim}` : '', m.includes.tls.length ? 'tls' : '', m.includes.bayes ? 'bayes' : '', m.includes.mail ? `mail ${m.counts.messages} message(s)` : '', m.includes.orphans ? `${m.includes.orphans} orphaned folder(s)` : '', m.includes.logs !== undefined ? `logs ${m.includes.logs}` : ''].filter(Boolean);
  if (args.flags.has('json')) {
    out(JSON.stringify({ file: r.file, bytes: r.archiveBytes, files: m.counts.files, dirs: m.counts.dirs, messages: m.counts.messages, content_bytes: m.counts.bytes, includes: m.includes, vanished: r.vanished, notes: r.notes, created: m.created }));
  } else {
    out(`backup ${r.file}: ${m.counts.files} file(s), ${m.counts.bytes} bytes in, ${r.archiveBytes} bytes written (${parts.join(', ')})${r.vanished ? `; ${r.vanished} message(s) deleted while copying` : ''}`);
    for (const n of r.notes) process.stderr.write(`tegami backup: note: ${n}\n`);
  }
  return 0;
}

export async function restore(args: Args): Promise<number> {
  const [file] = args.positional;
  if (!file || args.positional.length > 1) throw new UsageError('restore FILE [--force] [--json]');
  const config = loadConfig(resolveConfigPath(flag(args, 'config')));
  const r = await restoreBackup(config.data_dir, { file, force: args.flags.has('force') });
  if (!r.ok) {
    process.stderr.write(`tegami restore: ${r.reason}\n`);
    return 1;
  }
  const m = r.manifest;
  if (args.flags.has('json')) {
    out(JSON.stringify({ data_dir: config.data_dir, files: r.files, dirs: r.dirs, bytes: r.bytes, messages: m.counts.messages, from: { machine: m.machine, hostname: m.hostname, created: m.created, tegami: m.tegami }, config_saved_as: r.configSavedAs }));
  } else {
    out(`restored ${r.files} file(s), ${r.bytes} bytes (${m.counts.messages} message(s)) into ${config.data_dir} from the backup of ${m.hostname} made ${m.created}${r.configSavedAs ? `; its config is in ${r.configSavedAs} (not installed)` : ''}`);
  }
  return 0;
}

/** What a backup of a node on [storage] backend = "postgres" does not hold (docs/operations.md, "On PostgreSQL"). */
function postgresNotes(withMail: boolean): string[] {
  return [
    '[storage] backend = "postgres": the accounts, the mail, the shared queue, Bayes and the DKIM keys are in PostgreSQL, ' +
      "not in this file (it holds this node's keys, certificates, config and its local copy of the accounts); back the " +
      'database up as well, e.g. pg_dump -Fc (docs/operations.md, "Backup on PostgreSQL")',
    ...(withMail ? ['--with-mail copies this node\'s Maildir only, which serve does not use on PostgreSQL: the mail is in the database'] : []),
  ];
}
