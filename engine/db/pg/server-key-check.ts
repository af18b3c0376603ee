// Every node of one PostgreSQL cluster must hold the same keys: keys/secret.key seals the APOP/CRAM-MD5 secrets and
// the DKIM keys in the shared rows and signs the list tokens; the SRS key ([srs] secret_file, keys/srs.secret)
// signs the rewritten senders of forwarded mail, whose bounces may come back to any node; keys/decoy.key
// makes the SCRAM answer to an unknown name, which must be the same on every node or two nodes tell real names apart. A node started without
// copies makes keys of its own and then fails those logins, sends unsigned mail, refuses list confirmations and
// bounces to SRS addresses, with nothing in its log saying why. So the first node records each key's fingerprint
// (migration 45: an HMAC of a fixed text under the key, never the key) and each later start compares: a node whose
// key is missing, malformed or another does not start (KeyMismatchError), naming the file and the fix. A key changed
// on purpose (a rotation) is made the cluster's with `tegami keys adopt` on a node holding the new one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { serverKey } from '../../accounts/password.js';
import { decoyKey, decoyKeyPath, parseDecoyKey } from '../../accounts/decoy-key.js';
import { loadOrCreateSecret, parseSecret, secretPath } from '../../srs/secret.js';
import type { LoadedConfig } from '../../config/load.js';
import { inTransaction } from './transaction.js';

export interface KeyProblem {
  /** `secret.key` or `srs.secret`: the row's name in server_key. */
  name: string;
  /** missing: this node has no such file while the cluster has one; differs: it holds another key. */
  reason: 'missing' | 'differs' | 'malformed';
  file: string;
  fingerprint?: string;
  expected: string;
  /** The node that recorded the cluster's fingerprint. */
  node: string;
}

export function keyFingerprint(key: Buffer): string {
  return crypto.createHmac('sha256', key).update('tegami server key fingerprint').digest('hex').slice(0, 16);
}

interface KeyFile {
  name: string;
  file: string;
  /** The key's bytes, or null when the file is not a key. */
  read(): Buffer | null;
  /** Make the key (the first node with none). */
  make(): Buffer;
}

function keyFiles(config: Pick<LoadedConfig, 'data_dir' | 'srs'>): KeyFile[] {
  const files: KeyFile[] = [
    {
      name: 'secret.key',
      file: path.join(config.data_dir, 'keys', 'secret.key'),
      read() {
        const k = fs.readFileSync(this.file);
        return k.length === 32 ? k : null;
      },
      make: () => serverKey(config.data_dir),
    },
    {
      name: 'decoy.key',
      file: decoyKeyPath(config.data_dir),
      read() {
        return parseDecoyKey(fs.readFileSync(this.file));
      },
      make: () => decoyKey(config.data_dir),
    },
  ];
  if (config.srs.enabled) {
    const file = secretPath(config);
    files.push({ name: 'srs.secret', file, read: () => parseSecret(fs.readFileSync(file)), make: () => loadOrCreateSecret(file) });
  }
  return files;
}

