// The account settings of `tegami user add|set` and the defaults of `tegami domain set`, from their flags: each
// value checked (an address, a size) and each pair of opposite flags refused together, as a UsageError (exit 2)
// that says which flag and what is wrong; a domain or list that is not here is a Refusal (exit 1). It never
// writes anything; the commands do.
import { flag, Refusal, UsageError, type Args, type Options } from './args.js';
import type { SqliteDirectory } from '../accounts/sqlite-directory.js';
import type { SettingsPatch } from '../accounts/settings.js';
import { isPlainAddress } from '../accounts/settings.js';
import { parseCount, parseSize } from '../accounts/quota.js';
import type { DomainDefaultSettings } from '../accounts/domain-defaults.js';

const bool: Options[string] = { type: 'boolean' };

/** Settings both `user add` and `user set` take. */
export const USER_SETTING_OPTIONS: Options = {
  'full-name': { type: 'string', value: 'NAME' },
  'reply-to': { type: 'string', value: 'ADDR' },
  forward: { type: 'string', value: 'A,B' },
  'keep-copy': bool,
  'no-keep-copy': bool,
  'password-change': bool,
  'no-password-change': bool,
  disabled: bool,
  enabled: bool,
  'web-access': bool,
  'no-web-access': bool,
  'host-admin': { type: 'string', value: 'DOMAIN', multiple: true },
  'list-admin': { type: 'string', value: 'LIST', multiple: true },
  'system-admin': bool,
  admin: bool,
  quota: { type: 'string', value: 'SIZE' },
  'quota-messages': { type: 'string', value: 'N' },
};

/** What only `user set` takes: taking rights away. */
export const USER_SET_ONLY_OPTIONS: Options = {
  'no-host-admin': { type: 'string', value: 'DOMAIN', multiple: true },
  'no-list-admin': { type: 'string', value: 'LIST', multiple: true },
  'no-system-admin': bool,
  'no-admin': bool,
};

export const DOMAIN_DEFAULT_OPTIONS: Options = {
  'default-reply-to': { type: 'string', value: 'ADDR' },
  'default-forward': { type: 'string', value: 'A,B' },
  'default-keep-copy': bool,
  'default-no-keep-copy': bool,
  'default-password-change': bool,
  'default-no-password-change': bool,
  'default-disabled': bool,
  'default-enabled': bool,
  'default-web-access': bool,
  'default-no-web-access': bool,
  'default-quota': { type: 'string', value: 'SIZE' },
  'default-quota-messages': { type: 'string', value: 'N' },
};

/** One of two opposite switches: true, false, or undefined when neither; both is a usage error. */
function either(args: Args, yes: string[], no: string[]): boolean | undefined {
  const y = yes.filter((f) => args.flags.has(f));
  const n = no.filter((f) => args.flags.has(f));
  if (y.length && n.length) throw new UsageError(`--${y[0]} and --${n[0]} contradict each other; give one`);
  return y.length ? true : n.length ? false : undefined;
}

export function checkedAddress(option: string, value: string): string {
  const v = value.trim();
  if (!isPlainAddress(v)) throw new UsageError(`--${option}: not an address: "${value}" (give user@domain)`);
  return v.toLowerCase();
}

function addressList(option: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean).map((a) => checkedAddress(option, a));
}

function localDomains(dir: SqliteDirectory, option: string, values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  return values.map((v) => {
    const c = dir.localDomain(v.trim());
    if (!c) throw new Refusal(`--${option}: not a local domain: "${v}" (tegami domain list shows them)`);
    return c;
  });
}

function listAddresses(dir: SqliteDirectory, option: string, values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  return values.map((v) => {
    const a = checkedAddress(option, v);
    const at = a.lastIndexOf('@');
    const c = dir.localDomain(a.slice(at + 1));
    if (!c) throw new Refusal(`--${option}: a list address must be in a local domain: "${v}"`);
    return `${a.slice(0, at)}@${c}`;
  });
}

/** "500M", "0" (unlimited) or "default" (null: the domain's default). */
export function sizeFlag(args: Args, option: string, allowDefault: boolean): number | null | undefined {
  const v = flag(args, option);
  if (v === undefined) return undefined;
  if (allowDefault && v.trim().toLowerCase() === 'default') return null;
  const n = parseSize(v);
  if (n === null) throw new UsageError(`--${option}: not a size: "${v}" (e.g. 500M, 2G, 0 for no limit${allowDefault ? ', default for the domain\'s' : ''})`);
  return n;
}

