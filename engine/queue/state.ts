// Per-message queue state, kept beside the spool file as <id>.state (JSON, replaced atomically):
// which recipients are still to be delivered, attempts, next attempt, last error, hold.
// Messages delivered at once never get a state file.
import fsp from 'node:fs/promises';
import path from 'node:path';

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

export async function readState(queueDir: string, id: string): Promise<QueueState | null> {
  try {
    return JSON.parse(await fsp.readFile(statePath(queueDir, id), 'utf8')) as QueueState;
  } catch {
    return null;
  }
}

/** Replace the state file atomically and durably (write, fsync, rename). */
export async function writeState(queueDir: string, st: QueueState): Promise<void> {
  const final = statePath(queueDir, st.id);
  const tmp = `${final}.tmp${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(st));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, final);
}

/** Recipients still owed a delivery. */
export function openRecipients(st: QueueState): RecipientState[] {
  return st.recipients.filter((r) => r.status === 'pending' || r.status === 'deferred');
}
