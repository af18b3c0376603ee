// tegami user add|del|list|show|passwd|set|import|export|orphans — accounts (A1–A4, A8). Passwords come from
// --password-stdin (one trailing newline stripped) or --password; never from a log or the process list when
// avoidable. Settings flags are read and checked in ../user-flags.ts, CSV in ../user-csv.ts.
import fs from 'node:fs';
import { flag, Refusal, UsageError, type Args } from '../args.js';
import { contextFrom, out, readStdin } from '../common.js';
import { listOrphans, removeOrphan } from '../../store/orphans.js';
import { changesSomething, checkedAddress, userSettingsFromFlags } from '../user-flags.js';
import { exportUsers, importUsers, readImport } from '../user-csv.js';
import type { User } from '../../accounts/directory.js';
import type { SqliteDirectory } from '../../accounts/sqlite-directory.js';
import { formatSize, type Usage } from '../../accounts/quota.js';
import { maildirRoot } from '../../store/maildir.js';
import { mailboxUsage } from '../../store/maildirsize.js';
import { listSharedOrphans, removeSharedOrphan } from '../../store/pg-orphans.js';
import { usage as sharedUsage } from '../../store/pg-messages.js';
import type { PgPool } from '../../db/pg/pool.js';
import { SessionStore } from '../../web/session-store.js';
import { userLimit } from '../send-limits.js';
import { PgSessionStore } from '../../web/pg-session-store.js';

/**
 * `user orphans [--json]`: the mail folders of deleted accounts; `user orphans --remove ID` deletes one. On
 * PostgreSQL the shared store's orphans (migration 32) are listed too, and removing one of them needs --yes.
 */
