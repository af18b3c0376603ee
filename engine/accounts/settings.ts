// Per-user settings (FEATURES A2): one patch shape for every setting and right, checked before anything is
// written, then applied in one transaction (columns, admin_rights rows, the quota override). New accounts get
// the settings they were given on top of their domain's defaults. It never touches a password or a mailbox.
import type { NewUser, User } from './directory.js';
import type { SqliteDirectory } from './sqlite-directory.js';
import { AccountError } from './sqlite-directory.js';

export interface SettingsPatch {
  fullName?: string;
  /** '' clears it. */
  replyTo?: string;
  forward?: string[];
  keepCopy?: boolean;
  disabled?: boolean;
  cannotChangePassword?: boolean;
  webAccess?: boolean;
  systemAdmin?: boolean;
  /** Old boolean: true = host admin of the user's own domain; false = of no domain. */
  hostAdmin?: boolean;
  /** Old boolean: false = list admin of no list (true names no list: refused, give listAdminOf). */
  listAdmin?: boolean;
  /** Replace the set of domains / lists administered. */
  hostAdminOf?: string[];
  listAdminOf?: string[];
  /** Add or take away single rights. */
  grant?: { host?: string[]; list?: string[] };
  revoke?: { host?: string[]; list?: string[] };
  /** The user's own quota; null = back to the domain's default, undefined = unchanged; 0 = unlimited. */
  quota?: { bytes?: number | null; messages?: number | null };
}

