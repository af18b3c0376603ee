// Per-message queue state, kept beside the spool file as <id>.state (JSON, replaced atomically):
// which recipients are still to be delivered, attempts, next attempt, last error, hold.
// Messages delivered at once never get a state file. A state file read back is checked against the schema
// before it is used; a damaged one is reported with the reason, never half-trusted.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { maybe, QUEUE_ID } from '../spool/envelope.js';
import { ShapeError } from './shape.js';

export type RecipientStatus = 'pending' | 'deferred' | 'sent' | 'failed';

export interface RecipientState {
  address: string;
  /** The original RCPT TO this delivery came from (aliases/forwards expand one into several). */
  rcpt: string;
  /** 'remote' goes out by SMTP; 'local' is a local delivery that failed temporarily and is retried. */
  kind: 'local' | 'remote';
  status: RecipientStatus;
  attempts: number;
  nextAttempt: number;
  lastAttempt?: number;
  lastError?: string;
  notify?: string[];
  orcpt?: string;
}

export interface QueueState {
  id: string;
  created: number;
  held: boolean;
  recipients: RecipientState[];
  /** A delay warning was sent (RFC 3464 action=delayed). */
  delayWarned?: boolean;
}

export function statePath(queueDir: string, id: string): string {
  return path.join(queueDir, `${id}.state`);
}

/** A state file is never larger than this (a bigger one is damage, not something to read into memory). */
const MAX_STATE = 64 * 1024 * 1024;

const recipientState = z.looseObject({
  address: z.string(),
  rcpt: z.string(),
  kind: z.enum(['local', 'remote']),
  status: z.enum(['pending', 'deferred', 'sent', 'failed']),
  attempts: z.number().int().nonnegative(),
  nextAttempt: z.number().finite(),
  lastAttempt: maybe(z.number().finite()),
  lastError: maybe(z.string()),
  notify: maybe(z.array(z.string())),
  orcpt: maybe(z.string()),
});

/** What a state file must hold. Loose objects: a field added by a newer writer is kept, not stripped. */
export const queueStateSchema: z.ZodType<QueueState> = z.looseObject({
  id: z.string().regex(QUEUE_ID, 'not a queue id'),
  created: z.number().finite(),
  held: z.boolean(),
  recipients: z.array(recipientState),
  delayWarned: maybe(z.boolean()),
});

export type StateRead = { kind: 'ok'; state: QueueState } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

/** A state file's content, checked (see queueStateSchema); throws a ShapeError naming the path of what is wrong. */
export function checkQueueState(raw: unknown): QueueState {
  const r = queueStateSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ShapeError(i.path.map(String).join('.'), i.message);
  }
  return r.data;
}

/** Read and check a message's state file. I/O errors other than damage (EACCES, EIO, EMFILE) throw. */
export async function loadState(queueDir: string, id: string): Promise<StateRead> {
  const file = statePath(queueDir, id);
  let text: string;
  try {
    const st = await fsp.lstat(file);
    if (!st.isFile()) return { kind: 'corrupt', reason: `not a regular file (${st.isDirectory() ? 'a directory' : 'a link or special file'})` };
    if (st.size > MAX_STATE) return { kind: 'corrupt', reason: `${st.size} bytes, over the ${MAX_STATE}-byte limit` };
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { kind: 'corrupt', reason: `bad JSON: ${(e as Error).message}` };
  }
  let state: QueueState;
  try {
    state = checkQueueState(raw);
  } catch (e) {
    if (e instanceof ShapeError) return { kind: 'corrupt', reason: `bad state: ${e.message}` };
    throw e;
  }
  if (state.id !== id) return { kind: 'corrupt', reason: `the state names ${JSON.stringify(state.id)}, not the file's id` };
  return { kind: 'ok', state };
}

/** A message's state; null when there is none or it cannot be used (Queue.start moves damaged ones aside). */
export async function readState(queueDir: string, id: string): Promise<QueueState | null> {
  const r = await loadState(queueDir, id).catch(() => null);
  return r?.kind === 'ok' ? r.state : null;
}

/** Replace the state file atomically and durably (write, fsync, rename); a failed write leaves the old one. */
export async function writeState(queueDir: string, st: QueueState): Promise<void> {
  const final = statePath(queueDir, st.id);
  const tmp = `${final}.tmp${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  try {
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(st));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, final);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => {});
    throw e;
  }
}

/** Left by a write that never finished (a crash, a full disk): `<id>.state.tmp…`. */
export function isStateTemp(name: string): boolean {
  return /\.state\.tmp/.test(name);
}

/** Recipients still owed a delivery. */
export function openRecipients(st: QueueState): RecipientState[] {
  return st.recipients.filter((r) => r.status === 'pending' || r.status === 'deferred');
}
