// The embedded account directory: SQLite tables (engine/db) plus the local domains named in config.
// Reads are synchronous and cheap (prepared statements), so policy can call them per RCPT. Password writes
// store the scrypt hash, the sealed secret (when kept) and the SCRAM-SHA-256 verifier together.
import url from 'node:url';
import type { Db } from '../db/database.js';
import type { AccountDirectory, NewUser, PasswordChange, Resolution, ScramLookup, User } from './directory.js';
import { decoyScramKeys, formatScram, hashPassword, parseScram, scramKeys, seal, unseal, verifyPassword } from './password.js';
import { SqliteLists } from '../lists/sqlite-lists.js';
import { AdminRights, RIGHTS_COLUMNS, rightsFromRow, type RightsRow } from './rights.js';
import { QUOTA_COLUMNS, UNLIMITED, overrideFromRow, quotaFromRow, type Quota, type QuotaOverride, type QuotaRow } from './quota.js';
import { applyNewUser, checkNewUser, updateSettings, type SettingsPatch } from './settings.js';
import { DomainDefaults } from './domain-defaults.js';
import { changePassword } from './password-change.js';
import { postmasterTarget, specialLocal } from './postmaster.js';
import { writeSecrets, type StoredSecrets } from './stored-secrets.js';

interface UserRow extends RightsRow, QuotaRow {
  address: string;
  local: string;
  domain: string;
  password_hash: string;
  secret_sealed: string | null;
  /** The SCRAM-SHA-256 verifier (password.ts formatScram); absent in databases made before it existed. */
  scram_sha256?: string | null;
  full_name: string;
  reply_to: string;
  forward: string;
  keep_copy: number;
  disabled: number;
  cannot_change_password: number;
  web_access: number;
  host_admin: number;
  list_admin: number;
  system_admin: number;
}

export interface DirectoryOptions {
  hostname: string;
  configDomains: string[];
  hostAliases: Record<string, string>;
  primary?: string;
  postmaster?: string;
  serverKey: Buffer;
  /** The key of the SCRAM decoys (keys/decoy.key): never rotated, so an unknown name's salt outlives `keys rotate`. */
  decoyKey: Buffer;
  recoverableSecrets: boolean;
  minUserLength: number;
  passwordMin: number;
  passwordMax: number;
  /** Put a deleted account's mail folder aside (an orphan); returns its id, null when it had none. */
  orphanMailbox?: (address: string) => string | null;
  /** Remove a deleted account's per-user Bayes counts kept outside this database (bayes-forget.ts). */
  forgetBayes?: (address: string) => void;
  /** PBKDF2 iterations of new SCRAM-SHA-256 verifiers ([auth] scram_iterations; at least 4096, RFC 7677). */
  scramIterations?: number;
}

export class AccountError extends Error {}

/** A user row with its admin rights and quota (RIGHTS_COLUMNS, QUOTA_COLUMNS) alongside. */
const USER_SELECT = `SELECT u.*, ${RIGHTS_COLUMNS}, ${QUOTA_COLUMNS} FROM users u`;

export class SqliteDirectory implements AccountDirectory {
  private q;
  /** Mailing lists live in the same database; resolve() knows their addresses (engine/lists). */
  readonly lists: SqliteLists;
  private made?: { rights: AdminRights; defaults: DomainDefaults };

  constructor(
    private readonly db: Db,
    private readonly opts: DirectoryOptions,
  ) {
    addScramColumn(db);
    this.q = {
      user: db.prepare<[string], UserRow>(`${USER_SELECT} WHERE u.address = ?`),
      alias: db.prepare<[string], { targets: string }>('SELECT targets FROM aliases WHERE address = ?'),
      domain: db.prepare<[string], { name: string }>('SELECT name FROM domains WHERE name = ?'),
      domains: db.prepare<[], { name: string }>('SELECT name FROM domains ORDER BY name'),
      // the first added (not the first by name): adding a domain never moves bare logins and the host name's mail
      firstDomain: db.prepare<[], { name: string }>('SELECT name FROM domains ORDER BY created, name LIMIT 1'),
      aliasesTo: db.prepare<[], { address: string; targets: string }>('SELECT address, targets FROM aliases'),
      admins: db.prepare<[], { address: string }>(
        "SELECT u.address FROM users u JOIN admin_rights r ON r.address = u.address AND r.kind = 'system' WHERE u.disabled = 0 ORDER BY r.created, u.created LIMIT 1",
      ),
    };
    this.lists = new SqliteLists(db, { localDomain: (d) => this.localDomain(d), aliasTargets: (a) => this.q.alias.get(a)?.targets.split(',') ?? null });
  }

