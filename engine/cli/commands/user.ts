// tegami user add|del|list|passwd|import — accounts (A1–A3). Passwords come from --password-stdin
// (one trailing newline stripped) or --password; never from a log or the process list when avoidable.
import fs from 'node:fs';
import { flag, UsageError, type Args } from '../args.js';
import { contextFrom, out, readStdin } from '../common.js';
import { parseCsv } from '../csv.js';
import { listOrphans, removeOrphan } from '../../store/orphans.js';

/** `user orphans [--json]`: the mail folders of deleted accounts; `user orphans --remove ID` deletes one. */
function orphans(args: Args, dataDir: string): number {
  if (args.positional.length > 1) throw new UsageError('user orphans [--json] | user orphans --remove ID');
  const id = flag(args, 'remove');
  if (id !== undefined) {
    if (!removeOrphan(dataDir, id)) {
      process.stderr.write(`tegami user: no orphan ${id} (tegami user orphans lists them)\n`);
      return 1;
    }
    out(`removed orphan ${id} and its mail`);
    return 0;
  }
  const list = listOrphans(dataDir);
  if (args.flags.has('json')) out(JSON.stringify(list));
  else if (!list.length) out('no orphaned mail folders');
  else for (const o of list) out(`${o.id}\t${o.address}\tdeleted ${o.deleted_at}\t${o.messages} message(s), ${o.bytes} bytes`);
  return 0;
}

async function passwordFrom(args: Args): Promise<string> {
  if (args.flags.has('password-stdin')) return readStdin();
  const p = flag(args, 'password');
  if (p !== undefined) return p;
  throw new UsageError('give the password with --password-stdin (or --password)');
}

export async function user(args: Args): Promise<number> {
  const [sub, address] = args.positional;
  const ctx = contextFrom(args);
  const dir = ctx.directory;
  try {
    switch (sub) {
      case 'add': {
        if (!address) throw new UsageError('user add ADDRESS --password-stdin [--full-name NAME] [--admin]');
        const u = await dir.addUser({
          address,
          password: await passwordFrom(args),
          fullName: flag(args, 'full-name'),
          forward: flag(args, 'forward')?.split(',').map((s) => s.trim()).filter(Boolean),
          systemAdmin: args.flags.has('admin'),
          disabled: args.flags.has('disabled'),
        });
        out(`added user ${u.address}`);
        return 0;
      }
      case 'passwd': {
        if (!address) throw new UsageError('user passwd ADDRESS --password-stdin');
        await dir.setPassword(address, await passwordFrom(args));
        out(`password changed for ${address.toLowerCase()}`);
        return 0;
      }
      case 'set': {
        if (!address) throw new UsageError('user set ADDRESS [--disabled|--enabled] [--admin|--no-admin] [--full-name N] [--forward A,B]');
        if (args.flags.has('disabled') && args.flags.has('enabled')) throw new UsageError('give --disabled or --enabled, not both');
        if (args.flags.has('admin') && args.flags.has('no-admin')) throw new UsageError('give --admin or --no-admin, not both');
        if (!['disabled', 'enabled', 'admin', 'no-admin', 'full-name', 'forward'].some((f) => args.flags.has(f))) throw new UsageError('nothing to change: give --disabled, --enabled, --admin, --no-admin, --full-name or --forward');
        dir.updateUser(address, {
          disabled: args.flags.has('disabled') ? true : args.flags.has('enabled') ? false : undefined,
          systemAdmin: args.flags.has('admin') ? true : args.flags.has('no-admin') ? false : undefined,
          fullName: flag(args, 'full-name'),
          forward: flag(args, 'forward')?.split(',').map((s) => s.trim()).filter(Boolean),
        });
        out(`updated ${address.toLowerCase()}`);
        return 0;
      }
      case 'del':
      case 'delete': {
        if (!address) throw new UsageError('user del ADDRESS');
        const orphan = dir.deleteUser(address);
        out(`deleted user ${address.toLowerCase()}${orphan ? ` (mail folder kept as orphan ${orphan}; tegami user orphans lists it)` : ''}`);
        return 0;
      }
      case 'orphans':
        return orphans(args, ctx.config.data_dir);
      case 'list': {
        const users = dir.listUsers(flag(args, 'domain'));
        if (args.flags.has('json')) out(JSON.stringify(users));
        else for (const u of users) out(`${u.address}${u.disabled ? '\t(disabled)' : ''}${u.systemAdmin ? '\t(admin)' : ''}${u.fullName ? `\t${u.fullName}` : ''}`);
        return 0;
      }
      case 'import': {
        // The seed's adduser.exe: one account per line: address,password[,full name[,forward]]
        if (!address) throw new UsageError('user import FILE.csv');
        const rows = parseCsv(fs.readFileSync(address, 'utf8'));
        let added = 0;
        const errors: string[] = [];
        for (const [i, row] of rows.entries()) {
          if (i === 0 && /^(address|user|email)$/i.test(row[0] ?? '')) continue; // header line
          if (row.length === 1 && row[0] === '') continue;
          try {
            await dir.addUser({ address: row[0], password: row[1] ?? '', fullName: row[2], forward: row[3]?.split(/[;,]/).map((s) => s.trim()).filter(Boolean) });
            added++;
          } catch (e) {
            errors.push(`line ${i + 1}: ${(e as Error).message}`);
          }
        }
        out(`imported ${added} user(s)${errors.length ? `, ${errors.length} refused` : ''}`);
        for (const e of errors) process.stderr.write(e + '\n');
        return errors.length ? 1 : 0;
      }
      default:
        throw new UsageError('user add|del|list|passwd|set|import|orphans');
    }
  } finally {
    ctx.close();
  }
}