/** user@domain in the plain dot-atom form (no quotes, no routing characters), at most 254 octets. */
export function isPlainAddress(s: string): boolean {
  if (s.length > 254) return false;
  const at = s.lastIndexOf('@');
  if (at <= 0 || at > 64) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (!/^[A-Za-z0-9!#$&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$&'*+/=?^_`{|}~-]+)*$/.test(local)) return false;
  return isDomainName(domain);
}

export function isDomainName(d: string): boolean {
  return d.length <= 253 && /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(d);
}

const norm = (list: string[]) => [...new Set(list.map((x) => x.trim().toLowerCase()).filter(Boolean))];

/** Check a patch against the directory; returns it with domains made canonical and addresses lower-cased. */
export function checkPatch(dir: SqliteDirectory, domainOfUser: string, patch: SettingsPatch): SettingsPatch {
  const p: SettingsPatch = { ...patch };
  if (p.fullName !== undefined && /[\x00-\x1f\x7f]/.test(p.fullName)) throw new AccountError('the full name may not hold control characters');
  if (p.fullName !== undefined && p.fullName.length > 200) throw new AccountError('the full name is longer than 200 characters');
  if (p.replyTo !== undefined) {
    p.replyTo = p.replyTo.trim();
    if (p.replyTo !== '' && !isPlainAddress(p.replyTo)) throw new AccountError(`reply-to is not an address: ${patch.replyTo}`);
  }
  if (p.forward !== undefined) {
    p.forward = norm(p.forward);
    const bad = p.forward.find((a) => !isPlainAddress(a));
    if (bad) throw new AccountError(`forward target is not an address: ${bad}`);
    if (p.forward.length > 50) throw new AccountError('at most 50 forward targets (use a mailing list for more)');
  }
  const domains = (list: string[] | undefined) => {
    if (!list) return undefined;
    return norm(list).map((d) => {
      const c = dir.localDomain(d);
      if (!c) throw new AccountError(`not a local domain: ${d}`);
      return c;
    });
  };
  const lists = (list: string[] | undefined) => {
    if (!list) return undefined;
    return norm(list).map((l) => {
      if (!isPlainAddress(l)) throw new AccountError(`a list is named by its address: ${l}`);
      const c = dir.localDomain(l.slice(l.lastIndexOf('@') + 1));
      if (!c) throw new AccountError(`a list address must be in a local domain: ${l}`);
      return `${l.slice(0, l.lastIndexOf('@'))}@${c}`;
    });
  };
  if (p.listAdmin === true && !p.listAdminOf && !p.grant?.list?.length) throw new AccountError('name the lists the account administers (listAdminOf)');
  p.hostAdminOf = domains(p.hostAdminOf ?? (p.hostAdmin === true ? [domainOfUser] : p.hostAdmin === false ? [] : undefined));
  p.listAdminOf = lists(p.listAdminOf ?? (p.listAdmin === false ? [] : undefined));
  p.grant = p.grant && { host: domains(p.grant.host), list: lists(p.grant.list) };
  p.revoke = p.revoke && { host: domains(p.revoke.host), list: lists(p.revoke.list) };
  for (const k of ['bytes', 'messages'] as const) {
    const v = p.quota?.[k];
    if (v !== undefined && v !== null && (!Number.isSafeInteger(v) || v < 0)) throw new AccountError(`quota ${k} must be a whole number, 0 or more: ${v}`);
  }
  return p;
}

/** Apply a patch to an existing account (the caller checked it exists); everything or nothing. */
export function updateSettings(dir: SqliteDirectory, address: string, patch: SettingsPatch): void {
  const db = dir.database;
  const user = dir.user(address)!;
  const p = checkPatch(dir, user.domain, patch);
  const cols: Record<string, unknown> = {};
  if (p.fullName !== undefined) cols.full_name = p.fullName;
  if (p.replyTo !== undefined) cols.reply_to = p.replyTo;
  if (p.forward !== undefined) cols.forward = p.forward.join(',');
  if (p.keepCopy !== undefined) cols.keep_copy = p.keepCopy ? 1 : 0;
  if (p.disabled !== undefined) cols.disabled = p.disabled ? 1 : 0;
  if (p.cannotChangePassword !== undefined) cols.cannot_change_password = p.cannotChangePassword ? 1 : 0;
  if (p.webAccess !== undefined) cols.web_access = p.webAccess ? 1 : 0;
  db.transaction(() => {
    const keys = Object.keys(cols);
    if (keys.length) db.prepare(`UPDATE users SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE address = ?`).run(...keys.map((k) => cols[k]), address);
    const rights = dir.rights;
    if (p.systemAdmin === true) rights.grant(address, 'system');
    if (p.systemAdmin === false) rights.revoke(address, 'system');
    for (const [kind, set] of [['host', p.hostAdminOf], ['list', p.listAdminOf]] as const) {
      if (!set) continue;
      const held = kind === 'host' ? user.hostAdminOf : user.listAdminOf;
      for (const t of held) if (!set.includes(t)) rights.revoke(address, kind, t);
      for (const t of set) rights.grant(address, kind, t);
    }
    for (const t of p.grant?.host ?? []) rights.grant(address, 'host', t);
    for (const t of p.grant?.list ?? []) rights.grant(address, 'list', t);
    for (const t of p.revoke?.host ?? []) rights.revoke(address, 'host', t);
    for (const t of p.revoke?.list ?? []) rights.revoke(address, 'list', t);
    if (p.quota && (p.quota.bytes !== undefined || p.quota.messages !== undefined)) {
      const cur = dir.quotaOverride(address)!;
      const bytes = p.quota.bytes === undefined ? cur.bytes : p.quota.bytes;
      const messages = p.quota.messages === undefined ? cur.messages : p.quota.messages;
      if (bytes === null && messages === null) db.prepare('DELETE FROM user_quotas WHERE address = ?').run(address);
      else {
        db.prepare('INSERT INTO user_quotas (address, bytes, messages) VALUES (?, ?, ?) ON CONFLICT(address) DO UPDATE SET bytes = excluded.bytes, messages = excluded.messages')
          .run(address, bytes, messages);
      }
    }
  })();
}

/** The explicit settings of a new account as a patch (fields left out keep the domain's defaults). */
function newUserPatch(u: NewUser): SettingsPatch {
  return {
    replyTo: u.replyTo,
    keepCopy: u.keepCopy,
    cannotChangePassword: u.cannotChangePassword,
    webAccess: u.webAccess,
    // the insert already took `disabled: true`; an explicit false overrides a domain default of disabled
    disabled: u.disabled === false ? false : undefined,
    systemAdmin: u.systemAdmin ? true : undefined,
    hostAdminOf: u.hostAdminOf,
    listAdminOf: u.listAdminOf,
    quota: u.quota,
  };
}

/** Check a new account's settings before it is created (so a bad one creates nothing). */
export function checkNewUser(dir: SqliteDirectory, u: NewUser): void {
  const at = u.address.lastIndexOf('@');
  checkPatch(dir, dir.localDomain(u.address.slice(at + 1)) ?? '', { ...newUserPatch(u), forward: u.forward });
}

/** After the insert: the settings given explicitly, on top of the domain's defaults. */
export function applyNewUser(dir: SqliteDirectory, address: string, u: NewUser): void {
  updateSettings(dir, address, newUserPatch(u));
}

/** What the webmail offers as the sender identity: the name, the address, and the reply-to (A2). */
export function identityOf(user: User): { name: string; address: string; replyTo?: string } {
  return { name: user.fullName, address: user.address, replyTo: user.replyTo || undefined };
}
