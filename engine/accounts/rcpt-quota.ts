// The quota check at RCPT TO: a recipient whose own mailbox is already full (or smaller than the SIZE the client
// declared) is refused then (452 4.2.2 / 552 5.2.3), while the client can still keep the message for that
// recipient alone. Mail that reaches a mailbox through an alias or forward is left to the worker's check at
// delivery (deferred, then a DSN). A check that fails for any reason refuses nothing.
import type { AccountDirectory } from './directory.js';
import { quotaRefusal, roomFor, type Quota, type Usage } from './quota.js';
import type { Refusal } from '../policy/verdict.js';
import { maildirRoot } from '../store/maildir.js';
import { mailboxRoom } from '../store/maildirsize.js';

/** The refusal for `address` (a local recipient the relay check accepted), or null when it may be accepted. */
/** The owner's usage from the shared store (PostgreSQL); absent: the Maildir's maildirsize in the data dir. */
export type UsageOf = (owner: string, quota: Quota) => Promise<Usage>;

export async function rcptQuotaRefusal(directory: AccountDirectory, dataDir: string, address: string, declaredSize: number, usageOf?: UsageOf): Promise<Refusal | null> {
  try {
    const r = directory.resolve(address);
    if (r.kind !== 'mailbox') return null;
    // forwarded elsewhere without a copy here: this mailbox's quota does not matter
    if (r.user.forward.length && !r.user.keepCopy) return null;
    const bytes = Number.isSafeInteger(declaredSize) && declaredSize > 0 ? declaredSize : 0;
    const q = r.user.quota;
    const room = !usageOf
      ? await mailboxRoom(maildirRoot(dataDir, r.user.address), q, bytes)
      : q.bytes === 0 && q.messages === 0
        ? { kind: 'ok' as const }
        : roomFor(q, await usageOf(r.user.address, q), bytes);
    return room.kind === 'ok' ? null : quotaRefusal(room, address);
  } catch {
    return null;
  }
}

/** The SIZE= the client declared in MAIL FROM (RFC 1870), 0 when none. */
export function declaredSize(mailFrom: { args?: unknown } | false | undefined): number {
  const args = mailFrom && typeof mailFrom.args === 'object' && mailFrom.args ? (mailFrom.args as Record<string, unknown>) : {};
  const v = args.SIZE ?? args.size;
  const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : 0;
  return n;
}