  // ---- domains ----

  localDomain(name: string): string | null {
    // domains are kept in their ASCII form (addDomain, the config schema); an internationalised name given in
    // Unicode — as the SMTP layer hands every recipient domain over (engine/smtp/protocol/address.ts), or typed at a
    // login — is looked up by its ASCII form, so mail to user@例え.jp and to user@xn--r8jz45g.jp reach one mailbox
    const lower = name.toLowerCase().replace(/\.$/, '');
    const d = asciiDomain(lower) ?? lower;
    if (this.opts.hostAliases[d]) return this.opts.hostAliases[d].toLowerCase();
    if (this.opts.configDomains.includes(d)) return d;
    if (this.q.domain.get(d)) return d;
    if (d === this.opts.hostname) return this.primaryDomain();
    return null;
  }

  domains(): { name: string; aliasOf?: string }[] {
    const names = new Set<string>([...this.opts.configDomains, ...this.q.domains.all().map((r) => r.name)]);
    const list: { name: string; aliasOf?: string }[] = [...names].sort().map((name) => ({ name }));
    for (const [a, d] of Object.entries(this.opts.hostAliases)) list.push({ name: a, aliasOf: d });
    if (!names.has(this.opts.hostname) && !this.opts.hostAliases[this.opts.hostname]) {
      list.push({ name: this.opts.hostname, aliasOf: this.primaryDomain() });
    }
    return list;
  }

  primaryDomain(): string {
    if (this.opts.primary) return this.opts.primary.toLowerCase();
    if (this.opts.configDomains.length) return this.opts.configDomains[0];
    return this.q.firstDomain.get()?.name ?? this.opts.hostname;
  }

