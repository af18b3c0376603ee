// The configuration in force: the TOML file that boots the server with the database's overrides merged in,
// validated by the same zod schema (engine/config/schema.ts) as the file alone. A key the TOML file sets
// is the file's: an override for it is refused when written and ignored at start (the file wins).
// checkChange() validates a change against the whole merged config before anything is written.
import net from 'node:net';
import { buildConfig, ConfigError, type LoadedConfig, type RawConfig } from '../config/load.js';
import { IpList } from '../policy/cidr.js';
import { TAGS } from '../spam/tags.js';
import { settingDef, SETTINGS, type SettingDef } from './registry.js';

/** Why a value was refused; the web layer words it in the user's language (settings.error.<code>). */
export type SettingErrorCode =
  | 'unknown-key'
  | 'in-toml'
  | 'type'
  | 'range'
  | 'choice'
  | 'too-many'
  | 'too-long'
  | 'not-ip'
  | 'not-sender'
  | 'not-tag'
  | 'not-domain'
  | 'duplicate'
  | 'open-relay'
  | 'invalid';

export interface SettingError {
  /** The setting key, or a path inside it ("dnsbl.2.query_domain"). */
  key: string;
  code: SettingErrorCode;
  /** The offending entry or the schema's own words, for the message. */
  detail?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether the TOML table sets this dotted key (a [[dnsbl]] table sets "dnsbl"). */
export function tomlSets(raw: Record<string, unknown>, key: string): boolean {
  let cur: unknown = raw;
  for (const part of key.split('.')) {
    if (!isObj(cur) || !(part in cur)) return false;
    cur = cur[part];
  }
  return true;
}

/** The keys of the registry that the TOML file fixes (shown read-only). */
export function tomlKeys(raw: Record<string, unknown>): Set<string> {
  return new Set(SETTINGS.filter((d) => tomlSets(raw, d.key)).map((d) => d.key));
}

/** A deep copy of the TOML table with the overrides set where the file says nothing. */
export function mergeOverrides(raw: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const [key, value] of Object.entries(overrides)) {
    if (!settingDef(key) || tomlSets(raw, key) || value === null || value === undefined) continue;
    const parts = key.split('.');
    let cur = out;
    for (const p of parts.slice(0, -1)) {
      if (!isObj(cur[p])) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]] = structuredClone(value);
  }
  return out;
}

/** Checks the schema cannot make (entries that must parse as IP ranges, DNSBL names). */
function semanticErrors(c: LoadedConfig): SettingError[] {
  const errors: SettingError[] = [];
  for (const key of ['relay.allow_ips', 'spam.trusted_ips', 'spam.local_networks'] as const) {
    const [a, b] = key.split('.') as ['relay' | 'spam', string];
    const entries = (c[a] as unknown as Record<string, string[]>)[b];
    try {
      new IpList(entries);
    } catch (e) {
      errors.push({ key, code: 'not-ip', detail: (e as Error).message });
    }
  }
  return errors;
}

export type Effective = { config: LoadedConfig; ignored: { key: string; reason: string }[] };

/**
 * The config in force at start-up: the file with the overrides merged. An override the file now fixes is
 * ignored; one that no longer validates with the file as it is today is dropped (and named), so an edit of
 * the file never stops the server from starting on account of a stored setting. The file alone must validate.
 */
export function effectiveConfig(file: RawConfig, overrides: Record<string, unknown>): Effective {
  const ignored: { key: string; reason: string }[] = [];
  const live: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(overrides)) {
    if (!settingDef(key)) ignored.push({ key, reason: 'not a setting the web may change' });
    else if (tomlSets(file.raw, key)) ignored.push({ key, reason: 'set in the config file, which wins' });
    else live[key] = value;
  }
  for (let round = 0; round <= SETTINGS.length; round++) {
    const errs = validateMerged(file, live);
    if (errs.ok) return { config: errs.config, ignored };
    const culprits = Object.keys(live).filter((k) => errs.errors.some((e) => e.key === k || e.key.startsWith(`${k}.`) || k.startsWith(`${e.key}.`)));
    // a cross-key rule (open relay) or a path no override explains: give every override up rather than start invalid
    const drop = culprits.length ? culprits : Object.keys(live);
    if (!drop.length) break;
    for (const k of drop) {
      ignored.push({ key: k, reason: errs.errors.map((e) => `${e.key}: ${e.detail ?? e.code}`).join('; ') });
      delete live[k];
    }
  }
  return { config: buildConfig(file), ignored };
}

type Validated = { ok: true; config: LoadedConfig } | { ok: false; errors: SettingError[] };

function validateMerged(file: RawConfig, overrides: Record<string, unknown>): Validated {
  let config: LoadedConfig;
  try {
    config = buildConfig({ ...file, raw: mergeOverrides(file.raw, overrides) });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const key = e.key ?? '';
    const code: SettingErrorCode = (key === 'relay.mode' || key === 'relay.allow_ips') && /i_understand/.test(e.reason) ? 'open-relay' : 'invalid';
    return { ok: false, errors: [{ key, code, detail: e.reason }] };
  }
  const errors = semanticErrors(config);
  return errors.length ? { ok: false, errors } : { ok: true, config };
}

const CONTROL = /[\x00-\x1f\x7f]/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;
/** A whitelist entry: an address, or @domain / domain for a whole domain. */
const SENDER = /^([^\s@]{1,64}@|@)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$/i;

