// tegami domain add|del|list|show|set NAME — local domains kept in the database (config [domains] adds more),
// and each domain's defaults for new accounts and its mailbox quota (`domain set NAME --default-…`).
import { Refusal, UsageError, type Args } from '../args.js';
import { contextFrom, out } from '../common.js';
import { domainDefaultsFromFlags } from '../user-flags.js';
import type { SqliteDirectory } from '../../accounts/sqlite-directory.js';
import { formatSize } from '../../accounts/quota.js';
import type { DomainDefaultSettings } from '../../accounts/domain-defaults.js';

/** A canonical local domain named on the command line (a host alias is named as what it stands for). */
function canonicalDomain(dir: SqliteDirectory, name: string): string {
  const d = name.toLowerCase().replace(/\.$/, '');
  const c = dir.localDomain(d);
  if (!c) throw new Refusal(`not a local domain: "${name}" (tegami domain list shows them)`);
  if (c !== d) throw new Refusal(`${d} is a host alias of ${c}; its accounts and defaults are ${c}'s`);
  return c;
}

function showText(name: string, d: DomainDefaultSettings): void {
  const b = (v: boolean | null, yes: string, no: string) => (v === null ? `${yes} (built-in)` : v ? yes : no);
  const rows: [string, string][] = [
    ['domain', name],
    ['reply-to', d.replyTo ?? ''],
    ['forward', (d.forward ?? []).join(', ')],
    ['keep a copy', b(d.keepCopy, 'yes', 'no')],
    ['password change', b(d.cannotChangePassword === null ? null : !d.cannotChangePassword, 'allowed', 'not allowed')],
    ['new accounts', b(d.disabled === null ? null : !d.disabled, 'enabled', 'disabled')],
    ['web access', b(d.webAccess, 'yes', 'no')],
    ['quota', `${d.quotaBytes ? formatSize(d.quotaBytes) : 'unlimited'}, ${d.quotaMessages || 'unlimited'} messages`],
  ];
  for (const [k, v] of rows) out(`${k.padEnd(20)}${v}`);
}

export async function domain(args: Args): Promise<number> {
  const [sub, name] = args.positional;
  const ctx = await contextFrom(args);
  try {
    switch (sub) {
      case 'add':
        if (!name) throw new UsageError('domain add NAME');
        ctx.directory.addDomain(name);
        out(`added domain ${name.toLowerCase()}`);
        return 0;
      case 'del':
      case 'delete':
        if (!name) throw new UsageError('domain del NAME');
        ctx.directory.deleteDomain(name);
        out(`deleted domain ${name.toLowerCase()}`);
        return 0;
      case 'list': {
        const list = ctx.directory.domains();
        if (args.flags.has('json')) out(JSON.stringify(list));
        else for (const d of list) out(d.aliasOf ? `${d.name}\t(host alias of ${d.aliasOf})` : d.name);
        return 0;
      }
      case 'show': {
        if (!name) throw new UsageError('domain show NAME [--json]');
        const d = canonicalDomain(ctx.directory, name);
        const defaults = ctx.directory.defaults.get(d);
        if (args.flags.has('json')) out(JSON.stringify({ domain: d, defaults }));
        else showText(d, defaults);
        return 0;
      }
      case 'set': {
        if (!name) throw new UsageError('domain set NAME --default-SETTING... (tegami domain --help lists them)');
        const d = canonicalDomain(ctx.directory, name);
        const patch = domainDefaultsFromFlags(args);
        if (!Object.keys(patch).length) throw new UsageError('nothing to change: give a --default-… setting (tegami domain --help lists them)');
        ctx.directory.defaults.set(d, patch);
        out(`updated the defaults of ${d}`);
        return 0;
      }
      default:
        throw new UsageError('domain add|del|list|show|set [NAME]');
    }
  } finally {
    await ctx.close();
  }
}
