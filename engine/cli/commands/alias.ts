// tegami alias add ADDRESS TARGET[,TARGET...] | del ADDRESS | list — old names and temporary addresses (A7).
import { UsageError, type Args } from '../args.js';
import { contextFrom, out } from '../common.js';

export async function alias(args: Args): Promise<number> {
  const [sub, address, ...rest] = args.positional;
  const ctx = await contextFrom(args);
  try {
    switch (sub) {
      case 'add': {
        const targets = rest.join(',').split(',').map((s) => s.trim()).filter(Boolean);
        if (!address || !targets.length) throw new UsageError('alias add ADDRESS TARGET[,TARGET...]');
        ctx.directory.addAlias(address, targets);
        out(`alias ${address.toLowerCase()} -> ${targets.join(', ')}`);
        return 0;
      }
      case 'del':
      case 'delete':
        if (!address) throw new UsageError('alias del ADDRESS');
        ctx.directory.deleteAlias(address);
        out(`deleted alias ${address.toLowerCase()}`);
        return 0;
      case 'list': {
        const list = ctx.directory.listAliases();
        if (args.flags.has('json')) out(JSON.stringify(list));
        else for (const a of list) out(`${a.address}\t${a.targets.join(',')}`);
        return 0;
      }
      default:
        throw new UsageError('alias add|del|list');
    }
  } finally {
    await ctx.close();
  }
}
