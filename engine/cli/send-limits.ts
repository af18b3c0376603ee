// `tegami user limit ADDRESS|@DOMAIN [--messages-per-hour N|default] [--messages-per-day N|default]
// [--recipients-per-hour N|default] [--recipients-per-day N|default] [--json]`: an account's sending limits
// (its own override, else its domain's default, else [limits] send_*; 0 = no limit) and what it sent in the last
// hour and 24 hours; with flags, the override of the account (or of the domain, "@DOMAIN") is changed first.
import { flag, UsageError, type Args } from './args.js';
import { out } from './common.js';
import type { Storage } from '../db/storage.js';
import { openSendLedger } from '../submission/pg-send-ledger.js';
import { configLimits, LIMIT_NAMES, limitsFor, ledgerKey, usageFigures, type LimitName, type LimitOverride } from '../submission/send-limit.js';

export const LIMIT_FLAGS: Record<LimitName, string> = {
  messagesPerHour: 'messages-per-hour',
  messagesPerDay: 'messages-per-day',
  recipientsPerHour: 'recipients-per-hour',
  recipientsPerDay: 'recipients-per-day',
};

/** A flag's value: a whole number (0 = no limit) or "default" (null: the next level's value); undefined if not given. */
function limitFlag(args: Args, name: string): number | null | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  if (v.trim().toLowerCase() === 'default') return null;
  if (!/^\d{1,9}$/.test(v.trim())) throw new UsageError(`--${name}: expected a whole number (0 = no limit) or "default", not "${v}"`);
  return Number(v.trim());
}

const shown = (n: number) => (n === 0 ? 'no limit' : String(n));

export async function userLimit(args: Args, ctx: Storage, target: string | undefined): Promise<number> {
  if (!target) throw new UsageError('user limit ADDRESS|@DOMAIN [--messages-per-hour N|default] ... [--json]');
  const t = ledgerKey(target);
  const isDomain = t.startsWith('@');
  const canonical = isDomain ? ctx.directory.localDomain(t.slice(1)) : null;
  if (isDomain ? !canonical : !ctx.directory.user(t)) {
    process.stderr.write(`tegami user: no such ${isDomain ? 'local domain' : 'user'}: ${target}\n`);
    return 1;
  }
  const key = isDomain ? `@${canonical}` : t;
  const ledger = openSendLedger(ctx.db, ctx.pool);
  const patch: Partial<LimitOverride> = {};
  for (const k of LIMIT_NAMES) {
    const v = limitFlag(args, LIMIT_FLAGS[k]);
    if (v !== undefined) patch[k] = v;
  }
  const override = { ...(await ledger.override(key)), ...patch };
  if (Object.keys(patch).length) await ledger.setOverride(key, override);
  if (isDomain) {
    const base = configLimits(ctx.config);
    const inForce = Object.fromEntries(LIMIT_NAMES.map((k) => [k, override[k] ?? base[k]]));
    if (args.flags.has('json')) out(JSON.stringify({ domain: canonical, override, limits: inForce }));
    else for (const k of LIMIT_NAMES) out(`${LIMIT_FLAGS[k]}\t${shown(inForce[k])}${override[k] === null ? ' (the config\'s)' : ''}`);
    return 0;
  }
  const limits = await limitsFor(ledger, ctx.config, key);
  const usage = await ledger.usage(key, Date.now());
  if (args.flags.has('json')) {
    out(JSON.stringify({ address: key, override, limits, usage }));
    return 0;
  }
  const dom = await ledger.override(`@${key.slice(key.lastIndexOf('@') + 1)}`);
  for (const f of usageFigures(usage, limits)) {
    const from = override[f.limit] !== null ? 'the account\'s' : dom[f.limit] !== null ? 'the domain\'s' : 'the config\'s';
    out(`${LIMIT_FLAGS[f.limit]}\t${f.used} sent of ${shown(f.max)} (${from})`);
  }
  return 0;
}
