// Loads tegami.toml: parse, validate against the schema, and resolve paths and listener defaults.
// A bad file never starts a half-configured server: the error names the file, the line and the key.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseTomlText, TomlError } from 'smol-toml';
import { configSchema, type Config, type ListenerName } from './schema.js';
import { LocatedError, locateKey } from './toml-locate.js';

export { locateKey };

export class ConfigError extends LocatedError {}

export interface LoadedConfig extends Config {
  /** The file it came from, or undefined for built-in defaults. */
  source?: string;
  /** Listeners that run: name → host:port. */
  listeners: Partial<Record<ListenerName, string>>;
}

/** The standard listener set when no config file names one: privileged ports as root, high ports otherwise. */
export function defaultListeners(): Partial<Record<ListenerName, string>> {
  const root = typeof process.getuid === 'function' && process.getuid() === 0 && !process.env.TEGAMI_HIGH_PORTS;
  const p = (low: number, high: number) => `0.0.0.0:${root ? low : high}`;
  return {
    smtp: p(25, 2525),
    submission: p(587, 2587),
    submissions: p(465, 2465),
    pop3: p(110, 2110),
    pop3s: p(995, 2995),
    imap: p(143, 2143),
    imaps: p(993, 2993),
    metrics: '127.0.0.1:9425',
    managesieve: p(4190, 24190),
    // the administration answers this machine only until a config file says otherwise
    admin: `127.0.0.1:${root ? 8181 : 18181}`,
    // the webmail is for the users, on their own machines: every address, like IMAP (HTTPS only, login throttled)
    webmail: p(8383, 18383),
  };
}

/** Pick the config file: the --config option, else ./tegami.toml when present, else none. */
export function resolveConfigPath(explicit?: string): string | undefined {
  if (explicit) return path.resolve(explicit);
  const local = path.resolve('tegami.toml');
  return fs.existsSync(local) ? local : undefined;
}

/** A config file as parsed, before validation: what the settings override layer (engine/settings) merges into. */
export interface RawConfig {
  /** The parsed TOML ({} without a file). */
  raw: Record<string, unknown>;
  /** The file's text, to name lines in errors ("" without a file). */
  text: string;
  /** The file, or undefined for built-in defaults. */
  file?: string;
}

export function loadConfig(file?: string): LoadedConfig {
  return buildConfig(readRawConfig(file));
}

/** Read and parse a config file (no validation yet); no file gives the empty table of the built-in defaults. */
export function readRawConfig(file?: string): RawConfig {
  if (!file) return { raw: {}, text: '' };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, undefined, undefined, `cannot read: ${(e as Error).message}`);
  }
  return { raw: parseToml(text, file), text, file };
}

/** Validate a parsed config (a file's, or one with settings merged in) and resolve its paths and listeners. */
export function buildConfig(r: RawConfig): LoadedConfig {
  if (!r.file) return finish(validate(r.raw, '(built-in defaults)', ''), undefined, process.cwd());
  return finish(validate(r.raw, r.file, r.text), r.file, path.dirname(r.file));
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  return buildConfig({ raw: parseToml(text, file), text, file });
}

function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parseTomlText(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) throw new ConfigError(file, e.line, undefined, e.message.split('\n')[0]);
    throw e;
  }
}

function validate(raw: unknown, file: string, text: string): Config {
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const keyPath: Array<string | number> = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  // An unknown key is reported by zod on its parent object; name the key itself.
  if (issue.code === 'unrecognized_keys') keyPath.push(issue.keys[0]);
  const key = keyPath.filter((k) => typeof k === 'string').join('.');
  const reason = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
  throw new ConfigError(file, locateKey(text, keyPath), key || undefined, reason);
}

function finish(c: Config, source: string | undefined, baseDir: string): LoadedConfig {
  const data_dir = path.resolve(baseDir, c.data_dir);
  let listeners: Partial<Record<ListenerName, string>>;
  if (!source) listeners = defaultListeners();
  else {
    listeners = {};
    for (const [k, v] of Object.entries(c.listen ?? {})) if (v) listeners[k as ListenerName] = v;
  }
  const tlsPaths = {
    cert: c.tls.cert ? path.resolve(baseDir, c.tls.cert) : undefined,
    key: c.tls.key ? path.resolve(baseDir, c.tls.key) : undefined,
    domain: c.tls.domain.map((d) => ({ ...d, cert: path.resolve(baseDir, d.cert), key: path.resolve(baseDir, d.key) })),
  };
  return { ...c, hostname: c.hostname.toLowerCase(), data_dir, tls: tlsPaths, source, listeners };
}