/** Compare this node's keys with those the cluster recorded; the first node with a key records its own. */
export async function checkServerKeys(pool: pg.Pool, config: Pick<LoadedConfig, 'data_dir' | 'srs'>, node: string): Promise<KeyProblem[]> {
  const problems: KeyProblem[] = [];
  for (const k of keyFiles(config)) {
    const read = async () => (await pool.query<{ fingerprint: string; node: string }>('SELECT fingerprint, node FROM server_key WHERE name = $1', [k.name])).rows[0];
    let row = await read();
    const exists = fs.existsSync(k.file);
    if (!exists && row) {
      problems.push({ name: k.name, reason: 'missing', file: k.file, expected: row.fingerprint, node: row.node });
      continue;
    }
    const key = exists ? k.read() : k.make(); // the first node makes its key here if it has none
    if (!key) {
      problems.push({ name: k.name, reason: 'malformed', file: k.file, expected: row?.fingerprint ?? '', node: row?.node ?? node });
      continue;
    }
    const fingerprint = keyFingerprint(key);
    if (!row) {
      await pool.query('INSERT INTO server_key (name, fingerprint, node) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [k.name, fingerprint, node]);
      row = await read(); // two first nodes at once: the one that committed first is the cluster's
    }
    if (row && row.fingerprint !== fingerprint) problems.push({ name: k.name, reason: 'differs', file: k.file, fingerprint, expected: row.fingerprint, node: row.node });
  }
  return problems;
}

/** serve refuses to start: this node's keys are not the cluster's (each problem said by describeKeyProblem). */
export class KeyMismatchError extends Error {
  constructor(readonly problems: KeyProblem[]) {
    // one line per key, each under the command's prefix as the CLI prints it ("tegami serve: …")
    super(problems.map(describeKeyProblem).join('\ntegami serve: ') + '\ntegami serve: not started: every node of one database must hold the same keys');
  }
}

export interface AdoptedKey {
  name: string;
  file: string;
  /** The cluster's fingerprint before, and the node that had recorded it; absent when none was recorded. */
  was?: { fingerprint: string; node: string };
  fingerprint: string;
}

/**
 * `tegami keys adopt`: record this node's keys as the cluster's (a deliberate change of keys/secret.key or the
 * SRS key, copied to every node). A key file missing or malformed here is an error and nothing is recorded.
 */
export async function adoptServerKeys(pool: pg.Pool, config: Pick<LoadedConfig, 'data_dir' | 'srs'>, node: string): Promise<AdoptedKey[]> {
  const out: AdoptedKey[] = [];
  for (const k of keyFiles(config)) {
    if (!fs.existsSync(k.file)) throw new Error(`${k.file} is missing: copy it from a node already serving, or make the new key first; nothing was adopted`);
    const key = k.read();
    if (!key) throw new Error(`${k.file} is not a key of the right size (a truncated or edited copy?); nothing was adopted`);
    out.push({ name: k.name, file: k.file, fingerprint: keyFingerprint(key) });
  }
  await inTransaction(pool, async (c) => {
    for (const a of out) {
      const r = await c.query<{ fingerprint: string; node: string }>('SELECT fingerprint, node FROM server_key WHERE name = $1 FOR UPDATE', [a.name]);
      if (r.rows[0]) a.was = r.rows[0];
      await c.query(
        `INSERT INTO server_key (name, fingerprint, node, recorded_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint, node = excluded.node, recorded_at = now()`,
        [a.name, a.fingerprint, node],
      );
    }
  });
  return out;
}

const USES: Record<string, string> = {
  'secret.key': 'APOP/CRAM-MD5 secrets, DKIM keys and list tokens',
  'decoy.key': 'SCRAM answers to unknown names',
  'srs.secret': 'SRS addresses of forwarded mail (their bounces)',
};

/** What to tell the operator, in one line (stderr and the log). */
export function describeKeyProblem(p: KeyProblem): string {
  const uses = USES[p.name] ?? 'secrets';
  const fix = `copy ${p.file} from a node already serving (${p.node} recorded it; install -m 600, owned by the service user) and start this node again (docs/scale-out.md, "Adding a node"); if the key was changed on purpose, run \`tegami keys adopt\` on a node holding the new one (docs/scale-out.md, "Changing a key")`;
  if (p.reason === 'missing') return `${p.file} is missing, but the other nodes' ${uses} use a key of fingerprint ${p.expected}: ${fix}`;
  if (p.reason === 'malformed') return `${p.file} is not a key of the right size (a truncated or edited copy?): ${fix}`;
  return `${p.file} (fingerprint ${p.fingerprint}) is not the key the other nodes use (fingerprint ${p.expected}): their ${uses} cannot be checked or opened here; ${fix}`;
}
