// Scripts as the engine sees them: the Sieve options of this configuration ([sieve]: extensions, limits), used
// alike at upload (ManageSieve, CLI, rule form) and at delivery, and the active scripts of a recipient (its own,
// then its domain's: IMail's order) parsed once and cached by their update time. It never evaluates a script.
import type { LoadedConfig } from '../config/load.js';
import { DEFAULT_CAPABILITIES, parseScript, type Capability, type Script, type ScriptLocation, type SieveLimits, type SieveOptions } from '../sieve/index.js';
import { domainOwner, type ScriptOwner, type ScriptStore, type StoredScript } from './store.js';

/** The capabilities and limits scripts get under this configuration. */
export function sieveOptions(config: Pick<LoadedConfig, 'sieve'>): Required<SieveOptions> & { limits: Partial<SieveLimits> } {
  const s = config.sieve;
  const extensions: Capability[] = s.regex ? [...DEFAULT_CAPABILITIES, 'regex'] : [...DEFAULT_CAPABILITIES];
  return {
    extensions,
    limits: {
      maxScriptBytes: s.max_script_size,
      maxActions: s.max_actions,
      maxRedirects: s.max_redirects,
      vacationMinSeconds: Math.ceil(s.vacation_min_period / 1000),
      vacationDefaultSeconds: Math.ceil(s.vacation_default_period / 1000),
    },
  };
}

/** A script that was stored but no longer parses (a capability switched off since): reported, never run. */
export interface BrokenScript {
  owner: ScriptOwner;
  name: string;
  error: string;
}

export interface RecipientScripts {
  /** In the order they run: the user's active script, then the domain's. */
  scripts: { owner: ScriptOwner; name: string; script: Script }[];
  broken: BrokenScript[];
  /** include (RFC 6609) for a script of `owner`: :personal from the owner's scripts, :global from the domain's. */
  loader(owner: ScriptOwner): (name: string, location: ScriptLocation) => string | Script | null;
}

const MAX_CACHED = 512;

/** Parsed scripts of one thread, keyed by owner, name and update time (a changed script is parsed afresh). */
export class ScriptCache {
  private readonly parsed = new Map<string, Script | { error: string }>();

  constructor(
    private readonly store: ScriptStore,
    private readonly options: SieveOptions,
  ) {}

  private parse(owner: ScriptOwner, s: StoredScript): Script | { error: string } {
    const k = `${owner}\0${s.name}\0${s.updated}`;
    let p = this.parsed.get(k);
    if (!p) {
      const r = parseScript(s.text, this.options);
      p = r.ok ? r.script : { error: r.errors.map((e) => `line ${e.line} column ${e.column}: ${e.message}`).join('; ') };
      if (this.parsed.size >= MAX_CACHED) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(k, p);
    }
    return p;
  }

  /** The active scripts for mail to the mailbox of `user` (user@domain): the user's, then the domain's. */
  forRecipient(user: string): RecipientScripts {
    const out: RecipientScripts = { scripts: [], broken: [], loader: (owner) => this.loader(owner, user) };
    for (const owner of [user.toLowerCase(), domainOwner(user)]) {
      const s = this.store.activeScript(owner);
      if (!s) continue;
      const p = this.parse(owner, s);
      if ('error' in p) out.broken.push({ owner, name: s.name, error: p.error });
      else out.scripts.push({ owner, name: s.name, script: p });
    }
    return out;
  }

  private loader(owner: ScriptOwner, user: string): (name: string, location: ScriptLocation) => string | Script | null {
    return (name, location) => {
      const from = location === 'global' ? domainOwner(user) : owner;
      const s = this.store.getScript(from, name);
      if (!s) return null;
      const p = this.parse(from, s);
      return 'error' in p ? s.text : p;
    };
  }
}
