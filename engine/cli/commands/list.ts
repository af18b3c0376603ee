// tegami list create|del|show|set|list|add|remove|members|pending|approve|reject — mailing lists (R4).
// Options are parsed per subcommand with node:util parseArgs (strict): an unknown option, a missing value or a
// bad value is exit 2 naming what is valid; a refusal (no such list, the address is taken, a loop) is exit 1, as
// for every command; nothing is changed then. Approve/reject mark the held post; the
// running server carries the decision out (list housekeeping), or the next start does.
import fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Context } from '../../context.js';
import { openStorage } from '../../db/storage.js';
import { controlRequest } from '../../queue/control.js';
import { DMARC_REWRITES, POST_POLICIES, REPLY_POLICIES, type ListSettings, type MailingList } from '../../accounts/list-directory.js';
import { SqliteActivity, type ListActivity } from '../../lists/activity.js';
import { PgActivity } from '../../lists/pg-activity.js';
import type { PgPool } from '../../db/pg/pool.js';
import { checkMemberAddress, ListError } from '../../lists/sqlite-lists.js';
import { parseCsv } from '../csv.js';
import { cannotRead } from '../../util/file-problem.js';

type Options = NonNullable<ParseArgsConfig['options']>;

class Usage extends Error {}

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const COMMON: Options = { config: str, help: bool };
const JSON_OPT: Options = { json: bool };
const SETTINGS: Options = {
  post: str,
  moderated: bool,
  unmoderated: bool,
  admin: { type: 'string', multiple: true },
  'remove-admin': { type: 'string', multiple: true },
  'subject-prefix': str,
  'reply-to': str,
  'max-size': str,
  digest: bool,
  'no-digest': bool,
  archive: bool,
  'no-archive': bool,
  'dmarc-rewrite': str,
  private: bool,
  public: bool,
};
const MEMBERS: Options = { file: str };

const SUBS: Record<string, { options: Options; usage: string }> = {
  create: { options: SETTINGS, usage: 'list create NAME@DOMAIN [settings as for set]' },
  del: { options: {}, usage: 'list del NAME@DOMAIN' },
  show: { options: JSON_OPT, usage: 'list show NAME@DOMAIN [--json]' },
  set: {
    options: SETTINGS,
    usage:
      'list set NAME@DOMAIN [--post members|anyone|moderators] [--moderated|--unmoderated] [--admin ADDRESS]... [--remove-admin ADDRESS]...\n' +
      '    [--subject-prefix TEXT] [--reply-to list|sender] [--max-size SIZE] [--digest|--no-digest] [--archive|--no-archive]\n' +
      '    [--dmarc-rewrite always|policy|never] [--private|--public]',
  },
  list: { options: { ...JSON_OPT, domain: str }, usage: 'list list [--domain DOMAIN] [--json]' },
  add: { options: { ...MEMBERS, digest: bool }, usage: 'list add NAME@DOMAIN ADDRESS... [--file members.csv] [--digest]' },
  remove: { options: MEMBERS, usage: 'list remove NAME@DOMAIN ADDRESS... [--file members.csv]' },
  members: { options: JSON_OPT, usage: 'list members NAME@DOMAIN [--json]' },
  pending: { options: JSON_OPT, usage: 'list pending NAME@DOMAIN [--json]' },
  approve: { options: {}, usage: 'list approve NAME@DOMAIN ID' },
  reject: { options: {}, usage: 'list reject NAME@DOMAIN ID' },
};

export const LIST_USAGE = Object.values(SUBS)
  .map((s) => `tegami ${s.usage}`)
  .join('\n');

function optionNames(o: Options): string {
  return Object.entries(o)
    .map(([n, d]) => (d.type === 'string' ? `--${n} VALUE` : `--${n}`))
    .join(', ');
}

