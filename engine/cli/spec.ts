// What each `tegami` command accepts: its usage text and, per subcommand, the options it takes. The
// dispatcher (main.ts) parses strictly against this table, so an option works only where it is declared
// here. It never runs a command; adding an option to a command means adding it here too.
import type { Args, Options } from './args.js';

export type Command = (args: Args) => Promise<number>;

export interface CommandSpec {
  load: () => Promise<Command>;
  /** Usage lines shown by `tegami COMMAND --help` (without the leading "usage: "). */
  usage: string;
  /** Options per subcommand (the first word after the command); absent for commands without subcommands. */
  subs?: Record<string, Options>;
  /** Options of a command without subcommands. */
  options?: Options;
}

/** Accepted by every command. */
export const GLOBAL: Options = {
  config: { type: 'string', value: 'FILE' },
  help: { type: 'boolean' },
};

const json: Options = { json: { type: 'boolean' } };
const password: Options = { 'password-stdin': { type: 'boolean' }, password: { type: 'string', value: 'PASSWORD' } };
const accountFields: Options = { 'full-name': { type: 'string', value: 'NAME' }, forward: { type: 'string', value: 'A,B' }, admin: { type: 'boolean' }, disabled: { type: 'boolean' } };
const queueSelect: Options = { ...json, domain: { type: 'string', value: 'DOMAIN' } };

export const COMMANDS: Record<string, CommandSpec> = {
  serve: {
    load: async () => (await import('./commands/serve.js')).serve,
    usage: 'tegami serve [--config FILE] [--quiet]      run the server until SIGTERM/SIGINT',
    options: { quiet: { type: 'boolean' } },
  },
  domain: {
    load: async () => (await import('./commands/domain.js')).domain,
    usage: 'tegami domain add NAME | del NAME | list [--json]',
    subs: { add: {}, del: {}, delete: {}, list: json },
  },
  user: {
    load: async () => (await import('./commands/user.js')).user,
    usage: [
      'tegami user add ADDRESS --password-stdin|--password P [--full-name NAME] [--forward A,B] [--admin] [--disabled]',
      'tegami user passwd ADDRESS --password-stdin|--password P',
      'tegami user set ADDRESS [--disabled|--enabled] [--admin|--no-admin] [--full-name NAME] [--forward A,B]',
      'tegami user del ADDRESS                    (the mail folder is kept aside as an orphan)',
      'tegami user list [--domain DOMAIN] [--json]',
      'tegami user import FILE.csv                 (address,password[,full name[,forward]] per line)',
      'tegami user orphans [--json] | orphans --remove ID',
    ].join('\n'),
    subs: {
      add: { ...password, ...accountFields },
      passwd: password,
      set: { ...accountFields, enabled: { type: 'boolean' }, 'no-admin': { type: 'boolean' } },
      del: {},
      delete: {},
      list: { ...json, domain: { type: 'string', value: 'DOMAIN' } },
      import: {},
      orphans: { ...json, remove: { type: 'string', value: 'ID' } },
    },
  },
  alias: {
    load: async () => (await import('./commands/alias.js')).alias,
    usage: 'tegami alias add ADDRESS TARGET[,TARGET...] | del ADDRESS | list [--json]',
    subs: { add: {}, del: {}, delete: {}, list: json },
  },
  queue: {
    load: async () => (await import('./commands/queue.js')).queue,
    usage: [
      'tegami queue list [--json] [--domain D] [--state incoming|active|deferred|hold]',
      'tegami queue show ID [--json]',
      'tegami queue retry ID|--all|--domain D',
      'tegami queue hold ID|--domain D',
      'tegami queue release ID|--domain D',
      'tegami queue delete ID|--domain D [--bounce]',
    ].join('\n'),
    subs: {
      list: { ...queueSelect, state: { type: 'string', value: 'STATE' } },
      show: json,
      retry: { ...queueSelect, all: { type: 'boolean' } },
      hold: queueSelect,
      release: queueSelect,
      delete: { ...queueSelect, bounce: { type: 'boolean' } },
    },
  },
  spam: {
    load: async () => (await import('./commands/spam.js')).spam,
    usage: 'tegami spam learn --spam|--ham FILE|DIR... [--user ADDRESS]',
    subs: {
      learn: { spam: { type: 'boolean', inlinePositional: true }, ham: { type: 'boolean', inlinePositional: true }, user: { type: 'string', value: 'ADDRESS' } },
    },
  },
  dkim: {
    load: async () => (await import('./commands/dkim.js')).dkim,
    usage: 'tegami dkim keygen DOMAIN [--selector S] [--key-type rsa|ed25519] [--bits N] [--force] [--json] | dkim show DOMAIN [--json]',
    subs: {
      keygen: { ...json, selector: { type: 'string', value: 'S' }, 'key-type': { type: 'string', value: 'rsa|ed25519' }, bits: { type: 'string', value: 'N' }, force: { type: 'boolean' } },
      show: json,
    },
  },
  admin: {
    load: async () => (await import('./commands/admin.js')).admin,
    usage: 'tegami admin token create ADDRESS | token revoke ADDRESS | token list ADDRESS   (admin API tokens)',
    subs: { token: {} },
  },
  backup: {
    load: async () => (await import('./commands/backup.js')).backup,
    usage: 'tegami backup FILE [--with-mail] [--with-bayes] [--force] [--json]',
    options: { ...json, 'with-mail': { type: 'boolean' }, 'with-bayes': { type: 'boolean' }, force: { type: 'boolean' } },
  },
  restore: {
    load: async () => (await import('./commands/backup.js')).restore,
    usage: 'tegami restore FILE [--force] [--json]',
    options: { ...json, force: { type: 'boolean' } },
  },
  lab: {
    load: async () => (await import('../../lab/cli.js')).lab,
    usage: 'tegami lab list | lab run SCENARIO [--target host:port ...] [--domain D] [--auth user:password] [--report-dir DIR] [--quick] | lab report FILE.json',
    subs: {
      list: {},
      run: {
        target: { type: 'string', multiple: true, value: 'HOST:PORT' },
        domain: { type: 'string', value: 'D' },
        auth: { type: 'string', value: 'USER:PASSWORD' },
        'report-dir': { type: 'string', value: 'DIR' },
        quick: { type: 'boolean' },
      },
      report: {},
    },
  },
};

