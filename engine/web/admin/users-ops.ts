// The user operations behind the users pages and /api/v1/users: add, change settings, set a password,
// delete (the mailbox kept as an orphan). Every input is checked here, with its error as a FieldError, before
// anything is written; the caller's rights are checked here too: a host admin acts only in its domains, never
// on a system admin, never grants a right it does not hold, and never raises its own rights or limits (nor sets
// anyone's above its own).
import type { User } from '../../accounts/directory.js';
import type { SettingsPatch } from '../../accounts/settings.js';
import { AccountError } from '../../accounts/sqlite-directory.js';
import { aboveOwnLimits, checkQuotaValue, type QuotaField } from './limits.js';
import type { Roles } from '../roles.js';
import type { WebSessions } from '../session-store.js';
import { invalid, notFound, ok, refuse, type FieldError, type Outcome } from './common.js';
import type { AdminServices } from './services.js';

/** The per-user settings an admin may change (FEATURES A2). */
export interface UserFields {
  fullName?: string;
  replyTo?: string;
  forward?: string[];
  keepCopy?: boolean;
  disabled?: boolean;
  cannotChangePassword?: boolean;
  webAccess?: boolean;
  hostAdmin?: boolean;
  listAdmin?: boolean;
  systemAdmin?: boolean;
  /** The domains / lists the account administers (replaces the set; each change is a grant or a revocation). */
  hostAdminOf?: string[];
  listAdminOf?: string[];
  /** The account's own quota; null = the domain's default, 0 = no limit, undefined = unchanged. */
  quotaBytes?: number | null;
  quotaMessages?: number | null;
}

/** Codes that make a refusal a 403 (a right or a limit the caller may not give), not a 400. */
export const FORBIDDEN_CODES = ['cannot-grant', 'own-rights', 'disable-self', 'own-limits', 'above-own-quota'];
const QUOTA_FIELDS: QuotaField[] = ['quotaBytes', 'quotaMessages'];

/** UserFields → the directory's patch (the quota fields become its quota override). */
function toPatch(f: UserFields): SettingsPatch {
  const { quotaBytes, quotaMessages, ...rest } = f;
  const p: SettingsPatch = { ...rest };
  if (quotaBytes !== undefined || quotaMessages !== undefined) p.quota = { bytes: quotaBytes, messages: quotaMessages };
  return p;
}

export const FLAG_FIELDS = ['keepCopy', 'disabled', 'cannotChangePassword', 'webAccess', 'hostAdmin', 'listAdmin', 'systemAdmin'] as const;
/** Rights: only a holder may hand them out, and nobody but a system admin changes their own. */
const RIGHTS = ['hostAdmin', 'listAdmin', 'systemAdmin'] as const;

