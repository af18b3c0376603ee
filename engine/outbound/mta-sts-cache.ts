// The durable MTA-STS policy cache: one small JSON file per domain in <data_dir>/mta-sts/, written
// atomically (temporary file, fsync, rename) so delivery workers on several threads can share it.
// It stores and returns what it is given; it never fetches, and a damaged file reads as no entry.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StsPolicy } from './mta-sts-policy.js';
import { writeFileDurable } from '../util/durable-file.js';

export interface CachedPolicy {
  domain: string;
  /** The TXT record's id when this policy was fetched. */
  id: string;
  policy: StsPolicy;
  /** ms since the epoch. */
  fetchedAt: number;
  expiresAt: number;
}

export function cacheDir(dataDir: string): string {
  return path.join(dataDir, 'mta-sts');
}

/** `domain` must already be an ASCII domain name (asciiDomain), so it is a safe file name. */
function fileOf(dataDir: string, domain: string): string {
  return path.join(cacheDir(dataDir), `${domain}.json`);
}

export function readCached(dataDir: string, domain: string): CachedPolicy | null {
  try {
    const v = JSON.parse(fs.readFileSync(fileOf(dataDir, domain), 'utf8')) as CachedPolicy;
    if (v?.domain !== domain || typeof v.id !== 'string' || typeof v.expiresAt !== 'number' || !v.policy || !Array.isArray(v.policy.mx)) return null;
    return v;
  } catch {
    return null;
  }
}

export function writeCached(dataDir: string, entry: CachedPolicy): void {
  const dir = cacheDir(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = fileOf(dataDir, entry.domain);
  writeFileDurable(file, JSON.stringify(entry) + '\n');
}
