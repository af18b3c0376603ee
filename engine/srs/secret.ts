// The SRS key: read from [srs] secret_file (default <data_dir>/keys/srs.secret), made on first use (32 random
// bytes as hex, mode 0600 in the private keys/ directory) by whichever thread needs it first. A key file that is
// too short or unreadable is an error, never replaced: replacing it would break every forward still in flight.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { Srs } from './srs.js';

export function secretPath(config: Pick<LoadedConfig, 'data_dir' | 'srs'>): string {
  const f = config.srs.secret_file;
  if (!f) return path.join(config.data_dir, 'keys', 'srs.secret');
  return path.isAbsolute(f) ? f : path.resolve(config.data_dir, f);
}

/** The key bytes: the file's hex text when it is hex, else its raw bytes; at least 16 bytes. */
export function parseSecret(content: Buffer): Buffer | null {
  const text = content.toString('latin1').trim();
  const key = /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, 'hex') : content;
  return key.length >= 16 ? key : null;
}

export function loadOrCreateSecret(file: string): Buffer {
  // the errors name the file and the key that places it: `tegami serve` stops with them (engine/server.ts)
  const where = `${file} ([srs] secret_file)`;
  let content: Buffer;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, crypto.randomBytes(32).toString('hex') + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    content = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message;
    throw new Error(`${where}: the SRS secret cannot be read or made: ${why}`);
  }
  const key = parseSecret(content);
  if (!key) throw new Error(`${where}: the SRS secret is shorter than 16 bytes (remove it to have a new one made)`);
  return key;
}

const cache = new WeakMap<object, Srs | null>();

/** The SRS codec of a config ([srs] enabled), made once; null when SRS is off. */
export function srsFor(config: Pick<LoadedConfig, 'data_dir' | 'srs'>): Srs | null {
  if (cache.has(config)) return cache.get(config)!;
  const srs = config.srs.enabled ? new Srs({ secret: loadOrCreateSecret(secretPath(config)), maxAgeDays: Math.max(1, Math.floor(config.srs.max_age / 86_400_000)) }) : null;
  cache.set(config, srs);
  return srs;
}