/** `argv` is the whole command line after "tegami" (the word "list" and --config anywhere in it). */
export async function list(argv: string[]): Promise<number> {
  let sub = '';
  try {
    const loose = parseArgs({ args: argv, options: { ...COMMON, ...SETTINGS, ...MEMBERS, ...JSON_OPT, domain: str }, strict: false, allowPositionals: true });
    const words = loose.positionals[0] === 'list' ? loose.positionals.slice(1) : loose.positionals;
    sub = words[0] ?? '';
    const spec = SUBS[sub];
    if (!spec || !Object.hasOwn(SUBS, sub)) {
      if (!sub || sub === 'help' || loose.values.help) {
        // asked for (help, --help): stdout and 0; `tegami list` alone is a usage error
        const asked = sub === 'help' || !!loose.values.help;
        (asked ? process.stdout : process.stderr).write(`usage:\n${LIST_USAGE.replace(/^/gm, '  ')}\n`);
        return asked ? 0 : 2;
      }
      throw new Usage(`unknown subcommand "${sub}"; one of: ${Object.keys(SUBS).join(', ')}`);
    }
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: { ...COMMON, ...spec.options }, strict: true, allowPositionals: true });
    } catch (e) {
      throw new Usage(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')}; valid options: ${optionNames({ ...spec.options, config: str })}`);
    }
    if (parsed.values.help) {
      process.stdout.write(`usage: tegami ${spec.usage}\n`);
      return 0;
    }
    const args = (parsed.positionals[0] === 'list' ? parsed.positionals.slice(1) : parsed.positionals).slice(1);
    const ctx = await openStorage(parsed.values.config as string | undefined, { mode: 'command' });
    try {
      return await run(ctx, sub, args, parsed.values as Record<string, unknown>);
    } finally {
      await ctx.close();
    }
  } catch (e) {
    if (e instanceof Usage) {
      process.stderr.write(`tegami list${sub ? ` ${sub}` : ''}: ${e.message}\n${SUBS[sub] ? `usage: tegami ${SUBS[sub].usage}\n` : ''}`);
      return 2;
    }
    process.stderr.write(`tegami list${sub ? ` ${sub}` : ''}: ${(e as Error).message}\n`);
    return 1;
  }
}

const out = (line: string) => process.stdout.write(line + '\n');

function need(args: string[], n: number, usage: string): void {
  if (args.length < n) throw new Usage(`missing argument; usage: tegami ${usage}`);
}

