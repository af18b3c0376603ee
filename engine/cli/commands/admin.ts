// tegami admin token create|revoke|list ADDRESS: API tokens for the admin JSON API (/api/v1/). `create`
// prints the new token alone on stdout (it is shown this once; only its hash is kept) and refuses an
// account without an admin right; `revoke` removes all of the account's tokens. Logs go to stderr.
import path from 'node:path';
import { UsageError, type Args } from '../args.js';
import { contextFrom, out } from '../common.js';
import { AuditLog } from '../../web/audit.js';
import { FlagRoles } from '../../web/roles.js';
import { TokenStore } from '../../web/token-store.js';

const USAGE = 'admin token create ADDRESS | admin token revoke ADDRESS | admin token list ADDRESS';

export async function admin(args: Args): Promise<number> {
  const [group, sub, address] = args.positional;
  if (group !== 'token' || !['create', 'revoke', 'list'].includes(sub ?? '') || !address) throw new UsageError(USAGE);
  // `revoke ADDRESS ID` would read as "revoke this one token" and then revoke them all: one address, nothing more
  if (args.positional.length > 3) throw new UsageError(`${USAGE} (revoke removes all of the account's tokens; unexpected: ${args.positional.slice(3).join(' ')})`);
  const ctx = await contextFrom(args);
  const audit = AuditLog.admin(path.join(ctx.config.data_dir, 'logs'));
  try {
    const tokens = new TokenStore(ctx.db);
    const addr = address.toLowerCase();
    const user = ctx.directory.user(addr);
    if (sub === 'create') {
      const roles = new FlagRoles((d) => ctx.directory.localDomain(d));
      if (!user || !roles.hasAdminRight(user)) {
        process.stderr.write(`tegami admin: ${user ? `${addr} has no admin right (system, host or list admin)` : `no such user: ${addr}`}\n`);
        audit.write({ who: addr, action: 'token.create', ip: 'cli', result: 'denied' });
        return 1;
      }
      const { token, info } = tokens.create(addr, 'cli');
      audit.write({ who: addr, action: 'token.create', ip: 'cli', result: 'ok', detail: { token_id: info.id } });
      out(token);
      process.stderr.write(`tegami admin: token ${info.id} created for ${addr}; it is shown only now\n`);
      return 0;
    }
    if (sub === 'list') {
      for (const t of tokens.list(addr)) {
        out(`${t.id}\t${new Date(t.created).toISOString()}\t${t.lastUsed ? new Date(t.lastUsed).toISOString() : '-'}\t${t.label}`);
      }
      return 0;
    }
    const n = tokens.revokeAll(addr);
    audit.write({ who: addr, action: 'token.revoke', ip: 'cli', result: 'ok', detail: { count: n } });
    out(`revoked ${n} token(s) of ${addr}`);
    return 0;
  } finally {
    await audit.close();
    await ctx.close();
  }
}
