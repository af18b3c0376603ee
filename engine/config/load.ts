// Loads tegami.toml: parse, validate against the schema, and resolve paths and listener defaults.
// A bad file never starts a half-configured server: the error names the file, the line and the key.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
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
    // the webmail answers this machine only until a config file says otherwise
    webmail: `127.0.0.1:${root ? 8383 : 18383}`,
  };
}

/** Pick the config file: the --config option, else ./tegami.toml when present, else none. */
export function resolveConfigPath(explicit?: string): string | undefined {
  if (explicit) return path.resolve(explicit);
  const local = path.resolve('tegami.toml');
  return fs.existsSync(local) ? local : undefined;
}

export function loadConfig(file?: string): LoadedConfig {
  if (!file) return finish(validate({}, '(built-in defaults)', ''), undefined, process.cwd());
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, undefined, undefined, `cannot read: ${(e as Error).message}`);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) throw new ConfigError(file, e.line, undefined, e.message.split('\n')[0]);
    throw e;
  }
  return finish(validate(raw, file, text), file, path.dirname(file));
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
  };
  return { ...c, hostname: c.hostname.toLowerCase(), data_dir, tls: tlsPaths, source, listeners };
}