async function run(ctx: Omit<Context, 'close'> & { pool?: PgPool }, sub: string, args: string[], v: Record<string, unknown>): Promise<number> {
  const lists = ctx.directory.lists;
  const usage = SUBS[sub].usage;
  if (sub === 'list') {
    const all = lists.lists(v.domain as string | undefined);
    if (v.json) out(JSON.stringify(all.map((l) => ({ ...l, members: lists.members(l.address).length }))));
    else for (const l of all) out(`${l.address}\t${lists.members(l.address).length} member(s)`);
    return 0;
  }
  need(args, 1, usage);
  const address = args[0].toLowerCase();
  const existing = sub === 'create' ? undefined : lists.list(address);
  if (sub !== 'create' && !existing) throw new ListError(`no such list: ${args[0]}`);
  // PostgreSQL: the moderation queue is shared rows (a post held on one node is decided on any)
  const activity: ListActivity = ctx.pool ? new PgActivity(ctx.pool, ctx.config.storage.node_name, new SqliteActivity(ctx.db), { carriesOut: false }) : new SqliteActivity(ctx.db);
  switch (sub) {
    case 'create': {
      if (args.length > 1) throw new Usage(`unexpected argument: ${args[1]}`);
      const { settings, adminsAdd } = readSettings(v);
      const l = ctx.db.transaction(() => {
        const made = lists.createList(address, settings);
        for (const a of adminsAdd) lists.addAdmin(made.address, a);
        return made;
      })();
      out(`created list ${l.address}`);
      return 0;
    }
    case 'del':
      lists.deleteList(address);
      out(`deleted list ${address} (its files under lists/ in the data dir are kept)`);
      return 0;
    case 'show': {
      const l = existing!;
      const members = lists.members(l.address);
      const admins = lists.admins(l.address);
      if (v.json) {
        out(JSON.stringify({ ...l, admins, members: members.length, disabled: members.filter((m) => m.disabled).length, digest_members: members.filter((m) => m.digest).length, held: (await activity.heldPosts(l.address)).length }));
        return 0;
      }
      for (const [k, val] of Object.entries(describe(l))) out(`${k.padEnd(16)}${val}`);
      out(`${'admins'.padEnd(16)}${admins.join(', ') || '(none: notices go to postmaster)'}`);
      out(`${'members'.padEnd(16)}${members.length} (${members.filter((m) => m.disabled).length} disabled, ${members.filter((m) => m.digest).length} digest)`);
      out(`${'held posts'.padEnd(16)}${(await activity.heldPosts(l.address)).length}`);
      return 0;
    }
    case 'set': {
      if (args.length > 1) throw new Usage(`unexpected argument: ${args[1]}`);
      const { settings, adminsAdd, adminsRemove } = readSettings(v);
      ctx.db.transaction(() => {
        lists.updateList(address, settings);
        for (const a of adminsAdd) lists.addAdmin(address, a);
        for (const a of adminsRemove) lists.removeAdmin(address, a);
      })();
      out(`updated list ${address}`);
      return 0;
    }
    case 'add':
    case 'remove': {
      const entries = memberEntries(args.slice(1), v.file as string | undefined, !!v.digest);
      if (!entries.length) throw new Usage(`give one or more addresses, or --file; usage: tegami ${usage}`);
      let changed = 0;
      let digestAdded = 0;
      ctx.db.transaction(() => {
        for (const e of entries) {
          if (sub === 'add') {
            if (lists.addMember(address, e.address, { digest: e.digest })) {
              changed++;
              if (e.digest) digestAdded++;
            } else process.stderr.write(`already a member: ${e.address}\n`);
          } else if (lists.removeMember(address, e.address)) changed++;
          else process.stderr.write(`not a member: ${e.address}\n`);
        }
      })();
      out(`${sub === 'add' ? 'added' : 'removed'} ${changed} member(s) ${sub === 'add' ? 'to' : 'from'} ${address}`);
      // the digest preference is kept (it takes effect when the list offers a digest), but until then those members
      // get every post as a single copy: said here, since nothing else would tell (operator run 2)
      if (digestAdded && !existing!.digest) {
        out(`note: ${address} offers no digest, so the ${digestAdded} member(s) added for the digest get every post as a single copy; tegami list set ${address} --digest turns the digest on (docs/lists.md "Digests")`);
      }
      return 0;
    }
    case 'members': {
      const ms = lists.members(address);
      if (v.json) out(JSON.stringify(ms.map((m) => ({ address: m.address, digest: m.digest, disabled: m.disabled, disabled_reason: m.disabledReason ?? null, disabled_at: m.disabledAt ? new Date(m.disabledAt).toISOString() : null, added: new Date(m.added).toISOString() }))));
      else for (const m of ms) out(`${m.address}${m.digest ? '\tdigest' : ''}${m.disabled ? `\tdisabled (${m.disabledReason ?? 'admin'})` : ''}`);
      return 0;
    }
    case 'pending': {
      const held = (await activity.heldPosts(address)).filter((h) => h.state === 'held');
      if (v.json) out(JSON.stringify(held.map((h) => ({ id: h.id, sender: h.sender, subject: h.subject, reason: h.reason, size: h.size, received: new Date(h.created).toISOString(), expires: new Date(h.expires).toISOString() }))));
      else for (const h of held) out(`${h.id}\t${h.sender}\t${h.subject}`);
      return 0;
    }
    case 'approve':
    case 'reject': {
      need(args, 2, usage);
      const id = args[1].toLowerCase();
      const h = /^[a-z2-7]{10}$/.test(id) ? await activity.heldById(id) : undefined;
      if (!h || h.list !== address) throw new ListError(`no held post ${args[1]} on ${address} (tegami list pending ${address})`);
      if (!(await activity.setHeldState(h.id, sub === 'approve' ? 'approved' : 'rejected'))) throw new ListError(`held post ${h.id} was decided already`);
      const live = await controlRequest(ctx.config.data_dir, { cmd: 'ping' } as never, 5000).catch(() => null);
      out(`${sub === 'approve' ? 'approved' : 'rejected'} ${h.id} (${h.sender}: ${h.subject}); ${live ? 'the server carries it out now' : 'carried out when the server starts'}`);
      return 0;
    }
  }
  throw new Usage(`unknown subcommand ${sub}`);
}

