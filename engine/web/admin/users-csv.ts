// CSV import and export of users for the admin (the columns of `tegami user export`, a header row first, so a
// file exported here or by the CLI imports back with its rights and quota; the old host_admin/list_admin yes/no
// columns are still read).
// An import is checked line by line before anything is written (a preview lists every bad line with its
// reason); then either every line is created, or none — or, when asked, only the good lines. Lines created
// before a late failure are removed again, so an import never stops half-way. Passwords never leave.
import type { User } from '../../accounts/directory.js';
import { parseCsv } from '../../cli/csv.js';
import type { FieldError } from './common.js';
import type { UserFields, UserOps } from './users-ops.js';
import { SETTING_COLUMNS } from '../../cli/user-csv.js';
import type { QuotaOverride } from '../../accounts/quota.js';
import { quotaFromText } from './limits.js';

export const CSV_COLUMNS = [
  'address', 'password', 'full_name', 'reply_to', 'forward', 'keep_copy', 'cannot_change_password', 'disabled', 'web_access',
  'system_admin', 'host_admin_of', 'list_admin_of', 'quota_bytes', 'quota_messages', 'host_admin', 'list_admin',
] as const;
type Column = (typeof CSV_COLUMNS)[number];
/** As `tegami user export` writes them (SETTING_COLUMNS of engine/cli/user-csv.ts). */
const EXPORT_COLUMNS = SETTING_COLUMNS;
const HEADER_ALIASES: Record<string, Column> = { user: 'address', email: 'address', name: 'full_name', 'full name': 'full_name', fullname: 'full_name', pass: 'password' };
const BOOL_COLUMNS: Record<string, keyof UserFields> = {
  keep_copy: 'keepCopy', cannot_change_password: 'cannotChangePassword', disabled: 'disabled', web_access: 'webAccess',
  system_admin: 'systemAdmin', host_admin: 'hostAdmin', list_admin: 'listAdmin',
};
export const MAX_IMPORT_LINES = 10_000;

export interface ImportLine {
  line: number;
  address: string;
  errors: FieldError[];
  input?: { address: string; password: string } & UserFields;
}

export interface ImportPreview {
  lines: ImportLine[];
  good: number;
  bad: number;
  /** A problem with the whole file (no header, unknown column, too many lines). */
  fileError?: FieldError;
}

function bool(v: string): boolean | null {
  const t = v.trim().toLowerCase();
  if (['yes', 'true', '1', 'y', 'on'].includes(t)) return true;
  if (['no', 'false', '0', 'n', 'off'].includes(t)) return false;
  return null;
}