  addDomain(name: string): void {
    const d = name.toLowerCase().replace(/\.$/, '');
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d)) {
      // a Japanese (internationalised) name is kept in its ASCII form, as DNS and MX records have it
      const ascii = asciiDomain(d);
      throw new AccountError(`not a domain name: ${name}${ascii ? ` (an internationalised name is added in its ASCII form: tegami domain add ${ascii})` : ''}`);
    }
    if (this.q.domain.get(d)) throw new AccountError(`domain ${d} exists`);
    this.db.prepare('INSERT INTO domains (name, created) VALUES (?, ?)').run(d, Date.now());
  }

  deleteDomain(name: string): void {
    const d = name.toLowerCase();
    const users = this.db.prepare('SELECT COUNT(*) AS n FROM users WHERE domain = ?').get(d) as { n: number };
    if (users.n > 0) throw new AccountError(`domain ${d} still has ${users.n} user(s); delete them first`);
    const r = this.db.prepare('DELETE FROM domains WHERE name = ?').run(d);
    if (r.changes === 0) throw new AccountError(`no such domain: ${d}`);
  }

  // ---- users ----

  user(address: string): User | undefined {
    const row = this.q.user.get(address.toLowerCase());
    return row ? toUser(row) : undefined;
  }

  listUsers(domain?: string): User[] {
    const rows = domain
      ? (this.db.prepare(`${USER_SELECT} WHERE u.domain = ? ORDER BY u.address`).all(domain.toLowerCase()) as UserRow[])
      : (this.db.prepare(`${USER_SELECT} ORDER BY u.domain, u.local`).all() as UserRow[]);
    return rows.map(toUser);
  }

  /** Validate an address for a new account: a local domain, a local part of allowed characters and length. */
  private checkNewAddress(address: string): { local: string; domain: string } {
    const m = /^([^@\s]+)@([^@\s]+)$/.exec(address.trim().toLowerCase());
    if (!m) throw new AccountError(`give the full address, user@domain: ${address}`);
    const [, local, domain] = m;
    if (!/^[a-z0-9][a-z0-9._+-]*$/.test(local) || local.endsWith('.') || local.includes('..')) {
      throw new AccountError(`user id may hold only a-z 0-9 . _ + - : ${local}`);
    }
    if (local.length < this.opts.minUserLength && local !== 'postmaster') {
      throw new AccountError(`user id must be at least ${this.opts.minUserLength} characters: ${local}`);
    }
    const canonical = this.localDomain(domain);
    if (!canonical) throw new AccountError(`${domain} is not a local domain (tegami domain add ${domain})`);
    if (canonical !== domain) throw new AccountError(`${domain} is a host alias of ${canonical}; add the user as ${local}@${canonical}`);
    return { local, domain };
  }

  checkPassword(password: string): void {
    if (password.length < this.opts.passwordMin || password.length > this.opts.passwordMax) {
      throw new AccountError(`password must be ${this.opts.passwordMin}–${this.opts.passwordMax} characters`);
    }
    if (/[\x00-\x1f\x7f]/.test(password)) throw new AccountError('password may not hold control characters');
  }

  async addUser(u: NewUser): Promise<User> {
    const { local, domain } = this.checkNewAddress(u.address);
    this.checkPassword(u.password);
    checkNewUser(this, u); // the settings given are checked before anything is written
    const address = `${local}@${domain}`;
    if (this.q.user.get(address)) throw new AccountError(`user ${address} exists`);
    if (this.q.alias.get(address)) throw new AccountError(`${address} is an alias`);
    const list = this.lists.occupies(address);
    if (list) throw new AccountError(list);
    const hash = await hashPassword(u.password);
    const scram = await this.scramText(u.password);
    this.db
      .prepare(
        `INSERT INTO users (address, local, domain, password_hash, secret_sealed, scram_sha256, full_name, forward, system_admin, disabled, created)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        address, local, domain, hash, this.sealed(u.password), scram, u.fullName ?? '', (u.forward ?? []).join(','),
        u.systemAdmin ? 1 : 0, u.disabled ? 1 : 0, Date.now(),
      );
    applyNewUser(this, address, u); // the settings given; the domain's defaults came with the insert (a trigger)
    return this.user(address)!;
  }

  async setPassword(address: string, password: string): Promise<void> {
    this.checkPassword(password);
    const hash = await hashPassword(password);
    const r = this.db
      .prepare('UPDATE users SET password_hash = ?, secret_sealed = ?, scram_sha256 = ? WHERE address = ?')
      .run(hash, this.sealed(password), await this.scramText(password), address.toLowerCase());
    if (r.changes === 0) throw new AccountError(`no such user: ${address}`);
  }

  /**
   * Change per-user settings (A2): every field of User but the address, plus the admin rights as lists
   * (hostAdminOf/listAdminOf replace; grant/revoke add or remove one) and the quota override.
   * The old booleans still work: hostAdmin true = admin of the user's own domain; false (or listAdmin false)
   * takes every such right away; systemAdmin as before.
   */
  updateUser(address: string, patch: SettingsPatch): void {
    if (!this.q.user.get(address.toLowerCase())) throw new AccountError(`no such user: ${address}`);
    updateSettings(this, address.toLowerCase(), patch);
  }

  /** The user's own quota override (null fields: the domain's default applies). */
  quotaOverride(address: string): QuotaOverride | undefined {
    const row = this.q.user.get(address.toLowerCase());
    return row ? overrideFromRow(row) : undefined;
  }

  /** The mailbox limits of an owner: the account's, or none (a postmaster mailbox without an account). */
  quotaOf(owner: string): Quota {
    const row = this.q.user.get(owner.toLowerCase());
    return row ? quotaFromRow(row) : UNLIMITED;
  }

  changePassword(user: string | Pick<User, 'address'>, oldPassword: string | null, newPassword: string, opts: { by: 'self' | 'admin' }): Promise<PasswordChange> {
    return changePassword(this, typeof user === 'string' ? user : user.address, oldPassword, newPassword, opts);
  }

  /** The stored scrypt hash (for changePassword's check and `user export --with-secrets`); never logged. */
  passwordHash(address: string): string | undefined {
    return this.q.user.get(address.toLowerCase())?.password_hash;
  }

  /** Admin rights (admin_rights rows): the one source of truth for systemAdmin/hostAdminOf/listAdminOf. */
  get rights(): AdminRights {
    return (this.made ??= { rights: new AdminRights(this.db), defaults: new DomainDefaults(this.db) }).rights;
  }

  /** Per-domain defaults for new users and the domain's default quota. */
  get defaults(): DomainDefaults {
    return (this.made ??= { rights: new AdminRights(this.db), defaults: new DomainDefaults(this.db) }).defaults;
  }

  /** Credentials from `user import` (checked by the caller: engine/accounts/stored-secrets.ts). */
  storeImportedSecrets(address: string, secrets: StoredSecrets): void {
    writeSecrets(this.db, this.opts.serverKey, address, secrets);
  }

  /** The database, for the settings modules beside this class (engine/accounts/settings.ts, csv export). */
  get database(): Db {
    return this.db;
  }

  /**
   * Delete the account and put its mail folder aside as an orphan (A4), so an account made later under the
   * same address starts empty; its Bayes counts go too; all in one transaction (a move that fails keeps the account). Returns the
   * orphan id, null when there was no mail folder.
   */
  deleteUser(address: string): string | null {
    return this.db.transaction(() => {
      const r = this.db.prepare('DELETE FROM users WHERE address = ?').run(address.toLowerCase());
      if (r.changes === 0) throw new AccountError(`no such user: ${address}`);
      this.opts.forgetBayes?.(address.toLowerCase()); // before the folder move, which no rollback undoes
      return this.opts.orphanMailbox?.(address.toLowerCase()) ?? null;
    })();
  }

  private sealed(password: string): string | null {
    return this.opts.recoverableSecrets ? seal(this.opts.serverKey, password) : null;
  }

  private get scramIterations(): number {
    return Math.max(4096, this.opts.scramIterations ?? 4096);
  }

  private async scramText(password: string): Promise<string | null> {
    const k = await scramKeys(password, this.scramIterations);
    return k ? formatScram(k) : null;
  }

  // ---- aliases ----

  addAlias(address: string, targets: string[]): void {
    const a = address.trim().toLowerCase();
    const m = /^([^@\s]+)@([^@\s]+)$/.exec(a);
    if (!m || !this.localDomain(m[2])) throw new AccountError(`alias must be an address in a local domain: ${address}`);
    if (this.q.user.get(a)) throw new AccountError(`${a} is a user`);
    const list = this.lists.occupies(a);
    if (list) throw new AccountError(list);
    if (!targets.length || targets.some((t) => !/^[^@\s]+@[^@\s]+$/.test(t))) throw new AccountError('give one or more target addresses');
    this.db
      .prepare('INSERT INTO aliases (address, targets, created) VALUES (?, ?, ?) ON CONFLICT(address) DO UPDATE SET targets = excluded.targets')
      .run(a, targets.map((t) => t.toLowerCase()).join(','), Date.now());
  }

  deleteAlias(address: string): void {
    const r = this.db.prepare('DELETE FROM aliases WHERE address = ?').run(address.toLowerCase());
    if (r.changes === 0) throw new AccountError(`no such alias: ${address}`);
  }

  listAliases(): { address: string; targets: string[] }[] {
    return this.q.aliasesTo.all().map((r) => ({ address: r.address, targets: r.targets.split(',') }));
  }

  // ---- resolution and authentication ----

  resolve(address: string): Resolution {
    const a = address.toLowerCase();
    const at = a.lastIndexOf('@');
    const local = at < 0 ? a : a.slice(0, at);
    const domain = at < 0 ? this.primaryDomain() : this.localDomain(a.slice(at + 1));
    if (!domain) return { kind: 'remote' };
    const canonical = `${local}@${domain}`;
    const row = this.q.user.get(canonical);
    // a disabled account receives nothing and answers as no account at all (postmaster/root/abuse: see below)
    if (row && !row.disabled) return { kind: 'mailbox', user: toUser(row) };
    const alias = this.q.alias.get(canonical);
    if (alias) return { kind: 'alias', targets: alias.targets.split(',') };
    const list = this.lists.resolveLocal(local, domain);
    if (list) return { kind: 'list', list: list.list.address, role: list.role, token: list.token };
    if (specialLocal(local)) {
      // RFC 5321 §4.5.1 / RFC 2142: always there, never refused (engine/accounts/postmaster.ts)
      return postmasterTarget(local, domain, {
        configured: this.opts.postmaster,
        firstAdmin: () => this.q.admins.get()?.address,
        resolve: (a) => this.resolve(a),
      });
    }
    return { kind: 'unknown' };
  }

  loginAddress(login: string, defaultDomain?: string): string | undefined {
    const l = login.trim().toLowerCase();
    let address: string;
    if (l.includes('@')) {
      const at = l.lastIndexOf('@');
      const d = this.localDomain(l.slice(at + 1));
      if (!d) return undefined;
      address = `${l.slice(0, at)}@${d}`;
    } else {
      address = `${l}@${defaultDomain ?? this.primaryDomain()}`;
    }
    return address;
  }

  async authenticate(login: string, password: string, defaultDomain?: string): Promise<User | undefined> {
    const address = this.loginAddress(login, defaultDomain);
    const row = address ? this.q.user.get(address) : undefined;
    if (!row) {
      // spend the same time as a real check, so timing does not tell which users exist
      await verifyPassword(password, DUMMY_HASH);
      return undefined;
    }
    const ok = await verifyPassword(password, row.password_hash);
    if (!ok || row.disabled) return undefined;
    await this.completeSecrets(row, password);
    return toUser(row);
  }

  /**
   * An account made before SCRAM keys existed (or while secrets were not kept) gets what it lacks now that the
   * right password is in hand, so SCRAM-SHA-256 (and CRAM-MD5/APOP, when secrets are kept) work from the next login.
   */
  private async completeSecrets(row: UserRow, password: string): Promise<void> {
    const scram = row.scram_sha256 ? null : await this.scramText(password);
    const sealed = !row.secret_sealed && this.opts.recoverableSecrets ? this.sealed(password) : null;
    if (this.db.readonly || (!scram && !sealed)) return;
    this.db
      .prepare('UPDATE users SET scram_sha256 = COALESCE(scram_sha256, ?), secret_sealed = COALESCE(secret_sealed, ?) WHERE address = ?')
      .run(scram, sealed, row.address);
  }

  scramVerifier(login: string, defaultDomain?: string): ScramLookup {
    const address = this.loginAddress(login, defaultDomain);
    const row = address ? this.q.user.get(address) : undefined;
    const keys = parseScram(row?.scram_sha256);
    // a disabled account answers with its real salt and fails at the proof, exactly like a wrong password
    if (row && keys) return { user: row.disabled ? undefined : toUser(row), keys };
    return { keys: decoyScramKeys(this.opts.decoyKey, address ?? login, this.scramIterations) };
  }

  secret(address: string): string | null {
    const row = this.q.user.get(address.toLowerCase());
    if (!row || !row.secret_sealed || row.disabled) return null;
    return unseal(this.opts.serverKey, row.secret_sealed);
  }

  senderAddresses(user: User): Set<string> {
    const set = new Set<string>([user.address]);
    for (const d of this.domains()) if (d.aliasOf === user.domain) set.add(`${user.local}@${d.name}`);
    for (const a of this.q.aliasesTo.all()) if (a.targets.split(',').includes(user.address)) set.add(a.address);
    return set;
  }
}

/** The SCRAM verifier column, added in place to databases made before it (idempotent; skipped when read-only). */
export function addScramColumn(db: Db): void {
  if (db.readonly) return;
  const cols = db.prepare('PRAGMA table_info(users)').all() as { name: string }[];
  if (!cols.some((c) => c.name === 'scram_sha256')) db.exec('ALTER TABLE users ADD COLUMN scram_sha256 TEXT');
}

// scrypt hash of a random string, used to spend equal time on unknown users
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$zP0u8Xc7bQ1m2bY0t5nJ4cN3u9bq8ZxQe2m8J4cFh1s=';

function toUser(r: UserRow): User {
  return {
    address: r.address,
    local: r.local,
    domain: r.domain,
    fullName: r.full_name,
    replyTo: r.reply_to,
    forward: r.forward ? r.forward.split(',').map((s) => s.trim()).filter(Boolean) : [],
    keepCopy: !!r.keep_copy,
    disabled: !!r.disabled,
    cannotChangePassword: !!r.cannot_change_password,
    webAccess: !!r.web_access,
    ...adminFields(r),
    quota: quotaFromRow(r),
  };
}

/** The admin rights of a row read with USER_SELECT (a row without them, from an older query, has none). */
function adminFields(r: UserRow): Pick<User, 'hostAdminOf' | 'listAdminOf' | 'hostAdmin' | 'listAdmin' | 'systemAdmin'> {
  const rights = rightsFromRow(r);
  return { hostAdminOf: rights.host, listAdminOf: rights.list, hostAdmin: rights.host.length > 0, listAdmin: rights.list.length > 0, systemAdmin: rights.system };
}

/** The ASCII (punycode) form of an internationalised domain name that has non-ASCII letters, else null. */
export function asciiDomain(name: string): string | null {
  if (/^[\x00-\x7f]*$/.test(name)) return null;
  const a = url.domainToASCII(name);
  return a && a !== name ? a : null;
}
