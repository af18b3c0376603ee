// Worker task "learn": train the Bayesian filter with one message as spam or ham for one owner (IMAP's Spam
// folder moves). Runs in the piscina pool so that parsing happens off the main thread. It checks the task
// before use, reads only the bytes it is handed, and never changes or moves the message.
import { workerData } from 'node:worker_threads';
import { learnMessage } from '../engine/spam/learn.js';
import { workerConfig } from '../engine/settings/worker-config.js';

export interface LearnTask {
  /** The raw RFC 5322 message (transferred from the main thread). */
  raw: Uint8Array;
  kind: 'spam' | 'ham';
  /** The mailbox owner whose counts change ("" for the whole server). */
  owner: string;
}

/** The task as received from another thread, checked: a malformed one is refused, never half-used. */
export function checkLearnTask(t: unknown): LearnTask | string {
  if (typeof t !== 'object' || t === null) return 'not an object';
  const { raw, kind, owner } = t as Record<string, unknown>;
  if (!(raw instanceof Uint8Array)) return 'raw is not bytes';
  if (kind !== 'spam' && kind !== 'ham') return 'kind is neither spam nor ham';
  if (typeof owner !== 'string' || owner.length > 320 || /[\0-\x1f]/.test(owner)) return 'bad owner';
  return { raw, kind, owner };
}

export default async function learn(task: unknown): Promise<boolean> {
  const t = checkLearnTask(task);
  if (typeof t === 'string') throw new Error(`learn task refused: ${t}`);
  const wd = workerData as { dataDir?: unknown; configPath?: unknown } | null;
  const dataDir = wd?.dataDir;
  if (typeof dataDir !== 'string') throw new Error('learn task: the pool has no data dir');
  const raw = Buffer.from(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  // learnt as the analysis reads it: the same bytes of each text part ([spam] part_scan_size)
  const { config } = workerConfig(typeof wd?.configPath === 'string' ? wd.configPath : undefined, dataDir);
  // into the counts [storage] names: the data dir's bayes.db, or PostgreSQL's shared by every node
  return learnMessage(config, raw, t.kind, t.owner || undefined, { partScanBytes: config.spam.part_scan_size });
}