/** Read and check a whole file; nothing is written. */
export function previewImport(text: string, caller: User, ops: UserOps): ImportPreview {
  const rows = parseCsv(text.replace(/^\uFEFF/, '')).filter((r) => !(r.length === 1 && r[0] === ''));
  const fail = (code: string, values?: Record<string, string | number>): ImportPreview => ({ lines: [], good: 0, bad: 0, fileError: { field: 'csv', code, values } });
  if (!rows.length) return fail('csv-empty');
  if (rows.length - 1 > MAX_IMPORT_LINES) return fail('csv-too-many', { max: MAX_IMPORT_LINES });
  const cols: Column[] = [];
  for (const h of rows[0]) {
    const k = h.trim().toLowerCase();
    const c = (HEADER_ALIASES[k] ?? k.replace(/[\s-]+/g, '_')) as Column;
    if (!CSV_COLUMNS.includes(c)) return fail('csv-column', { column: h.slice(0, 40), known: CSV_COLUMNS.join(', ') });
    if (cols.includes(c)) return fail('csv-column-twice', { column: c });
    cols.push(c);
  }
  if (!cols.includes('address') || !cols.includes('password')) return fail('csv-header');
  const seen = new Set<string>();
  const lines: ImportLine[] = [];
  for (let i = 1; i < rows.length; i++) {
    const cells = rows[i];
    const get = (c: Column) => {
      const at = cols.indexOf(c);
      return at < 0 ? undefined : (cells[at] ?? '');
    };
    const address = (get('address') ?? '').trim().toLowerCase();
    const errors: FieldError[] = [];
    if (cells.length > cols.length) errors.push({ field: 'csv', code: 'csv-fields', values: { count: cells.length, max: cols.length } });
    const input: { address: string; password: string } & UserFields = { address, password: get('password') ?? '' };
    const fullName = get('full_name');
    if (fullName !== undefined) input.fullName = fullName;
    const replyTo = get('reply_to');
    if (replyTo !== undefined) input.replyTo = replyTo.trim();
    const forward = get('forward');
    if (forward !== undefined) input.forward = forward.split(/[;,\s]+/).filter(Boolean);
    for (const [col, key] of Object.entries(BOOL_COLUMNS)) {
      const raw = get(col as Column);
      if (raw === undefined || raw.trim() === '') continue;
      const b = bool(raw);
      if (b === null) errors.push({ field: col, code: 'not-yes-no', values: { value: raw.slice(0, 40) } });
      else (input as unknown as Record<string, unknown>)[key] = b;
    }
    for (const [col, key] of [['host_admin_of', 'hostAdminOf'], ['list_admin_of', 'listAdminOf']] as const) {
      const raw = get(col);
      if (raw !== undefined && raw.trim() !== '') input[key] = raw.split(/[;,\s]+/).filter(Boolean);
    }
    for (const [col, key] of [['quota_bytes', 'quotaBytes'], ['quota_messages', 'quotaMessages']] as const) {
      // a number, or a size such as 500M (bytes); empty: the domain's default
      const r = quotaFromText(key, get(col), null);
      if ('error' in r) errors.push({ ...r.error, field: col });
      else if (r.value !== null) input[key] = r.value;
    }
    if (seen.has(address)) errors.push({ field: 'address', code: 'csv-duplicate', values: { address } });
    seen.add(address);
    if (!errors.length) {
      const c = ops.checkAdd(caller, input);
      if (!c.ok) errors.push(...c.errors);
    }
    lines.push({ line: i + 1, address, errors, ...(errors.length ? {} : { input }) });
  }
  const bad = lines.filter((l) => l.errors.length).length;
  return { lines, good: lines.length - bad, bad };
}

export type ImportResult =
  | { ok: true; created: string[]; skipped: ImportLine[] }
  | { ok: false; preview: ImportPreview; reason: 'bad-lines' | 'failed'; failed?: ImportLine };

/**
 * Create the accounts of a checked file: all of them, or with `goodOnly` the good lines (the bad ones are
 * listed back). Any failure while creating (an address taken meanwhile) removes what this import created.
 */
export async function runImport(text: string, caller: User, ops: UserOps, goodOnly: boolean): Promise<ImportResult> {
  const preview = previewImport(text, caller, ops);
  if (preview.fileError || (preview.bad && !goodOnly) || !preview.good) return { ok: false, preview, reason: 'bad-lines' };
  const created: string[] = [];
  for (const l of preview.lines) {
    if (!l.input) continue;
    const r = await ops.add(caller, l.input);
    if (!r.ok) {
      for (const a of created.reverse()) await ops.delete(caller, a);
      return { ok: false, preview, reason: 'failed', failed: { ...l, errors: r.errors } };
    }
    created.push(r.value.address);
  }
  return { ok: true, created, skipped: preview.lines.filter((l) => l.errors.length) };
}

/** One RFC 4180 field: quoted when it holds a comma, quote, line break or outer space; a leading =+-@ is
 *  prefixed with ' so a spreadsheet never runs it as a formula. */
function csvField(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const csvHeader = (): string => EXPORT_COLUMNS.join(',') + '\r\n';

/** One user's line; `own` is its own quota (null: the domain's default, written empty). */
export function csvRow(u: User, own: QuotaOverride): string {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const n = (v: number | null) => (v === null ? '' : String(v));
  const cells: Record<(typeof EXPORT_COLUMNS)[number], string> = {
    address: u.address, full_name: u.fullName, reply_to: u.replyTo, forward: u.forward.join(';'), keep_copy: yes(u.keepCopy),
    cannot_change_password: yes(u.cannotChangePassword), disabled: yes(u.disabled), web_access: yes(u.webAccess),
    system_admin: yes(u.systemAdmin), host_admin_of: u.hostAdminOf.join(';'), list_admin_of: u.listAdminOf.join(';'),
    quota_bytes: n(own.bytes), quota_messages: n(own.messages),
  };
  return EXPORT_COLUMNS.map((c) => csvField(cells[c])).join(',') + '\r\n';
}