function validIpEntry(e: string): boolean {
  const [addr, bits, more] = e.split('/');
  if (more !== undefined || !net.isIP(addr)) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (net.isIPv4(addr) ? 32 : 128);
}

/** The value refused, as the message quotes it ("Not a valid value "six""): the JSON, at most 40 characters. */
const shown = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 40);

/** Field-level checks of one value against its definition (types, ranges, list entries). */
export function checkValue(def: SettingDef, value: unknown): SettingError[] {
  const k = def.kind;
  const err = (code: SettingErrorCode, detail?: string, key = def.key): SettingError[] => [{ key, code, detail }];
  switch (k.type) {
    case 'boolean':
      return typeof value === 'boolean' ? [] : err('type', shown(value));
    case 'integer':
    case 'number':
      if (value === null && k.optional) return [];
      if (typeof value !== 'number' || !Number.isFinite(value) || (k.type === 'integer' && !Number.isInteger(value))) return err('type', shown(value));
      return value < k.min || value > k.max ? err('range', `${k.min}…${k.max}`) : [];
    case 'enum':
      return typeof value === 'string' && k.values.includes(value) ? [] : err('choice', k.values.join(', '));
    case 'list': {
      if (!Array.isArray(value)) return err('type');
      if (value.length > k.max) return err('too-many', String(k.max));
      for (const e of value) {
        if (typeof e !== 'string' || e.trim() === '' || CONTROL.test(e)) return err('type', typeof e === 'string' ? e : undefined);
        if (e.length > 500) return err('too-long', e.slice(0, 40));
        if (k.item === 'ip' && !validIpEntry(e)) return err('not-ip', e);
        if (k.item === 'sender' && !SENDER.test(e)) return err('not-sender', e);
        if (k.item === 'tag' && !(TAGS as readonly string[]).includes(e)) return err('not-tag', e);
      }
      const seen = new Set<string>();
      for (const e of value as string[]) {
        const n = e.toLowerCase();
        if (seen.has(n)) return err('duplicate', e);
        seen.add(n);
      }
      return [];
    }
    case 'dnsbl':
      return checkDnsblList(value);
  }
}

const DNSBL_TYPES = ['DNS', 'ADDR', 'HELO', 'RHS'];

function checkDnsblList(value: unknown): SettingError[] {
  if (!Array.isArray(value)) return [{ key: 'dnsbl', code: 'type' }];
  if (value.length > 50) return [{ key: 'dnsbl', code: 'too-many', detail: '50' }];
  const names = new Set<string>();
  for (let i = 0; i < value.length; i++) {
    const d = value[i] as unknown;
    const at = (f: string) => `dnsbl.${i}.${f}`;
    if (!isObj(d)) return [{ key: `dnsbl.${i}`, code: 'type' }];
    if (typeof d.name !== 'string' || !d.name.trim() || CONTROL.test(d.name)) return [{ key: at('name'), code: 'type' }];
    if (d.name.length > 100) return [{ key: at('name'), code: 'too-long', detail: d.name.slice(0, 40) }];
    if (names.has(d.name.toLowerCase())) return [{ key: at('name'), code: 'duplicate', detail: d.name }];
    names.add(d.name.toLowerCase());
    if (typeof d.query_domain !== 'string' || !DOMAIN.test(d.query_domain)) return [{ key: at('query_domain'), code: 'not-domain', detail: typeof d.query_domain === 'string' ? d.query_domain : undefined }];
    if (d.type !== undefined && !DNSBL_TYPES.includes(d.type as string)) return [{ key: at('type'), code: 'choice', detail: DNSBL_TYPES.join(', ') }];
    for (const f of ['enabled', 'trusted'] as const) if (d[f] !== undefined && typeof d[f] !== 'boolean') return [{ key: at(f), code: 'type' }];
  }
  return [];
}

export type ChangeCheck = { ok: true; config: LoadedConfig; overrides: Record<string, unknown> } | { ok: false; errors: SettingError[] };

/**
 * Validate a change (key → new value, or null to go back to the default) against the whole merged config:
 * each value on its own, then the merged result through the schema. Nothing is written here.
 */
export function checkChange(file: RawConfig, current: Record<string, unknown>, changes: Record<string, unknown>): ChangeCheck {
  const errors: SettingError[] = [];
  const next = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    const def = settingDef(key);
    if (!def) {
      errors.push({ key, code: 'unknown-key' });
      continue;
    }
    if (tomlSets(file.raw, key)) {
      errors.push({ key, code: 'in-toml' });
      continue;
    }
    if (value === null) {
      delete next[key];
      continue;
    }
    const e = checkValue(def, value);
    if (e.length) errors.push(...e);
    else next[key] = value;
  }
  if (errors.length) return { ok: false, errors };
  const v = validateMerged(file, next);
  if (!v.ok) return v;
  // drop overrides of keys the file now sets (they are ignored anyway)
  for (const k of Object.keys(next)) if (tomlSets(file.raw, k) || !settingDef(k)) delete next[k];
  return { ok: true, config: v.config, overrides: next };
}

/** A value from the config in force, by dotted key. */
export function valueAt(config: LoadedConfig, key: string): unknown {
  let cur: unknown = config;
  for (const part of key.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}
