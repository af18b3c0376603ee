// What each `tegami` command accepts: its usage text and, per subcommand, the options it takes. The
// dispatcher (main.ts) parses strictly against this table, so an option works only where it is declared
// here. It never runs a command; adding an option to a command means adding it here too.
import type { Args, Options } from './args.js';
import { DOMAIN_DEFAULT_OPTIONS, USER_SETTING_OPTIONS, USER_SET_ONLY_OPTIONS } from './user-flags.js';

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
/** Queue commands on PostgreSQL: this node's spool instead of the shared queue. */
const queueLocal: Options = { local: { type: 'boolean' } };
const queueSelect: Options = { ...json, domain: { type: 'string', value: 'DOMAIN' } };

export const COMMANDS: Record<string, CommandSpec> = {
  serve: {
    load: async () => (await import('./commands/serve.js')).serve,
    usage: 'tegami serve [--config FILE] [--quiet]      run the server until SIGTERM/SIGINT',
    options: { quiet: { type: 'boolean' } },
  },
  domain: {
    load: async () => (await import('./commands/domain.js')).domain,
    usage: [
      'tegami domain add NAME | del NAME | list [--json] | show NAME [--json]',
      'tegami domain set NAME  defaults for new accounts of NAME, and its mailbox quota:',
      '    [--default-reply-to ADDR] [--default-forward A,B] [--default-keep-copy|--default-no-keep-copy]',
      '    [--default-no-password-change|--default-password-change] [--default-disabled|--default-enabled]',
      '    [--default-no-web-access|--default-web-access] [--default-quota SIZE] [--default-quota-messages N]',
    ].join('\n'),
    subs: { add: {}, del: {}, delete: {}, list: json, show: json, set: DOMAIN_DEFAULT_OPTIONS },
  },
  user: {
    load: async () => (await import('./commands/user.js')).user,
    usage: [
      'tegami user add ADDRESS --password-stdin|--password P [SETTING...]',
      'tegami user set ADDRESS SETTING...',
      '  settings: [--full-name NAME] [--reply-to ADDR] [--forward A,B] [--keep-copy|--no-keep-copy]',
      '    [--no-password-change|--password-change] [--disabled|--enabled] [--no-web-access|--web-access]',
      '    [--host-admin DOMAIN]... [--list-admin LIST]... [--system-admin] (--admin is the same)',
      '    [--quota SIZE|default] [--quota-messages N|default]   (0 = unlimited; default = the domain\'s)',
      '  set only: [--no-host-admin DOMAIN]... [--no-list-admin LIST]... [--no-system-admin] (--no-admin)',
      'tegami user passwd ADDRESS --password-stdin|--password P',
      'tegami user show ADDRESS [--json]',
      'tegami user del ADDRESS                    (the mail folder is kept aside as an orphan)',
      'tegami user list [--domain DOMAIN] [--json]   (--json: every setting, the quota and the usage)',
      'tegami user export FILE.csv|- [--with-secrets] [--domain DOMAIN] [--force]',
      'tegami user import FILE.csv [--update]      (a header row naming the columns, or address,password[,full name[,forward]])',
      'tegami user orphans [--json] | orphans --remove ID [--yes]   (PostgreSQL: the shared store\'s too; --yes to remove one)',
      'tegami user limit ADDRESS|@DOMAIN [--messages-per-hour N|default] [--messages-per-day N|default]',
      '    [--recipients-per-hour N|default] [--recipients-per-day N|default] [--json]',
      '    sending limits in force and sent in the last hour/24 hours (0 = no limit; default = the domain\'s, then [limits])',
    ].join('\n'),
    subs: {
      add: { ...password, ...USER_SETTING_OPTIONS },
      passwd: password,
      set: { ...USER_SETTING_OPTIONS, ...USER_SET_ONLY_OPTIONS },
      show: json,
      del: {},
      delete: {},
      list: { ...json, domain: { type: 'string', value: 'DOMAIN' } },
      export: { domain: { type: 'string', value: 'DOMAIN' }, 'with-secrets': { type: 'boolean' }, force: { type: 'boolean' } },
      import: { update: { type: 'boolean' } },
      orphans: { ...json, remove: { type: 'string', value: 'ID' }, yes: { type: 'boolean' } },
      limit: {
        ...json,
        'messages-per-hour': { type: 'string', value: 'N|default' },
        'messages-per-day': { type: 'string', value: 'N|default' },
        'recipients-per-hour': { type: 'string', value: 'N|default' },
        'recipients-per-day': { type: 'string', value: 'N|default' },
      },
    },
  },
  alias: {
    load: async () => (await import('./commands/alias.js')).alias,
    usage: 'tegami alias add ADDRESS TARGET[,TARGET...] | del ADDRESS | list [--json]',
    subs: { add: {}, del: {}, delete: {}, list: json },
  },
  sieve: {
    load: async () => (await import('./commands/sieve.js')).sieve,
    usage: [
      'tegami sieve put ADDRESS|@DOMAIN NAME [FILE|-] [--activate]   (a script that does not compile is refused, line and column)',
      'tegami sieve get ADDRESS|@DOMAIN NAME',
      'tegami sieve list ADDRESS|@DOMAIN [--json]',
      'tegami sieve activate ADDRESS|@DOMAIN NAME | sieve deactivate ADDRESS|@DOMAIN',
      'tegami sieve delete ADDRESS|@DOMAIN NAME',
    ].join('\n'),
    subs: { put: { activate: { type: 'boolean' } }, get: {}, list: json, activate: {}, deactivate: {}, delete: {}, del: {} },
  },
  rule: {
    load: async () => (await import('./commands/rule.js')).rule,
    usage: [
      'tegami rule add ADDRESS|@DOMAIN [--name N] [--if "FIELD OP VALUE"]... [--any] [--case-sensitive] [--disabled]',
      '    actions: [--add-header "Name: value"]... [--copy FOLDER]... [--forward ADDRESS [--keep-copy]]... [--move FOLDER] [--delete] [--stop]',
      '    FIELD: subject|from|to|sender|body|header:NAME   OP: contains|not-contains|is|matches|regex',
      'tegami rule list ADDRESS|@DOMAIN [--json]     (a script the form cannot show is listed raw)',
      'tegami rule del ADDRESS|@DOMAIN N',
    ].join('\n'),
    subs: {
      add: {
        name: { type: 'string', value: 'NAME' },
        if: { type: 'string', multiple: true, value: '"FIELD OP VALUE"' },
        any: { type: 'boolean' },
        'case-sensitive': { type: 'boolean' },
        disabled: { type: 'boolean' },
        'add-header': { type: 'string', multiple: true, value: '"Name: value"' },
        copy: { type: 'string', multiple: true, value: 'FOLDER' },
        forward: { type: 'string', multiple: true, value: 'ADDRESS' },
        'keep-copy': { type: 'boolean' },
        move: { type: 'string', value: 'FOLDER' },
        delete: { type: 'boolean' },
        stop: { type: 'boolean' },
      },
      list: json,
      del: {},
      delete: {},
    },
  },
  vacation: {
    load: async () => (await import('./commands/vacation.js')).vacation,
    usage: [
      'tegami vacation set ADDRESS [FILE|-] [--subject S] [--from YYYY-MM-DD] [--until YYYY-MM-DD] [--days N] [--address A]... [--sender null|user]',
      'tegami vacation off ADDRESS',
      'tegami vacation show ADDRESS [--json]',
    ].join('\n'),
    subs: {
      set: {
        subject: { type: 'string', value: 'S' },
        from: { type: 'string', value: 'YYYY-MM-DD' },
        until: { type: 'string', value: 'YYYY-MM-DD' },
        days: { type: 'string', value: 'N' },
        address: { type: 'string', multiple: true, value: 'ADDRESS' },
        sender: { type: 'string', value: 'null|user' },
      },
      off: {},
      show: json,
    },
  },
  autoreply: {
    load: async () => (await import('./commands/autoreply.js')).autoreply,
    usage: ['tegami autoreply set ADDRESS [FILE|-] [--subject S] [--interval DURATION]   (default once a day per sender)', 'tegami autoreply off ADDRESS', 'tegami autoreply show [ADDRESS] [--json]'].join('\n'),
    subs: { set: { subject: { type: 'string', value: 'S' }, interval: { type: 'string', value: 'DURATION' } }, off: {}, show: json },
  },
  queue: {
    load: async () => (await import('./commands/queue.js')).queue,
    usage: [
      'tegami queue list [--json] [--domain D] [--state incoming|active|deferred|hold]',
      'tegami queue show ID [--json]',
      'tegami queue retry ID|--all|--domain D',
      'tegami queue flush   (= retry --all)',
      'tegami queue hold ID|--domain D',
      'tegami queue release ID|--domain D',
      'tegami queue delete ID|--domain D [--bounce]',
      'with [storage] backend = "postgres" these work on the shared queue; --local on this node\'s spool',
    ].join('\n'),
    subs: {
      list: { ...queueSelect, ...queueLocal, state: { type: 'string', value: 'STATE' } },
      show: { ...json, ...queueLocal },
      retry: { ...queueSelect, ...queueLocal, all: { type: 'boolean' } },
      flush: queueLocal,
      hold: { ...queueSelect, ...queueLocal },
      release: { ...queueSelect, ...queueLocal },
      delete: { ...queueSelect, ...queueLocal, bounce: { type: 'boolean' } },
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
    usage: [
      'tegami dkim keygen DOMAIN [--selector S] [--key-type rsa|ed25519] [--bits N] [--force] [--non-local] [--json] | dkim show DOMAIN [--json]',
      '    --force      write over an existing key of the selector',
      '    --non-local  make a key for a domain that is not local (it signs nothing until the domain is added)',
    ].join('\n'),
    subs: {
      keygen: { ...json, selector: { type: 'string', value: 'S' }, 'key-type': { type: 'string', value: 'rsa|ed25519' }, bits: { type: 'string', value: 'N' }, force: { type: 'boolean' }, 'non-local': { type: 'boolean' } },
      show: json,
    },
  },
  admin: {
    load: async () => (await import('./commands/admin.js')).admin,
    usage: 'tegami admin token create ADDRESS | token revoke ADDRESS | token list ADDRESS   (admin API tokens)',
    subs: { token: {} },
  },
  db: {
    load: async () => (await import('./commands/db.js')).db,
    usage: [
      'tegami db migrate [--json] | db status [--json]     create/upgrade the [storage] database schema, or show its version',
      'tegami db import-local [--from DATA_DIR] [--merge] [--json]   copy a single node\'s accounts, lists, rules,',
      '    settings, rights, quotas, defaults and Bayes into PostgreSQL and check the counts (default: data_dir)',
    ].join('\n'),
    subs: { migrate: json, status: json, 'import-local': { ...json, from: { type: 'string', value: 'DATA_DIR' }, merge: { type: 'boolean' } } },
  },
  backup: {
    load: async () => (await import('./commands/backup.js')).backup,
    usage: 'tegami backup FILE [--with-mail] [--with-bayes] [--with-logs] [--force] [--json]',
    options: { ...json, 'with-mail': { type: 'boolean' }, 'with-bayes': { type: 'boolean' }, 'with-logs': { type: 'boolean' }, force: { type: 'boolean' } },
  },
  restore: {
    load: async () => (await import('./commands/backup.js')).restore,
    usage: 'tegami restore FILE [--force] [--json]',
    options: { ...json, force: { type: 'boolean' } },
  },
  config: {
    load: async () => (await import('./commands/config.js')).config,
    usage: 'tegami config check [--json]               check the config and its certificates as serve reads them, before a restart',
    subs: { check: json },
  },
  keys: {
    load: async () => (await import('./commands/keys.js')).keys,
    usage: [
      'tegami keys adopt [--json]                 PostgreSQL: make this node\'s keys/secret.key and SRS key the cluster\'s (after a deliberate change)',
      'tegami keys rotate [--json]                a new keys/secret.key; every secret sealed with the old one re-sealed in one transaction (servers stopped)',
    ].join('\n'),
    subs: { adopt: json, rotate: json },
  },
  status: {
    load: async () => (await import('./commands/status.js')).status,
    usage: 'tegami status [--json]                     the running server, asked over the control socket',
    options: json,
  },
  monitor: {
    load: async () => (await import('./commands/monitor.js')).monitor,
    usage: 'tegami monitor test | monitor check [--json]',
    subs: { test: {}, check: json },
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
  domain add|del|list|show|set [NAME]    local domains, their defaults for new accounts
  user add|del|list|show|passwd|set|limit|import|export|orphans ...  accounts (user add ADDRESS --password-stdin)
  alias add|del|list ...                 aliases (alias add ADDRESS TARGET[,TARGET])
  list create|del|show|set|list|add|remove|members|pending|approve|reject ...  mailing lists
  sieve put|get|list|activate|deactivate|delete ...  Sieve scripts of a user or @domain
  rule add|list|del ADDRESS|@DOMAIN ...  the IMail rule form (compiled to Sieve)
  vacation set|off|show ADDRESS          the vacation reply (vacation set ADDRESS [FILE] --until YYYY-MM-DD)
  autoreply set|off|show ADDRESS         auto-responders (every message answered)
  queue list [--json]|show|retry|flush|hold|release|delete ...
  spam learn --spam|--ham PATH           train the Bayesian filter
  dkim keygen|show DOMAIN                make a DKIM key and print its DNS record; print it again
  admin token create|revoke|list ADDRESS  API tokens for the admin JSON API
  backup FILE [--with-mail] [--with-bayes] [--with-logs] [--force]  accounts, keys (and mail, logs) to one .tar.gz
  restore FILE [--force]                 restore a backup into this config's data_dir
  config check [--json]                  check the config and certificates before a restart
  keys adopt [--json]                    PostgreSQL: this node's keys become the cluster's (a deliberate change)
  keys rotate [--json]                   a new keys/secret.key, every sealed secret re-sealed (servers stopped)
  status [--json]                        the running server: listeners, queue, pool, monitor, disk, database
  monitor test | monitor check [--json]  send a test alert; check every [[monitor]] target now
  db migrate|status|import-local ...     the [storage] database's schema; a single node's data into PostgreSQL
  lab list | lab run SCENARIO [--target host:port ...] | lab report FILE.json
tegami COMMAND --help shows a command's options.`;

/** The options a command line may use: the subcommand's (all of the command's when it names none we know). */
export function optionsFor(spec: CommandSpec, sub: string | undefined): Options {
  if (spec.options) return { ...GLOBAL, ...spec.options };
  const subs = spec.subs ?? {};
  if (sub !== undefined && Object.hasOwn(subs, sub)) return { ...GLOBAL, ...subs[sub] };
  return Object.assign({}, GLOBAL, ...Object.values(subs)) as Options;
}