function describe(l: MailingList): Record<string, string> {
  return {
    list: l.address,
    post: l.post,
    moderated: l.moderated ? 'yes' : 'no',
    'subject prefix': l.subjectPrefix || '(none)',
    'reply-to': l.replyTo,
    'max size': l.maxSize ? `${l.maxSize} bytes` : '(the server limit)',
    digest: l.digest ? 'offered' : 'no',
    archive: l.archive ? 'on' : 'off',
    'dmarc rewrite': l.dmarcRewrite,
    subscription: l.private ? 'private (moderators approve)' : 'open (confirmed by mail)',
  };
}

/** The settings flags, checked (--admin an address): a bad value is exit 2 and nothing changes. */
function readSettings(v: Record<string, unknown>): { settings: Partial<ListSettings>; adminsAdd: string[]; adminsRemove: string[] } {
  const s: Partial<ListSettings> = {};
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const x = v[name] as string | undefined;
    if (x === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(x)) throw new Usage(`--${name} must be ${allowed.join(', ')}: ${x}`);
    return x as T;
  };
  const pair = (on: string, off: string): boolean | undefined => {
    if (v[on] && v[off]) throw new Usage(`--${on} and --${off} together`);
    return v[on] ? true : v[off] ? false : undefined;
  };
  s.post = oneOf('post', POST_POLICIES);
  s.replyTo = oneOf('reply-to', REPLY_POLICIES);
  s.dmarcRewrite = oneOf('dmarc-rewrite', DMARC_REWRITES);
  s.moderated = pair('moderated', 'unmoderated');
  s.digest = pair('digest', 'no-digest');
  s.archive = pair('archive', 'no-archive');
  s.private = pair('private', 'public');
  if (v['subject-prefix'] !== undefined) s.subjectPrefix = String(v['subject-prefix']).trim();
  if (v['max-size'] !== undefined) s.maxSize = parseSize(String(v['max-size']));
  for (const k of Object.keys(s) as (keyof ListSettings)[]) if (s[k] === undefined) delete s[k];
  const addresses = (name: string) =>
    ((v[name] as string[] | undefined) ?? []).map((a) => {
      try {
        return checkMemberAddress(a);
      } catch (e) {
        throw new Usage(`--${name}: ${(e as Error).message}`);
      }
    });
  return { settings: s, adminsAdd: addresses('admin'), adminsRemove: addresses('remove-admin') };
}

/** "25M", "512K", "1G", "100000" (bytes) or "0" (no limit of the list's own). */
export function parseSize(text: string): number {
  const m = /^(\d{1,12})\s*([KMG]?)B?$/i.exec(text.trim());
  if (!m) throw new Usage(`not a size: ${text} (bytes, or a number with K, M or G)`);
  const n = Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2].toUpperCase()];
  if (!Number.isSafeInteger(n)) throw new Usage(`not a size: ${text}`);
  return n;
}

/** Addresses from the command line and a CSV file (address[,digest] per line, an optional header line). */
function memberEntries(words: string[], file: string | undefined, digest: boolean): { address: string; digest: boolean }[] {
  const rows: { address: string; digest: boolean; where: string }[] = words.map((w) => ({ address: w, digest, where: 'argument' }));
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Usage(cannotRead(file, e));
    }
    for (const [i, row] of parseCsv(text).entries()) {
      const cell = (row[0] ?? '').trim();
      if (!cell || cell.startsWith('#') || (i === 0 && /^(address|e-?mail|member)$/i.test(cell))) continue;
      const mode = (row[1] ?? '').trim().toLowerCase();
      if (mode && mode !== 'digest' && mode !== 'regular') throw new Usage(`${file} line ${i + 1}: the second column is "digest" or "regular", not ${row[1]}`);
      rows.push({ address: cell, digest: mode ? mode === 'digest' : digest, where: `${file} line ${i + 1}` });
    }
  }
  // every address is checked before any is added: nothing changes if one is bad (exit 1 for an argument, as
  // `user add` of one; exit 2 for a line of the file, as a bad line of `user import`)
  return rows.map((r) => {
    try {
      return { address: checkMemberAddress(r.address), digest: r.digest };
    } catch (e) {
      if (r.where === 'argument') throw e;
      throw new Usage(`${(e as Error).message} (${r.where})`);
    }
  });
}