export const USAGE = `usage: tegami COMMAND [--config FILE] ...
  serve                                  run the server
  domain add|del|list [NAME]             local domains
  user add|del|list|passwd|set|import|orphans ...  accounts (user add ADDRESS --password-stdin)
  alias add|del|list ...                 aliases (alias add ADDRESS TARGET[,TARGET])
  list create|del|show|set|add|remove|members|pending|approve|reject ...  mailing lists
  queue list [--json]|show|retry|hold|release|delete ...
  spam learn --spam|--ham PATH           train the Bayesian filter
  dkim keygen DOMAIN                     make a DKIM key, print the DNS record
  admin token create|revoke|list ADDRESS  API tokens for the admin JSON API
  backup FILE [--with-mail] [--with-bayes]  accounts, keys (and mail) to one .tar.gz
  restore FILE [--force]                 restore a backup into this config's data_dir
  lab list | lab run SCENARIO [--target host:port ...] | lab report FILE.json
tegami COMMAND --help shows a command's options.`;

/** The options a command line may use: the subcommand's (all of the command's when it names none we know). */
export function optionsFor(spec: CommandSpec, sub: string | undefined): Options {
  if (spec.options) return { ...GLOBAL, ...spec.options };
  const subs = spec.subs ?? {};
  if (sub !== undefined && Object.hasOwn(subs, sub)) return { ...GLOBAL, ...subs[sub] };
  return Object.assign({}, GLOBAL, ...Object.values(subs)) as Options;
}