async function orphans(args: Args, dataDir: string, pool?: PgPool): Promise<number> {
  if (args.positional.length > 1) throw new UsageError('user orphans [--json] | user orphans --remove ID [--yes]');
  const id = flag(args, 'remove');
  if (id !== undefined && pool && !listOrphans(dataDir).some((o) => o.id === id)) return removeShared(pool, id, args.flags.has('yes'));
  if (pool && id === undefined) {
    const list = [...listOrphans(dataDir).map((o) => ({ ...o, store: 'local' })), ...(await listSharedOrphans(pool)).map((o) => ({ ...o, store: 'shared' }))];
    if (args.flags.has('json')) out(JSON.stringify(list));
    else if (!list.length) out('no orphaned mail');
    else for (const o of list) out(`${o.id}\t${o.address}\tdeleted ${o.deleted_at}\t${o.messages} message(s), ${o.bytes} bytes\t${o.store === 'shared' ? 'shared store' : "this node's Maildir"}`);
    return 0;
  }
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

/** An orphan of the shared store: every node's mail of that account, so only with --yes; its unused bodies go too. */
async function removeShared(pool: PgPool, id: string, yes: boolean): Promise<number> {
  const found = (await listSharedOrphans(pool)).find((o) => o.id === id);
  if (!found) {
    process.stderr.write(`tegami user: no orphan ${id} (tegami user orphans lists them)\n`);
    return 1;
  }
  if (!yes) {
    process.stderr.write(`tegami user: orphan ${id} (${found.address}) holds ${found.messages} message(s), ${found.bytes} bytes in the shared store; add --yes to delete them for good\n`);
    return 1;
  }
  const r = await removeSharedOrphan(pool, id);
  if (!r) {
    process.stderr.write(`tegami user: no orphan ${id} (removed meanwhile?)\n`);
    return 1;
  }
  out(`removed orphan ${id} (${r.address}) from the shared store: ${r.messages} message(s), ${r.bodiesFreed} bod${r.bodiesFreed === 1 ? 'y' : 'ies'} freed`);
  return 0;
}

async function passwordFrom(args: Args): Promise<string> {
  if (args.flags.has('password-stdin')) return readStdin();
  const p = flag(args, 'password');
  if (p !== undefined) return p;
  throw new UsageError('give the password with --password-stdin (or --password)');
}

/**
 * A user as `user list --json` and `user show --json` print it: every setting, the quota override and the usage
 * (the node's Maildir; on PostgreSQL the shared store's figure, the one the RCPT quota check uses).
 */
async function describe(dir: SqliteDirectory, dataDir: string, u: User, pool?: PgPool): Promise<User & { quotaOverride: { bytes: number | null; messages: number | null }; usage: Usage }> {
  const usage = pool ? await sharedUsage(pool, u.address) : await mailboxUsage(maildirRoot(dataDir, u.address), u.quota);
  return { ...u, quotaOverride: dir.quotaOverride(u.address)!, usage };
}

function limit(n: number, unit: (n: number) => string): string {
  return n === 0 ? 'unlimited' : unit(n);
}

function showText(d: Awaited<ReturnType<typeof describe>>): void {
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  const rows: [string, string][] = [
    ['address', d.address],
    ['full name', d.fullName],
    ['reply-to', d.replyTo],
    ['forward', d.forward.join(', ')],
    ['keep a copy', yn(d.keepCopy)],
    ['disabled', yn(d.disabled)],
    ['may change password', yn(!d.cannotChangePassword)],
    ['web access', yn(d.webAccess)],
    ['system admin', yn(d.systemAdmin)],
    ['host admin of', d.hostAdminOf.join(', ')],
    ['list admin of', d.listAdminOf.join(', ')],
    ['quota', `${limit(d.quota.bytes, formatSize)}, ${limit(d.quota.messages, String)} messages${d.quotaOverride.bytes === null && d.quotaOverride.messages === null ? ' (the domain\'s default)' : ''}`],
    ['usage', `${formatSize(d.usage.bytes)} in ${d.usage.messages} message(s)`],
  ];
  for (const [k, v] of rows) out(`${k.padEnd(20)}${v}`);
}

function exportTo(args: Args, dir: SqliteDirectory, file: string): number {
  const { text, count } = exportUsers(dir, { domain: flag(args, 'domain'), withSecrets: args.flags.has('with-secrets') });
  if (file === '-') {
    process.stdout.write(text);
    return 0;
  }
  // personal data, perhaps password hashes: private, and never over an existing file unless told
  try {
    fs.writeFileSync(file, text, { mode: 0o600, flag: args.flags.has('force') ? 'w' : 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Refusal(`${file} exists (--force writes over it)`);
    throw e;
  }
  fs.chmodSync(file, 0o600);
  out(`exported ${count} user(s) to ${file}${args.flags.has('with-secrets') ? ' with their password hashes (keep the file private)' : ' (no passwords: --with-secrets adds the hashes)'}`);
  return 0;
}

export async function user(args: Args): Promise<number> {
  const [sub, address] = args.positional;
  const ctx = await contextFrom(args);
  const dir = ctx.directory;
  try {
    switch (sub) {
      case 'add': {
        if (!address) throw new UsageError('user add ADDRESS --password-stdin [settings] (tegami user --help lists them)');
        const s = userSettingsFromFlags(args, dir);
        const u = await dir.addUser({
          address,
          password: await passwordFrom(args),
          fullName: s.fullName,
          forward: s.forward,
          replyTo: s.replyTo,
          keepCopy: s.keepCopy,
          cannotChangePassword: s.cannotChangePassword,
          disabled: s.disabled,
          webAccess: s.webAccess,
          systemAdmin: s.systemAdmin,
          hostAdminOf: s.grant?.host,
          listAdminOf: s.grant?.list,
          quota: s.quota,
        });
        out(`added user ${u.address}`);
        return 0;
      }
      case 'passwd': {
        if (!address) throw new UsageError('user passwd ADDRESS --password-stdin');
        // the administrator's path: allowed even for an account that may not change its own password
        const r = await dir.changePassword(address, null, await passwordFrom(args), { by: 'admin' });
        if (!r.ok) {
          process.stderr.write(`tegami user: ${r.text}\n`);
          return 1;
        }
        // whoever is signed in to the web servers with the old password is signed out (every node on PostgreSQL)
        const ended = ctx.pool ? await new PgSessionStore(ctx.pool).destroyFor(address) : new SessionStore(ctx.db).destroyFor(address);
        out(`password changed for ${address.toLowerCase()}${ended ? ` (${ended} web session(s) ended)` : ''}`);
        return 0;
      }
      case 'set': {
        if (!address) throw new UsageError('user set ADDRESS SETTING... (tegami user --help lists them)');
        const patch = userSettingsFromFlags(args, dir);
        if (!changesSomething(patch)) throw new UsageError('nothing to change: give a setting (tegami user --help lists them)');
        dir.updateUser(address, patch);
        out(`updated ${address.toLowerCase()}`);
        return 0;
      }
      case 'show': {
        if (!address) throw new UsageError('user show ADDRESS [--json]');
        const u = dir.user(checkedAddress('address', address));
        if (!u) {
          process.stderr.write(`tegami user: no such user: ${address}\n`);
          return 1;
        }
        const d = await describe(dir, ctx.config.data_dir, u, ctx.pool);
        if (args.flags.has('json')) out(JSON.stringify(d));
        else showText(d);
        return 0;
      }
      case 'del':
      case 'delete': {
        if (!address) throw new UsageError('user del ADDRESS');
        const orphan = dir.deleteUser(address);
        const kept = orphan ? ` (mail folder kept as orphan ${orphan}; tegami user orphans lists it)` : ctx.pool ? ' (its mail in the shared store is kept as an orphan; tegami user orphans lists it)' : '';
        out(`deleted user ${address.toLowerCase()}${kept}`);
        return 0;
      }
      case 'limit':
        return await userLimit(args, ctx, address);
      case 'orphans':
        return await orphans(args, ctx.config.data_dir, ctx.pool);
      case 'list': {
        const users = dir.listUsers(flag(args, 'domain'));
        if (args.flags.has('json')) {
          const all = [];
          for (const u of users) all.push(await describe(dir, ctx.config.data_dir, u, ctx.pool));
          out(JSON.stringify(all));
        } else for (const u of users) out(`${u.address}${u.disabled ? '\t(disabled)' : ''}${u.systemAdmin ? '\t(admin)' : ''}${u.fullName ? `\t${u.fullName}` : ''}`);
        return 0;
      }
      case 'export':
        if (!address) throw new UsageError('user export FILE.csv|- [--with-secrets] [--domain DOMAIN] [--force]');
        return exportTo(args, dir, address);
      case 'import': {
        if (!address) throw new UsageError('user import FILE.csv [--update]');
        const lines = readImport(address);
        const r = await importUsers(dir, lines, { update: args.flags.has('update') });
        out(`imported ${r.added} user(s)${r.updated ? `, updated ${r.updated}` : ''}${r.refused.length ? `, ${r.refused.length} refused` : ''}`);
        for (const e of r.refused) process.stderr.write(e + '\n');
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        return r.refused.length ? 1 : 0;
      }
      default:
        throw new UsageError('user add|del|list|show|passwd|set|limit|import|export|orphans');
    }
  } finally {
    await ctx.close();
  }
}
