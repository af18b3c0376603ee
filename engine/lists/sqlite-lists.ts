// The SQLite list directory (tables from engine/db/database.ts): lists, members, moderators, and the
// checks that keep addresses unambiguous: a list address is never a user's or an alias's, and no list
// contains itself through other lists or aliases. Reads are prepared statements, cheap enough per RCPT.
import type { Db } from '../db/database.js';
import { parseAddress } from '../policy/address.js';
import type { DmarcRewrite, ListAddress, ListDirectory, ListMember, ListSettings, MailingList, PostPolicy, ReplyPolicy } from '../accounts/list-directory.js';
import { checkListAddress, listAddresses, splitListLocal } from './names.js';

/** A refusal: `message` in English (the CLI); `code` and `values`, when set, for a translated one (the admin pages). */
export class ListError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly values?: Record<string, string | number>,
  ) {
    super(message);
  }
}

interface ListRow {
  address: string;
  name: string;
  domain: string;
  post: string;
  moderated: number;
  subject_prefix: string;
  reply_to: string;
  max_size: number;
  digest: number;
  archive: number;
  dmarc_rewrite: string;
  private: number;
  created: number;
}

interface MemberRow {
  id: number;
  list: string;
  address: string;
  digest: number;
  disabled: number;
  disabled_reason: string | null;
  disabled_at: number | null;
  added: number;
}

/** What the list directory needs from the account directory (one level of resolution, no lists). */
export interface AccountSide {
  /** The canonical local domain a name stands for, or null. */
  localDomain(domain: string): string | null;
  /** Targets of an alias at this canonical address, or null. */
  aliasTargets(address: string): string[] | null;
}

/** Nesting of lists and aliases a member may add (the router's own limit is 10). */
const MAX_NESTING = 10;

export class SqliteLists implements ListDirectory {
  private q;

  constructor(
    private readonly db: Db,
    private readonly accounts: AccountSide,
  ) {
    this.q = {
      list: db.prepare<[string], ListRow>('SELECT * FROM lists WHERE address = ?'),
      members: db.prepare<[string], MemberRow>('SELECT * FROM list_members WHERE list = ? ORDER BY address'),
      member: db.prepare<[string, string], MemberRow>('SELECT * FROM list_members WHERE list = ? AND address = ?'),
      memberById: db.prepare<[number], MemberRow>('SELECT * FROM list_members WHERE id = ?'),
      admins: db.prepare<[string], { address: string }>('SELECT address FROM list_admins WHERE list = ? ORDER BY address'),
    };
  }

  list(address: string): MailingList | undefined {
    const row = this.q.list.get(address.toLowerCase());
    return row ? toList(row) : undefined;
  }

  lists(domain?: string): MailingList[] {
    const rows = domain
      ? (this.db.prepare('SELECT * FROM lists WHERE domain = ? ORDER BY name').all(domain.toLowerCase()) as ListRow[])
      : (this.db.prepare('SELECT * FROM lists ORDER BY domain, name').all() as ListRow[]);
    return rows.map(toList);
  }

  resolveLocal(local: string, domain: string): ListAddress | null {
    const split = splitListLocal(local);
    if (!split) return null;
    const list = this.list(`${split.name}@${domain}`);
    return list ? { list, role: split.role, token: split.token } : null;
  }

  occupies(address: string): string | null {
    const a = address.toLowerCase();
    const at = a.lastIndexOf('@');
    if (at <= 0) return null;
    const domain = this.accounts.localDomain(a.slice(at + 1)) ?? a.slice(at + 1);
    const r = this.resolveLocal(a.slice(0, at), domain);
    if (!r) return null;
    return r.role === 'post' ? `${a} is a mailing list` : `${a} is the ${r.role} address of the mailing list ${r.list.address}`;
  }

