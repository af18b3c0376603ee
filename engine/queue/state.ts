// Per-message queue state, kept beside the spool file as <id>.state (JSON, replaced atomically):
// which recipients are still to be delivered, attempts, next attempt, last error, hold.
// Messages delivered at once never get a state file. A state file read back is checked field by field
// (checkQueueState) before it is used; a damaged one is reported with the reason, never half-trusted.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { QUEUE_ID } from '../spool/envelope.js';
import { absent, at, bool, int, items, loose, num, object, oneOf, ShapeError, str, strings } from './shape.js';

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
  /**
   * Why the sender has no notice about this message (the worker's decision at its first run: the sender may be
   * forged, workers/notice-sender.ts), kept so no later notice — a local retry's, a remote attempt's delay warning,
   * expiry or bounce, a held message's expiry — is sent (security review 8). On PostgreSQL it travels with the
   * hand-over (queue_envelopes.no_notice). Absent in older state files: notices as before.
   */
  noNotice?: string;
}

export function statePath(queueDir: string, id: string): string {
  return path.join(queueDir, `${id}.state`);
}

/** A state file is never larger than this (a bigger one is damage, not something to read into memory). */
const MAX_STATE = 64 * 1024 * 1024;

const KINDS = ['local', 'remote'] as const;
const STATUSES = ['pending', 'deferred', 'sent', 'failed'] as const;

function recipientState(v: unknown, p: string): RecipientState {
  const o = object(v, p);
  str(o, 'address', p);
  str(o, 'rcpt', p);
  oneOf(o, 'kind', p, KINDS);
  oneOf(o, 'status', p, STATUSES);
  int(o, 'attempts', p, 0);
  num(o, 'nextAttempt', p);
  if (!absent(o, 'lastAttempt')) num(o, 'lastAttempt', p);
  if (!absent(o, 'lastError')) str(o, 'lastError', p);
  if (!absent(o, 'notify')) strings(o, 'notify', p);
  if (!absent(o, 'orcpt')) str(o, 'orcpt', p);
  return loose(o, 'lastAttempt', 'lastError', 'notify', 'orcpt') as unknown as RecipientState;
}

/**
 * What a state file must hold, checked field by field; throws a ShapeError naming the path of what is wrong.
 * Loose: a field added by a newer writer is kept, not stripped; null optional fields read as absent.
 */
export function checkQueueState(raw: unknown): QueueState {
  const o = object(raw, '');
  const id = str(o, 'id', '');
  if (!QUEUE_ID.test(id)) throw new ShapeError('id', 'not a queue id');
  num(o, 'created', '');
  bool(o, 'held', '');
  const recipients = items(o.recipients, 'recipients', recipientState);
  if (!absent(o, 'delayWarned')) bool(o, 'delayWarned', '');
  if (!absent(o, 'noNotice') && str(o, 'noNotice', '').length > 200) throw new ShapeError('noNotice', 'longer than 200 characters');
  const out = loose(o, 'delayWarned', 'noNotice');
  out.recipients = recipients;
  return out as unknown as QueueState;
}

export type StateRead = { kind: 'ok'; state: QueueState } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

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
