// `tegami user export FILE.csv` and `tegami user import FILE.csv`: every account setting as a column under a
// header row, so an exported file imports back unchanged. No secret leaves without --with-secrets (then the
// scrypt hash, the sealed secret and the SCRAM verifier, never a plain password). Import checks every line
// before it creates anything; the old headerless "address,password[,full name[,forward]]" lines still work.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { UsageError } from './args.js';
import { csvLine, parseCsv } from './csv.js';
import { cannotRead } from '../util/file-problem.js';
import type { User } from '../accounts/directory.js';
import type { SettingsPatch } from '../accounts/settings.js';
import { isPlainAddress } from '../accounts/settings.js';
import { AccountError, type SqliteDirectory } from '../accounts/sqlite-directory.js';
import { readSecrets, validScram, validScryptHash, validSealed, type StoredSecrets } from '../accounts/stored-secrets.js';
import { parseCount } from '../accounts/quota.js';

/** The columns of an export, in order; `user import` takes any subset (address first) plus `password`. */
export const SETTING_COLUMNS = [
  'address', 'full_name', 'reply_to', 'forward', 'keep_copy', 'cannot_change_password', 'disabled', 'web_access',
  'system_admin', 'host_admin_of', 'list_admin_of', 'quota_bytes', 'quota_messages',
] as const;
export const SECRET_COLUMNS = ['password_hash', 'secret_sealed', 'scram_sha256'] as const;
const ALL = new Set<string>([...SETTING_COLUMNS, ...SECRET_COLUMNS, 'password']);
/** Header names older files used. */
const ALIASES: Record<string, string> = { user: 'address', email: 'address', pass: 'password', name: 'full_name', 'full name': 'full_name', fullname: 'full_name' };

const yes = (b: boolean) => (b ? 'yes' : 'no');
/** Several values in one field: separated by ";" (also "," in the old forward column). */
const join = (list: readonly string[]) => list.join(';');

function row(dir: SqliteDirectory, u: User, withSecrets: boolean): string[] {
  const own = dir.quotaOverride(u.address)!;
  const fields = [
    u.address, u.fullName, u.replyTo, join(u.forward), yes(u.keepCopy), yes(u.cannotChangePassword), yes(u.disabled), yes(u.webAccess),
    yes(u.systemAdmin), join(u.hostAdminOf), join(u.listAdminOf), own.bytes === null ? '' : String(own.bytes), own.messages === null ? '' : String(own.messages),
  ];
  if (withSecrets) {
    const s = readSecrets(dir.database, u.address)!;
    fields.push(s.passwordHash, s.secretSealed ?? '', s.scram ?? '');
  }
  return fields;
}

/** The export as CSV text (header row first). */
export function exportUsers(dir: SqliteDirectory, opts: { domain?: string; withSecrets: boolean }): { text: string; count: number } {
  const users = dir.listUsers(opts.domain);
  let text = csvLine([...SETTING_COLUMNS, ...(opts.withSecrets ? SECRET_COLUMNS : [])]);
  for (const u of users) text += csvLine(row(dir, u, opts.withSecrets));
  return { text, count: users.length };
}

/** One checked line of an import. */
interface ImportLine {
  line: number;
  address: string;
  password?: string;
  secrets?: StoredSecrets;
  patch: SettingsPatch;
}

function boolField(v: string, col: string): boolean {
  const t = v.trim().toLowerCase();
  if (['yes', 'true', '1', 'y', 'on'].includes(t)) return true;
  if (['no', 'false', '0', 'n', 'off'].includes(t)) return false;
  throw new Error(`${col}: not yes or no: "${v}"`);
}

const listField = (v: string) => v.split(/[;,]/).map((s) => s.trim()).filter(Boolean);

function quotaField(v: string, col: string): number | null {
  if (v.trim() === '') return null;
  const n = parseCount(v);
  if (n === null) throw new Error(`${col}: not a whole number of ${col === 'quota_bytes' ? 'bytes' : 'messages'}: "${v}"`);
  return n;
}

