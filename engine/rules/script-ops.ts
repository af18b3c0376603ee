// The checked operations on scripts that ManageSieve, the CLI and the web pages share: whose scripts a target
// names (a user that exists, or a local domain), and putting a script (name, size, syntax with line and column,
// the per-owner count) so every path refuses the same things with the same words. Outcomes are values.
import type { AccountDirectory } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import { parseScript, type SieveError } from '../sieve/index.js';
import { sieveOptions } from './scripts.js';
import { MAX_SCRIPT_NAME, ownerKey, scriptNameCode, scriptNameProblem, type ScriptNameCode, type ScriptOwner, type ScriptStore } from './store.js';

export type OwnerLookup = { ok: true; owner: ScriptOwner; kind: 'user' | 'domain' } | { ok: false; reason: string };

/** "ADDRESS" (an existing user) or "@DOMAIN" (a local domain) → the owner key of its scripts. */
export function resolveOwner(directory: AccountDirectory, target: string): OwnerLookup {
  const key = ownerKey(target);
  if (!key) return { ok: false, reason: `not an address or @domain: ${target}` };
  if (key.startsWith('@')) {
    const d = directory.localDomain(key.slice(1));
    return d ? { ok: true, owner: `@${d}`, kind: 'domain' } : { ok: false, reason: `${key.slice(1)} is not a local domain` };
  }
  const u = directory.user(key);
  return u ? { ok: true, owner: u.address.toLowerCase(), kind: 'user' } : { ok: false, reason: `no user ${key}` };
}

/** Errors as people read them: "line 3, column 7: unknown command "fileintoo"". */
export function describeErrors(errors: readonly SieveError[]): string[] {
  return errors.map((e) => `line ${e.line}, column ${e.column}: ${e.message}`);
}

export type CheckOutcome = { ok: true } | { ok: false; kind: 'syntax'; errors: SieveError[] } | { ok: false; kind: 'too-big'; text: string; values?: Record<string, number> };

/** CHECKSCRIPT: size first (never parsed beyond it), then the syntax under this configuration's capabilities. */
export function checkScript(config: Pick<LoadedConfig, 'sieve'>, text: string): CheckOutcome {
  const max = config.sieve.max_script_size;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > max) return { ok: false, kind: 'too-big', text: `the script is ${bytes} bytes, over the limit of ${max}`, values: { bytes, max } };
  const p = parseScript(text, sieveOptions(config));
  return p.ok ? { ok: true } : { ok: false, kind: 'syntax', errors: p.errors };
}

export type PutOutcome = CheckOutcome | { ok: false; kind: 'bad-name'; text: string; code: ScriptNameCode; values: { max: number } } | { ok: false; kind: 'too-many'; text: string; values?: Record<string, number> };

/** PUTSCRIPT: name, size, syntax and the number of scripts checked; stored (never activated) only when all pass. */
export function putScript(config: Pick<LoadedConfig, 'sieve'>, store: ScriptStore, owner: ScriptOwner, name: string, text: string): PutOutcome {
  const code = scriptNameCode(name);
  if (code) return { ok: false, kind: 'bad-name', text: scriptNameProblem(name)!, code, values: { max: MAX_SCRIPT_NAME } };
  const c = checkScript(config, text);
  if (!c.ok) return c;
  if (!store.getScript(owner, name) && store.listScripts(owner).length >= config.sieve.max_scripts) {
    return { ok: false, kind: 'too-many', text: `at most ${config.sieve.max_scripts} scripts are kept per user or domain`, values: { max: config.sieve.max_scripts } };
  }
  store.putScript(owner, name, text);
  return { ok: true };
}
