// The `tegami` command: one dispatcher, one module per command group under commands/.
// Exit 0 on success; 1 with a one-line reason on failure; 2 on bad usage.
import { parseArgs, UsageError, type Args } from './args.js';
import { ConfigError } from '../config/load.js';
import { AccountError } from '../accounts/sqlite-directory.js';

type Command = (args: Args) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).serve,
  domain: async () => (await import('./commands/domain.js')).domain,
  user: async () => (await import('./commands/user.js')).user,
  alias: async () => (await import('./commands/alias.js')).alias,
  queue: async () => (await import('./commands/queue.js')).queue,
  lab: async () => (await import('../../lab/cli.js')).lab,
  spam: async () => (await import('./commands/spam.js')).spam,
  dkim: async () => (await import('./commands/dkim.js')).dkim,
  backup: async () => (await import('./commands/backup.js')).backup,
  restore: async () => (await import('./commands/backup.js')).restore,
  status: async () => (await import('./commands/status.js')).status,
  monitor: async () => (await import('./commands/monitor.js')).monitor,
};

export const USAGE = `usage: tegami COMMAND [--config FILE] ...
  serve                                  run the server
  domain add|del|list [NAME]             local domains
  user add|del|list|passwd|import ...    accounts (user add ADDRESS [--password-stdin])
  alias add|del|list ...                 aliases (alias add ADDRESS TARGET[,TARGET])
  queue list [--json]|show|retry|hold|release|delete ...
  spam learn --spam|--ham PATH           train the Bayesian filter
  dkim keygen DOMAIN                     make a DKIM key, print the DNS record
  backup FILE [--with-mail] [--with-bayes] [--with-logs]  accounts, keys (and mail, logs) to one .tar.gz
  restore FILE [--force]                 restore a backup into this config's data_dir
  status [--json]                        the running server: listeners, queue, pool, monitor, disk
  monitor test | monitor check [--json]  send a test alert; check every [[monitor]] target now
  lab list | lab run SCENARIO [--target host:port ...] | lab report FILE.json`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const name = args.positional.shift();
  if (!name || name === 'help' || args.flags.has('help')) {
    process.stdout.write(USAGE + '\n');
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`tegami: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  try {
    const cmd = await load();
    return await cmd(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tegami ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof AccountError) {
      process.stderr.write(`tegami ${name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`tegami ${name}: ${(e as Error).message}\n`);
    if (process.env.TEGAMI_DEBUG) process.stderr.write(String((e as Error).stack) + '\n');
    return 1;
  }
}