/** Read one line into a checked import line (throws Error with the reason). */
function readLine(cols: string[], cells: string[], line: number, header: boolean): ImportLine {
  const get = (c: string) => {
    const i = cols.indexOf(c);
    return i < 0 || i >= cells.length ? undefined : cells[i];
  };
  const address = (get('address') ?? '').trim().toLowerCase();
  if (!isPlainAddress(address)) throw new Error(`not an address: "${get('address') ?? ''}"`);
  if (cells.length > cols.length) throw new Error(`${cells.length} fields, ${header ? 'the header names' : 'at most'} ${cols.length}`);
  const patch: SettingsPatch = {};
  const v = (c: string) => {
    const x = get(c);
    return x === undefined ? undefined : x;
  };
  if (v('full_name') !== undefined) patch.fullName = v('full_name');
  if (v('reply_to') !== undefined) {
    patch.replyTo = v('reply_to')!.trim();
    if (patch.replyTo && !isPlainAddress(patch.replyTo)) throw new Error(`reply_to: not an address: "${patch.replyTo}"`);
  }
  if (v('forward') !== undefined) {
    patch.forward = listField(v('forward')!);
    const bad = patch.forward.find((a) => !isPlainAddress(a));
    if (bad) throw new Error(`forward: not an address: "${bad}"`);
  }
  for (const [col, key] of [['keep_copy', 'keepCopy'], ['cannot_change_password', 'cannotChangePassword'], ['disabled', 'disabled'], ['web_access', 'webAccess'], ['system_admin', 'systemAdmin']] as const) {
    const x = v(col);
    if (x !== undefined && x.trim() !== '') patch[key] = boolField(x, col);
  }
  if (v('host_admin_of') !== undefined) patch.hostAdminOf = listField(v('host_admin_of')!);
  if (v('list_admin_of') !== undefined) patch.listAdminOf = listField(v('list_admin_of')!);
  if (v('quota_bytes') !== undefined || v('quota_messages') !== undefined) {
    patch.quota = {};
    if (v('quota_bytes') !== undefined) patch.quota.bytes = quotaField(v('quota_bytes')!, 'quota_bytes');
    if (v('quota_messages') !== undefined) patch.quota.messages = quotaField(v('quota_messages')!, 'quota_messages');
  }
  const out: ImportLine = { line, address, patch };
  const password = v('password');
  if (password !== undefined && password !== '') out.password = password;
  const hash = v('password_hash')?.trim();
  if (hash) {
    if (!validScryptHash(hash)) throw new Error('password_hash: not a scrypt hash tegami can check (scrypt$N$r$p$salt$hash)');
    if (out.password) throw new Error('give password or password_hash, not both');
    const sealed = v('secret_sealed')?.trim() || null;
    if (sealed && !validSealed(sealed)) throw new Error('secret_sealed: not a sealed secret');
    const scram = v('scram_sha256')?.trim() || null;
    if (scram && !validScram(scram)) throw new Error('scram_sha256: not a SCRAM-SHA-256 verifier');
    out.secrets = { passwordHash: hash, secretSealed: sealed, scram };
  }
  return out;
}

/** The column names of a header row, or null when the first row is an account (an old headerless file). */
function headerOf(first: string[]): string[] | null {
  if (!/^(address|user|email)$/i.test((first[0] ?? '').trim())) return null;
  const cols = first.map((h) => {
    const k = h.trim().toLowerCase();
    const c = ALIASES[k] ?? k.replace(/[\s-]+/g, '_');
    if (!ALL.has(c)) throw new UsageError(`unknown column "${h}" in the header row; known: ${[...ALL].join(', ')}`);
    return c;
  });
  const dup = cols.find((c, i) => cols.indexOf(c) !== i);
  if (dup) throw new UsageError(`column "${dup}" appears twice in the header row`);
  return cols;
}