  createList(address: string, settings: Partial<ListSettings> = {}): MailingList {
    const c = checkListAddress(address);
    if (!c.ok) throw new ListError(c.reason, c.code, c.values);
    const domain = this.accounts.localDomain(c.domain);
    if (!domain) throw new ListError(`${c.domain} is not a local domain (tegami domain add ${c.domain})`, 'not-local-domain', { domain: c.domain });
    if (domain !== c.domain) throw new ListError(`${c.domain} is a host alias of ${domain}; create the list as ${c.name}@${domain}`, 'host-alias', { domain: c.domain, canonical: domain });
    const addr = `${c.name}@${domain}`;
    if (this.list(addr)) throw new ListError(`list ${addr} exists`, 'exists', { address: addr });
    // every address the list answers to must be free: no user, no alias (not even NAME-request+x@)
    const roles = listAddresses({ name: c.name, domain });
    const exact = [roles.post, roles.request, roles.bounces, roles.owner];
    const like = [`${c.name}-request+%@${domain}`, `${c.name}-bounces+%@${domain}`];
    for (const table of ['users', 'aliases']) {
      const hit = this.db
        .prepare(`SELECT address FROM ${table} WHERE address IN (?, ?, ?, ?) OR address LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\' LIMIT 1`)
        .get(...exact, ...like.map(escapeLike)) as { address: string } | undefined;
      if (hit) throw new ListError(`${hit.address} is ${table === 'users' ? 'a user' : 'an alias'} already; a list ${addr} would take that address`, table === 'users' ? 'is-user' : 'is-alias', { address: hit.address });
    }
    const s = { ...DEFAULTS, ...settings };
    checkSettings(s);
    this.db
      .prepare(
        `INSERT INTO lists (address, name, domain, post, moderated, subject_prefix, reply_to, max_size, digest, archive, dmarc_rewrite, private, created)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(addr, c.name, domain, s.post, +s.moderated, s.subjectPrefix ?? `[${c.name}]`, s.replyTo, s.maxSize, +s.digest, +s.archive, s.dmarcRewrite, +s.private, Date.now());
    // a list-admin right that came before its list (`tegami user import` from another server) makes its holder
    // a moderator now, as a right granted on an existing list does (the list_admins ⇄ admin_rights triggers)
    this.db.prepare("INSERT OR IGNORE INTO list_admins (list, address) SELECT target, address FROM admin_rights WHERE kind = 'list' AND target = ?").run(addr);
    return this.list(addr)!;
  }

  updateList(address: string, patch: Partial<ListSettings>): MailingList {
    const cur = this.mustList(address);
    const next = { ...cur, ...patch };
    checkSettings(next);
    this.db
      .prepare('UPDATE lists SET post = ?, moderated = ?, subject_prefix = ?, reply_to = ?, max_size = ?, digest = ?, archive = ?, dmarc_rewrite = ?, private = ? WHERE address = ?')
      .run(next.post, +next.moderated, next.subjectPrefix, next.replyTo, next.maxSize, +next.digest, +next.archive, next.dmarcRewrite, +next.private, cur.address);
    return this.list(cur.address)!;
  }

  deleteList(address: string): void {
    const cur = this.mustList(address);
    this.db.transaction(() => {
      for (const table of ['list_members', 'list_admins', 'list_held', 'list_requests', 'list_bounces', 'list_posts', 'list_replies']) {
        this.db.prepare(`DELETE FROM ${table} WHERE list = ?`).run(cur.address);
      }
      this.db.prepare('DELETE FROM lists WHERE address = ?').run(cur.address);
    })();
  }

  members(list: string): ListMember[] {
    return this.q.members.all(list.toLowerCase()).map(toMember);
  }

  member(list: string, address: string): ListMember | undefined {
    const row = this.q.member.get(list.toLowerCase(), address.toLowerCase());
    return row ? toMember(row) : undefined;
  }

  memberById(id: number): ListMember | undefined {
    const row = this.q.memberById.get(id);
    return row ? toMember(row) : undefined;
  }

  addMember(list: string, address: string, opts: { digest?: boolean } = {}): boolean {
    const l = this.mustList(list);
    const a = checkMemberAddress(address);
    if (this.member(l.address, a)) return false;
    const loop = this.loopThrough(a, l.address);
    if (loop) throw loop;
    this.db.prepare('INSERT INTO list_members (list, address, digest, added) VALUES (?, ?, ?, ?)').run(l.address, a, opts.digest ? 1 : 0, Date.now());
    return true;
  }

  removeMember(list: string, address: string): boolean {
    return this.db.prepare('DELETE FROM list_members WHERE list = ? AND address = ?').run(list.toLowerCase(), address.trim().toLowerCase()).changes > 0;
  }

  setMember(list: string, address: string, patch: { digest?: boolean; disabled?: boolean; disabledReason?: 'bounce' | 'admin' | null; at?: number }): void {
    const m = this.member(list, address);
    if (!m) throw new ListError(`${address} is not a member of ${list}`, 'not-member', { address, list });
    const digest = patch.digest ?? m.digest;
    const disabled = patch.disabled ?? m.disabled;
    const reason = disabled ? (patch.disabledReason ?? m.disabledReason ?? 'admin') : null;
    const at = disabled ? (m.disabled && patch.disabled === undefined ? m.disabledAt : (patch.at ?? Date.now())) : null;
    this.db.prepare('UPDATE list_members SET digest = ?, disabled = ?, disabled_reason = ?, disabled_at = ? WHERE id = ?').run(+digest, +disabled, reason, at ?? null, m.id);
  }

  admins(list: string): string[] {
    return this.q.admins.all(list.toLowerCase()).map((r) => r.address);
  }

  addAdmin(list: string, address: string): void {
    const l = this.mustList(list);
    const a = checkMemberAddress(address);
    this.db.prepare('INSERT OR IGNORE INTO list_admins (list, address) VALUES (?, ?)').run(l.address, a);
  }

  removeAdmin(list: string, address: string): boolean {
    return this.db.prepare('DELETE FROM list_admins WHERE list = ? AND address = ?').run(list.toLowerCase(), address.trim().toLowerCase()).changes > 0;
  }

  private mustList(address: string): MailingList {
    const l = this.list(address.trim());
    if (!l) throw new ListError(`no such list: ${address}`, 'no-such-list', { address });
    return l;
  }

  /**
   * Would `member` on `list` make a loop? Follows local lists (their members) and aliases from the new
   * member; a path back to `list`, or one deeper than the router follows, is refused with the path named.
   */
  private loopThrough(member: string, list: string): ListError | null {
    const walk = (address: string, path: string[]): ListError | null => {
      if (path.length > MAX_NESTING) return new ListError(`nesting deeper than ${MAX_NESTING} lists and aliases: ${path.join(' → ')}`, 'list-nesting', { max: MAX_NESTING, path: path.join(' → ') });
      const at = address.lastIndexOf('@');
      const domain = this.accounts.localDomain(address.slice(at + 1));
      if (!domain) return null;
      const canonical = `${address.slice(0, at).toLowerCase()}@${domain}`;
      const hit = this.resolveLocal(address.slice(0, at), domain);
      if (hit) {
        if (hit.role !== 'post') return null; // NAME-request@ and the like do not distribute
        const next = [...path, hit.list.address];
        if (hit.list.address === list) return new ListError(`${member} would make ${list} contain itself: ${next.join(' → ')}`, 'list-loop', { member, list, path: next.join(' → ') });
        if (path.includes(hit.list.address)) return null; // an existing loop elsewhere: not ours to report
        for (const m of this.members(hit.list.address)) {
          const r = walk(m.address, next);
          if (r) return r;
        }
        return null;
      }
      const targets = this.accounts.aliasTargets(canonical);
      if (targets && !path.includes(canonical)) {
        for (const t of targets) {
          const r = walk(t, [...path, canonical]);
          if (r) return r;
        }
      }
      return null;
    };
    return walk(member, [list]);
  }
}

const DEFAULTS: Omit<ListSettings, 'subjectPrefix'> & { subjectPrefix?: string } = {
  post: 'members',
  moderated: false,
  replyTo: 'sender',
  maxSize: 0,
  digest: false,
  archive: false,
  dmarcRewrite: 'policy',
  private: false,
};

function checkSettings(s: Partial<ListSettings>): void {
  if (s.post !== undefined && !['members', 'anyone', 'moderators'].includes(s.post)) throw new ListError(`post must be members, anyone or moderators: ${s.post}`, 'setting-choice', { detail: 'members, anyone, moderators' });
  if (s.replyTo !== undefined && !['list', 'sender'].includes(s.replyTo)) throw new ListError(`reply-to must be list or sender: ${s.replyTo}`, 'setting-choice', { detail: 'list, sender' });
  if (s.dmarcRewrite !== undefined && !['always', 'policy', 'never'].includes(s.dmarcRewrite)) throw new ListError(`dmarc-rewrite must be always, policy or never: ${s.dmarcRewrite}`, 'setting-choice', { detail: 'always, policy, never' });
  if (s.maxSize !== undefined && (!Number.isSafeInteger(s.maxSize) || s.maxSize < 0)) throw new ListError(`not a size: ${s.maxSize}`, 'not-size', { value: String(s.maxSize) });
  if (s.subjectPrefix !== undefined && (s.subjectPrefix.length > 64 || /[\x00-\x1f\x7f]/.test(s.subjectPrefix))) {
    throw new ListError('a subject prefix has at most 64 characters and no control characters', 'subject-prefix', { max: 64 });
  }
}

/** A member or moderator address: local@domain that parses as an envelope address, no routing tricks. */
export function checkMemberAddress(address: string): string {
  const raw = address.trim();
  const p = parseAddress(raw);
  if (!p.ok || !p.value.domain || p.value.ipLiteral || p.value.routing || raw.startsWith('<') || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(raw)) {
    throw new ListError(`not an address: ${address}`, 'not-address', { value: address });
  }
  if (raw.length > 254) throw new ListError(`address too long: ${address.slice(0, 40)}…`, 'address-too-long', { value: `${address.slice(0, 40)}…`, max: 254 });
  return p.value.normalized;
}

function escapeLike(s: string): string {
  return s.replace(/[\\_]/g, (c) => `\\${c}`);
}

function toList(r: ListRow): MailingList {
  return {
    address: r.address,
    name: r.name,
    domain: r.domain,
    post: r.post as PostPolicy,
    moderated: !!r.moderated,
    subjectPrefix: r.subject_prefix,
    replyTo: r.reply_to as ReplyPolicy,
    maxSize: r.max_size,
    digest: !!r.digest,
    archive: !!r.archive,
    dmarcRewrite: r.dmarc_rewrite as DmarcRewrite,
    private: !!r.private,
    created: r.created,
  };
}

function toMember(r: MemberRow): ListMember {
  return {
    id: r.id,
    list: r.list,
    address: r.address,
    digest: !!r.digest,
    disabled: !!r.disabled,
    disabledReason: (r.disabled_reason as 'bounce' | 'admin' | null) ?? undefined,
    disabledAt: r.disabled_at ?? undefined,
    added: r.added,
  };
}
