// Domains whose outbound mail is held by the operator (`tegami queue hold --domain D`), kept in
// <data_dir>/spool/holds.json so a hold survives restarts and applies to mail that arrives later.
// Replaced atomically; it never touches messages themselves.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileDurable } from '../util/durable-file.js';

export function holdsFile(dataDir: string): string {
  return path.join(dataDir, 'spool', 'holds.json');
}

export function readHolds(dataDir: string): Set<string> {
  try {
    const j = JSON.parse(fs.readFileSync(holdsFile(dataDir), 'utf8')) as { domains?: string[] };
    return new Set((j.domains ?? []).map((d) => d.toLowerCase()));
  } catch {
    return new Set();
  }
}

export function writeHolds(dataDir: string, domains: Set<string>): void {
  const file = holdsFile(dataDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileDurable(file, JSON.stringify({ domains: [...domains].sort() }));
}