/** Check a whole file; the lines, or every problem found (the import then creates nothing). */
export function readImport(file: string): ImportLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(cannotRead(file, e));
  }
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows.length ? headerOf(rows[0]) : null;
  // the old layout: address,password[,full name[,forward]]
  const cols = header ?? ['address', 'password', 'full_name', 'forward'];
  const lines: ImportLine[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, cells] of rows.entries()) {
    if (header && i === 0) continue;
    if (cells.length === 1 && cells[0] === '') continue;
    try {
      const l = readLine(cols, cells, i + 1, header !== null);
      if (seen.has(l.address)) throw new Error(`${l.address} appears twice`);
      seen.add(l.address);
      lines.push(l);
    } catch (e) {
      problems.push(`line ${i + 1}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new UsageError(`${file}: nothing imported, ${problems.length} bad line(s):\n${problems.join('\n')}`);
  return lines;
}

/** A random password for an account whose hash comes from the file (replaced at once; never shown). */
function placeholderPassword(dir: SqliteDirectory): string {
  const p = crypto.randomBytes(24).toString('base64url');
  for (const len of [20, 16, 12, 8, 4, 30]) {
    try {
      dir.checkPassword(p.slice(0, len));
      return p.slice(0, len);
    } catch {
      /* outside [accounts] password_min/max: try another length */
    }
  }
  throw new AccountError('no placeholder password fits [accounts] password_min/password_max');
}

/**
 * Create (or with `update`, change) each account. Returns counts and the refusals (an existing account without
 * --update, a password outside the limits, a domain that is not local), each with its line.
 */
export async function importUsers(dir: SqliteDirectory, lines: ImportLine[], opts: { update: boolean }): Promise<{ added: number; updated: number; refused: string[]; warnings: string[] }> {
  let added = 0;
  let updated = 0;
  const refused: string[] = [];
  const warnings: string[] = [];
  for (const l of lines) {
    // lists are not in the file (an export carries accounts only), so a list-admin right may come before its
    // list on a new server: kept, and said, rather than the account refused (docs/accounts.md)
    for (const list of l.patch.listAdminOf ?? []) {
      if (!dir.lists.list(list)) warnings.push(`line ${l.line}: ${l.address} is list admin of ${list}, which does not exist here yet: the right applies once it is created (tegami list create ${list})`);
    }
    try {
      if (dir.user(l.address)) {
        if (!opts.update) throw new AccountError(`user ${l.address} exists (--update changes existing accounts)`);
        dir.updateUser(l.address, l.patch);
        if (l.secrets) dir.storeImportedSecrets(l.address, l.secrets);
        else if (l.password !== undefined) {
          const r = await dir.changePassword(l.address, null, l.password, { by: 'admin' });
          if (!r.ok) throw new AccountError(r.text);
        }
        updated++;
        continue;
      }
      if (l.password === undefined && !l.secrets) throw new AccountError(`no password for the new user ${l.address} (a password or password_hash column)`);
      const p = l.patch;
      await dir.addUser({
        address: l.address,
        password: l.password ?? placeholderPassword(dir),
        fullName: p.fullName,
        forward: p.forward,
        replyTo: p.replyTo,
        keepCopy: p.keepCopy,
        cannotChangePassword: p.cannotChangePassword,
        disabled: p.disabled,
        webAccess: p.webAccess,
        systemAdmin: p.systemAdmin,
        hostAdminOf: p.hostAdminOf,
        listAdminOf: p.listAdminOf,
        quota: p.quota,
      });
      if (l.secrets) dir.storeImportedSecrets(l.address, l.secrets);
      added++;
    } catch (e) {
      if (!(e instanceof AccountError)) throw e;
      refused.push(`line ${l.line}: ${e.message}`);
    }
  }
  return { added, updated, refused, warnings };
}