export function countFlag(args: Args, option: string, allowDefault: boolean): number | null | undefined {
  const v = flag(args, option);
  if (v === undefined) return undefined;
  if (allowDefault && v.trim().toLowerCase() === 'default') return null;
  const n = parseCount(v);
  if (n === null) throw new UsageError(`--${option}: not a number of messages: "${v}" (0 for no limit${allowDefault ? ', default for the domain\'s' : ''})`);
  return n;
}

function fullName(args: Args): string | undefined {
  const v = flag(args, 'full-name');
  if (v !== undefined && /[\x00-\x1f\x7f]/.test(v)) throw new UsageError('--full-name: control characters are not allowed');
  return v;
}

/** The settings a `user add` or `user set` line asks for. */
export function userSettingsFromFlags(args: Args, dir: SqliteDirectory): SettingsPatch {
  const multi = (name: string) => args.multi.get(name);
  const grantHost = localDomains(dir, 'host-admin', multi('host-admin'));
  const revokeHost = localDomains(dir, 'no-host-admin', multi('no-host-admin'));
  const grantList = listAddresses(dir, 'list-admin', multi('list-admin'));
  // a right granted on a list that does not exist would wait silently for whoever creates a list of that name
  const missing = grantList?.find((l) => !dir.lists.list(l));
  if (missing !== undefined) throw new Refusal(`--list-admin: no such list: ${missing} (create it first: tegami list create ${missing})`);
  const revokeList = listAddresses(dir, 'no-list-admin', multi('no-list-admin'));
  const both = (a: string[] | undefined, b: string[] | undefined) => a?.find((x) => b?.includes(x));
  const h = both(grantHost, revokeHost);
  if (h) throw new UsageError(`--host-admin ${h} and --no-host-admin ${h} contradict each other`);
  const l = both(grantList, revokeList);
  if (l) throw new UsageError(`--list-admin ${l} and --no-list-admin ${l} contradict each other`);
  const replyTo = flag(args, 'reply-to');
  const quotaBytes = sizeFlag(args, 'quota', true);
  const quotaMessages = countFlag(args, 'quota-messages', true);
  return {
    fullName: fullName(args),
    replyTo: replyTo === undefined || replyTo.trim() === '' ? replyTo?.trim() : checkedAddress('reply-to', replyTo),
    forward: addressList('forward', flag(args, 'forward')),
    keepCopy: either(args, ['keep-copy'], ['no-keep-copy']),
    cannotChangePassword: either(args, ['no-password-change'], ['password-change']),
    disabled: either(args, ['disabled'], ['enabled']),
    webAccess: either(args, ['web-access'], ['no-web-access']),
    systemAdmin: either(args, ['system-admin', 'admin'], ['no-system-admin', 'no-admin']),
    grant: grantHost || grantList ? { host: grantHost, list: grantList } : undefined,
    revoke: revokeHost || revokeList ? { host: revokeHost, list: revokeList } : undefined,
    quota: quotaBytes !== undefined || quotaMessages !== undefined ? { bytes: quotaBytes, messages: quotaMessages } : undefined,
  };
}

/** Whether a patch changes anything at all. */
export function changesSomething(p: SettingsPatch): boolean {
  return Object.values(p).some((v) => v !== undefined);
}

/** The defaults a `domain set` line asks for. */
export function domainDefaultsFromFlags(args: Args): Partial<DomainDefaultSettings> {
  const out: Partial<DomainDefaultSettings> = {};
  const replyTo = flag(args, 'default-reply-to');
  if (replyTo !== undefined) out.replyTo = replyTo.trim() === '' ? null : checkedAddress('default-reply-to', replyTo);
  const forward = addressList('default-forward', flag(args, 'default-forward'));
  if (forward !== undefined) out.forward = forward.length ? forward : null;
  const set = <K extends keyof DomainDefaultSettings>(k: K, v: DomainDefaultSettings[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('keepCopy', either(args, ['default-keep-copy'], ['default-no-keep-copy']));
  set('cannotChangePassword', either(args, ['default-no-password-change'], ['default-password-change']));
  set('disabled', either(args, ['default-disabled'], ['default-enabled']));
  set('webAccess', either(args, ['default-web-access'], ['default-no-web-access']));
  set('quotaBytes', sizeFlag(args, 'default-quota', false) ?? undefined);
  set('quotaMessages', countFlag(args, 'default-quota-messages', false) ?? undefined);
  return out;
}