const CONTROL = /[\x00-\x1f\x7f]/;
export const ADDRESS = /^[a-z0-9!#$&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$&'*+/=?^_`{|}~-]+)*@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;
export const isAddress = (s: string): boolean => s.length <= 254 && ADDRESS.test(s);

export class UserOps {
  constructor(
    private readonly svc: AdminServices,
    private readonly roles: Roles,
    private readonly sessions: WebSessions,
  ) {}

  private get dir() {
    return this.svc.accounts;
  }

  /**
   * Why `caller` may not act on `target` at all (other domain, a system admin, an account with admin rights the
   * caller does not hold), or null. Whoever may set an account's password or forward may become it, so an account
   * holding the right to another domain or list is for those who hold that right too (security review 3).
   */
  private mayTouch(caller: User, target: User): Outcome<never> | null {
    if (!this.roles.canAdminDomain(caller, target.domain)) return refuse('address', 'not-your-domain');
    if (target.systemAdmin && !this.roles.isSystemAdmin(caller)) return refuse('address', 'protected-account');
    const beyond = target.hostAdminOf.some((d) => !this.roles.canAdminDomain(caller, d)) || target.listAdminOf.some((l) => !this.roles.canAdminList(caller, { address: l }));
    if (beyond) return refuse('address', 'protected-rights');
    return null;
  }

  /** Which rights `caller` may give to, or take from, an account of `domain`. */
  private mayGrant(caller: User, domain: string, right: (typeof RIGHTS)[number]): boolean {
    if (this.roles.isSystemAdmin(caller)) return true;
    if (right === 'systemAdmin') return false;
    // a host admin holds the host right of its domain and every list right in it
    return this.roles.canAdminDomain(caller, domain);
  }

  /** Check the settings fields; FieldErrors name the form fields. */
  checkFields(f: UserFields): FieldError[] {
    const errors: FieldError[] = [];
    if (f.fullName !== undefined) {
      if (f.fullName.length > 200) errors.push({ field: 'fullName', code: 'too-long', values: { max: 200 } });
      else if (CONTROL.test(f.fullName)) errors.push({ field: 'fullName', code: 'control-chars' });
    }
    if (f.replyTo !== undefined && f.replyTo !== '' && !isAddress(f.replyTo)) errors.push({ field: 'replyTo', code: 'not-address', values: { value: f.replyTo } });
    if (f.forward !== undefined) {
      if (f.forward.length > 50) errors.push({ field: 'forward', code: 'too-many', values: { max: 50 } });
      const bad = f.forward.find((a) => !isAddress(a));
      if (bad !== undefined) errors.push({ field: 'forward', code: 'not-address', values: { value: bad } });
    }
    // the old boolean cannot say which lists (the directory would refuse it after the account was made)
    if (f.listAdmin === true && !f.listAdminOf?.length) errors.push({ field: 'listAdmin', code: 'list-admin-needs-list' });
    for (const q of QUOTA_FIELDS) errors.push(...checkQuotaValue(q, f[q]));
    const badDomain = f.hostAdminOf?.find((d) => !this.dir.localDomain(d));
    if (badDomain !== undefined) errors.push({ field: 'hostAdminOf', code: 'not-local-domain', values: { domain: badDomain } });
    const badList = f.listAdminOf?.find((l) => !isAddress(l));
    if (badList !== undefined) errors.push({ field: 'listAdminOf', code: 'not-address', values: { value: badList } });
    else {
      const foreign = f.listAdminOf?.find((l) => !this.dir.localDomain(l.slice(l.lastIndexOf('@') + 1)));
      if (foreign !== undefined) errors.push({ field: 'listAdminOf', code: 'not-local-domain', values: { domain: foreign.slice(foreign.lastIndexOf('@') + 1) } });
    }
    if (f.hostAdminOf && f.hostAdminOf.length > 100) errors.push({ field: 'hostAdminOf', code: 'too-many', values: { max: 100 } });
    if (f.listAdminOf && f.listAdminOf.length > 100) errors.push({ field: 'listAdminOf', code: 'too-many', values: { max: 100 } });
    return errors;
  }

  /** Domains and list addresses as the directory keeps them (canonical domain, lower case), each once. */
  private canonicalRights(f: UserFields): UserFields {
    const out = { ...f };
    const domain = (d: string) => this.dir.localDomain(d.trim()) ?? d.trim().toLowerCase();
    const list = (l: string) => {
      const a = l.trim().toLowerCase();
      const at = a.lastIndexOf('@');
      return at > 0 ? `${a.slice(0, at)}@${domain(a.slice(at + 1))}` : a;
    };
    if (f.hostAdminOf) out.hostAdminOf = [...new Set(f.hostAdminOf.map(domain))];
    if (f.listAdminOf) out.listAdminOf = [...new Set(f.listAdminOf.map(list))];
    return out;
  }

  /**
   * The rights named by the sets (hostAdminOf/listAdminOf) that would be given or taken away: each one the
   * caller must hold itself (a system admin holds all; a host admin its domains and their lists), and nobody
   * but a system admin changes its own.
   */
  private checkRightSets(caller: User, f: UserFields, self: boolean, before?: User): FieldError[] {
    const errors: FieldError[] = [];
    const sys = this.roles.isSystemAdmin(caller);
    const diff = (next: string[] | undefined, held: string[]) => (next ? [...next.filter((x) => !held.includes(x)), ...held.filter((x) => !next.includes(x))] : []);
    const host = diff(f.hostAdminOf, before?.hostAdminOf ?? []);
    const list = diff(f.listAdminOf, before?.listAdminOf ?? []);
    // a right newly granted on a list that does not exist is refused, naming it (a right kept from a list deleted
    // since may stay in the set; removing one is always allowed)
    const missing = (f.listAdminOf ?? []).find((l) => !(before?.listAdminOf ?? []).includes(l) && !this.dir.lists.list(l));
    if (missing !== undefined) errors.push({ field: 'listAdminOf', code: 'no-such-list', values: { address: missing } });
    for (const [field, changed, holds] of [
      ['hostAdminOf', host, (d: string) => this.roles.canAdminDomain(caller, d)],
      ['listAdminOf', list, (l: string) => this.roles.canAdminList(caller, { address: l })],
    ] as const) {
      if (!changed.length || sys) continue;
      if (self) errors.push({ field, code: 'own-rights' });
      else if (changed.some((x) => !holds(x))) errors.push({ field, code: 'cannot-grant' });
    }
    return errors;
  }

  /**
   * A quota change: nobody but a system admin changes its own limits, and a host admin sets none above its own
   * (what will be in force counts: the override, else the domain's default).
   */
  private checkQuota(caller: User, domain: string, f: UserFields, self: boolean, before?: User): FieldError[] {
    const own = before ? this.dir.quotaOverride(before.address) : undefined;
    const changed = QUOTA_FIELDS.filter((q) => f[q] !== undefined && (!before || f[q] !== (q === 'quotaBytes' ? own?.bytes : own?.messages)));
    if (!changed.length) return [];
    const sys = this.roles.isSystemAdmin(caller);
    if (self && !sys) return changed.map((field) => ({ field, code: 'own-limits' }));
    const d = this.dir.defaults.get(domain);
    const pick = (v: number | null | undefined, cur: number | null | undefined, dflt: number) => (v === undefined ? (cur ?? dflt) : (v ?? dflt));
    const wanted = { bytes: pick(f.quotaBytes, own?.bytes, d.quotaBytes), messages: pick(f.quotaMessages, own?.messages, d.quotaMessages) };
    return aboveOwnLimits(caller.quota, sys, wanted, changed);
  }

  private checkRights(caller: User, domain: string, f: UserFields, self: boolean, before?: User): FieldError[] {
    const errors: FieldError[] = [];
    for (const r of RIGHTS) {
      if (f[r] === undefined || (before && before[r] === f[r]) || (!before && !f[r])) continue;
      if (self && !this.roles.isSystemAdmin(caller)) errors.push({ field: r, code: 'own-rights' });
      else if (!this.mayGrant(caller, domain, r)) errors.push({ field: r, code: 'cannot-grant' });
    }
    if (self && f.disabled) errors.push({ field: 'disabled', code: 'disable-self' });
    if (self && f.systemAdmin === false && before?.systemAdmin) errors.push({ field: 'systemAdmin', code: 'own-rights' });
    return errors;
  }

  checkPassword(password: string, field = 'password'): FieldError[] {
    const a = this.svc.config.accounts;
    if (password.length < a.password_min || password.length > a.password_max) return [{ field, code: 'password-length', values: { min: a.password_min, max: a.password_max } }];
    if (CONTROL.test(password)) return [{ field, code: 'control-chars' }];
    return [];
  }

  /** The address of a new account, checked (syntax, length, a canonical local domain, free). */
  checkNewAddress(caller: User, raw: string): Outcome<{ address: string; domain: string }> {
    const address = raw.trim().toLowerCase();
    const m = /^([^@\s]+)@([^@\s]+)$/.exec(address);
    if (!m || !isAddress(address)) return invalid([{ field: 'address', code: 'not-address', values: { value: raw } }]);
    const [, local, domain] = m;
    if (!/^[a-z0-9][a-z0-9._+-]*$/.test(local) || local.endsWith('.') || local.includes('..')) return invalid([{ field: 'address', code: 'local-chars' }]);
    const min = this.svc.config.accounts.min_user_length;
    if (local.length < min && local !== 'postmaster') return invalid([{ field: 'address', code: 'local-length', values: { min } }]);
    const canonical = this.dir.localDomain(domain);
    if (!canonical) return invalid([{ field: 'address', code: 'not-local-domain', values: { domain } }]);
    if (!this.roles.canAdminDomain(caller, canonical)) return refuse('address', 'not-your-domain');
    if (canonical !== domain) return invalid([{ field: 'address', code: 'host-alias', values: { domain, canonical } }]);
    if (this.dir.user(address)) return { ok: false, status: 409, errors: [{ field: 'address', code: 'exists', values: { address } }] };
    if (this.dir.resolve(address).kind === 'alias') return { ok: false, status: 409, errors: [{ field: 'address', code: 'is-alias', values: { address } }] };
    return ok({ address, domain });
  }

  /** Everything an add would check, without writing (the CSV preview runs this per line). */
  checkAdd(caller: User, input: { address: string; password: string } & UserFields): Outcome<{ address: string; domain: string }> {
    const a = this.checkNewAddress(caller, input.address);
    if (!a.ok && a.status === 403) return a;
    // every field is checked, so the form shows all its errors at once
    const fieldErrors = this.checkFields(input);
    const c = fieldErrors.length ? input : this.canonicalRights(input);
    const errors = [
      ...(a.ok ? [] : a.errors), ...this.checkPassword(input.password), ...fieldErrors,
      ...(a.ok ? [...this.checkRights(caller, a.value.domain, c, false), ...this.checkRightSets(caller, c, false), ...this.checkQuota(caller, a.value.domain, c, false)] : []),
    ];
    if (!errors.length) return a;
    if (errors.some((e) => FORBIDDEN_CODES.includes(e.code))) return { ok: false, status: 403, errors };
    return { ok: false, status: !a.ok && errors.length === a.errors.length ? a.status : 400, errors };
  }

  async add(caller: User, input: { address: string; password: string } & UserFields): Promise<Outcome<User>> {
    const c = this.checkAdd(caller, input);
    if (!c.ok) return c;
    const { address } = c.value;
    try {
      const rest = { ...this.canonicalRights(input) } as Record<string, unknown>;
      for (const k of ['address', 'password', 'fullName', 'forward', 'systemAdmin', 'disabled']) delete rest[k];
      // the settings are checked by the directory before the account exists, so a refused one creates nothing
      const p = toPatch(rest as UserFields);
      await this.dir.addUser({
        address, password: input.password, fullName: input.fullName, forward: input.forward, systemAdmin: input.systemAdmin, disabled: input.disabled,
        replyTo: p.replyTo, keepCopy: p.keepCopy, cannotChangePassword: p.cannotChangePassword, webAccess: p.webAccess,
        hostAdminOf: p.hostAdminOf, listAdminOf: p.listAdminOf, quota: p.quota,
      });
      const more: SettingsPatch = { hostAdmin: p.hostAdmin, listAdmin: p.listAdmin };
      if (more.hostAdmin !== undefined || more.listAdmin !== undefined) this.dir.updateUser(address, more);
    } catch (e) {
      if (e instanceof AccountError) return invalid([{ field: 'address', code: 'account-error', values: { reason: e.message } }]);
      throw e;
    }
    return ok(this.dir.user(address)!);
  }

  /** Everything an update would check, without writing (the edit form runs this to show every error at once). */
  checkUpdate(caller: User, address: string, patch: UserFields): Outcome<User> {
    const target = this.dir.user(address);
    if (!target) return this.roles.isSystemAdmin(caller) || this.callerMayAdminAddress(caller, address) ? notFound('address') : refuse('address', 'not-your-domain');
    const denied = this.mayTouch(caller, target);
    if (denied) return denied;
    const self = target.address === caller.address;
    // a right or limit the caller may not change is a 403 even when another field is also wrong
    const p = this.canonicalRights(patch);
    const errors = [...this.checkFields(patch), ...this.checkRights(caller, target.domain, p, self, target), ...this.checkRightSets(caller, p, self, target), ...this.checkQuota(caller, target.domain, p, self, target)];
    if (errors.some((e) => FORBIDDEN_CODES.includes(e.code))) return { ok: false, status: 403, errors };
    if (errors.length) return invalid(errors);
    return ok(target);
  }

  async update(caller: User, address: string, patch: UserFields): Promise<Outcome<User>> {
    const c = this.checkUpdate(caller, address, patch);
    if (!c.ok) return c;
    const target = c.value;
    const p = this.canonicalRights(patch);
    try {
      this.dir.updateUser(target.address, toPatch(p));
    } catch (e) {
      if (e instanceof AccountError) return invalid([{ field: 'address', code: 'account-error', values: { reason: e.message } }]);
      throw e;
    }
    const after = this.dir.user(target.address)!;
    // a disabled account, or one that lost its admin rights, loses its sessions now (rights are read per request anyway)
    if (after.disabled && !target.disabled) await this.sessions.destroyFor(after.address);
    return ok(after);
  }

  async setPassword(caller: User, address: string, password: string): Promise<Outcome<null>> {
    const target = this.dir.user(address);
    if (!target) return this.callerMayAdminAddress(caller, address) ? notFound('address') : refuse('address', 'not-your-domain');
    const denied = this.mayTouch(caller, target);
    if (denied) return denied;
    const errors = this.checkPassword(password);
    if (errors.length) return invalid(errors);
    await this.dir.setPassword(target.address, password);
    // everyone signed in with the old password is signed out, on every node: an admin changing their own ends
    // their other sessions too (a stolen one among them); the page gives the browser that did it a fresh session
    await this.sessions.destroyFor(target.address);
    return ok(null);
  }

  async delete(caller: User, address: string): Promise<Outcome<{ orphan: string | null }>> {
    const target = this.dir.user(address);
    if (!target) return this.callerMayAdminAddress(caller, address) ? notFound('address') : refuse('address', 'not-your-domain');
    const denied = this.mayTouch(caller, target);
    if (denied) return denied;
    if (target.address === caller.address) return refuse('address', 'delete-self');
    const orphan = this.dir.deleteUser(target.address);
    await this.sessions.destroyFor(target.address);
    return ok({ orphan });
  }

  /** For a missing account: 404 only to those who may administer its domain, 403 to everyone else. */
  callerMayAdminAddress(caller: User, address: string): boolean {
    const at = address.lastIndexOf('@');
    return at > 0 && this.roles.canAdminDomain(caller, address.slice(at + 1).toLowerCase());
  }
}
