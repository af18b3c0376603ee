// The settings service of the running server (main thread): reads what is in force and where each value
// comes from (default, TOML file, database override), validates and writes changes, and applies them to the
// live config object at once: the changed sections (relay, smtp, spam, dnsbl) are swapped for new objects,
// then the subscribers rebuild what they derived from them. Worker threads reload by version (worker-config.ts).
import type { LoadedConfig, RawConfig } from '../config/load.js';
import type { Db } from '../db/database.js';
import { checkChange, effectiveConfig, tomlSets, valueAt, type SettingError } from './effective.js';
import { LIVE_SECTIONS, SETTINGS, settingDef, type SettingDef } from './registry.js';
import { SettingsStore } from './store.js';

export type SettingSource = 'default' | 'toml' | 'override';

export interface SettingView {
  key: string;
  def: SettingDef;
  value: unknown;
  source: SettingSource;
  /** The file fixes it: shown read-only, overrides refused. */
  readOnly: boolean;
  updated?: number;
  updatedBy?: string;
}

export type SettingsWrite = { ok: true; version: number; changed: string[] } | { ok: false; errors: SettingError[] };

export class LiveSettings {
  private readonly store: SettingsStore;
  private readonly subscribers: ((config: LoadedConfig, changed: string[]) => void)[] = [];

  /**
   * `config` is the object the whole main thread holds (it was built by effectiveConfig at start); `file`
   * is the TOML as parsed, kept to merge again on every change.
   */
  constructor(
    readonly config: LoadedConfig,
    private readonly file: RawConfig,
    db: Db,
    now?: () => number,
  ) {
    this.store = new SettingsStore(db, now);
  }

  /** Called after every applied change with the live config and the keys that changed. */
  onChange(fn: (config: LoadedConfig, changed: string[]) => void): void {
    this.subscribers.push(fn);
  }

  version(): number {
    return this.store.version();
  }

  /** Every editable setting with its value in force and where it comes from. */
  list(): SettingView[] {
    const stored = new Map(this.store.all().map((s) => [s.key, s]));
    return SETTINGS.map((def) => {
      const readOnly = tomlSets(this.file.raw, def.key);
      const s = stored.get(def.key);
      const source: SettingSource = readOnly ? 'toml' : s ? 'override' : 'default';
      return { key: def.key, def, value: valueAt(this.config, def.key), source, readOnly, ...(s && !readOnly ? { updated: s.updated, updatedBy: s.updatedBy } : {}) };
    });
  }

  get(key: string): SettingView | undefined {
    return this.list().find((v) => v.key === key);
  }

  /**
   * Validate `changes` (key → value; null = back to the default) against the whole merged config, then write
   * them in one transaction and apply them. Nothing is written when anything is refused.
   */
  set(changes: Record<string, unknown>, by: string): SettingsWrite {
    const current = this.store.values();
    const check = checkChange(this.file, current, changes);
    if (!check.ok) return check;
    const changed = Object.keys(changes).filter((k) => settingDef(k));
    const write: Record<string, unknown> = {};
    for (const k of changed) write[k] = k in check.overrides ? check.overrides[k] : undefined;
    const version = this.store.write(write, by);
    this.apply(check.config, changed);
    return { ok: true, version, changed };
  }

  /** Swap the live sections for the freshly validated ones, then tell the subscribers. */
  private apply(fresh: LoadedConfig, changed: string[]): void {
    const c = this.config as unknown as Record<string, unknown>;
    const f = fresh as unknown as Record<string, unknown>;
    for (const s of LIVE_SECTIONS) c[s] = f[s];
    for (const fn of this.subscribers) fn(this.config, changed);
  }
}

/** The config in force at start: the file with the database's overrides, and what had to be ignored. */
export function startupConfig(file: RawConfig, db: Db): ReturnType<typeof effectiveConfig> {
  return effectiveConfig(file, new SettingsStore(db).values());
}
