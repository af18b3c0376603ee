// tegami domain add|del|list NAME — local domains kept in the database (config [domains] adds more).
import { UsageError, type Args } from '../args.js';
import { contextFrom, out } from '../common.js';

export async function domain(args: Args): Promise<number> {
  const [sub, name] = args.positional;
  const ctx = contextFrom(args);
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
      default:
        throw new UsageError('domain add|del|list [NAME]');
    }
  } finally {
    ctx.close();
  }
}
