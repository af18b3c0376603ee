// GETQUOTA (RFC 9208 §4.2.1): the usage and limits of the one quota root every user has, "" (all of the user's
// folders together; limits from engine/accounts/quota.ts, usage from the store). STORAGE is in units of 1024
// octets, MESSAGE in messages; a resource without a limit is not listed. Also the quota helpers APPEND, COPY
// and GETQUOTAROOT share. It never changes a limit (SETQUOTA is refused: limits are the administrator's).
import type { Quota, Usage } from '../../accounts/quota.js';
import { roomFor } from '../../accounts/quota.js';
import { AUTHENTICATED, no, ok, type CommandDef, type Result } from '../command.js';
import type { Session } from '../session.js';

/** The name of the user's quota root. */
export const QUOTA_ROOT = '';

export async function quotaState(s: Session): Promise<{ quota: Quota; usage: Usage }> {
  const quota = s.shared.directory.quotaOf(s.owner);
  return { quota, usage: await s.store.usage(s.owner, quota) };
}

/** `* QUOTA "" (STORAGE used limit MESSAGE used limit)`: storage in KiB, used rounded up, limit down. */
export function quotaResponse(quota: Quota, usage: Usage): string {
  const res: string[] = [];
  if (quota.bytes > 0) res.push(`STORAGE ${Math.ceil(usage.bytes / 1024)} ${Math.floor(quota.bytes / 1024)}`);
  if (quota.messages > 0) res.push(`MESSAGE ${usage.messages} ${quota.messages}`);
  return `* QUOTA "${QUOTA_ROOT}" (${res.join(' ')})`;
}

/**
 * NO [OVERQUOTA] when `bytes` in `messages` more would not fit (RFC 9208 §4.3, RFC 5530), else null. `bytes` may be
 * a function, asked only when there is a limit at all.
 */
export async function refuseOverQuota(s: Session, bytes: number | (() => Promise<number>), messages: number): Promise<Result | null> {
  const quota = s.shared.directory.quotaOf(s.owner);
  if (quota.bytes === 0 && quota.messages === 0) return null;
  const usage = await s.store.usage(s.owner, quota);
  const n = typeof bytes === 'number' ? bytes : await bytes();
  const room = roomFor(quota, usage, n, messages);
  if (room.kind === 'ok') return null;
  s.log('over-quota', { bytes: n, messages, reason: room.reason });
  return no('Quota exceeded', 'OVERQUOTA');
}

export const getquota: CommandDef = {
  names: ['GETQUOTA'],
  states: AUTHENTICATED,
  args: [{ name: 'root', type: 'astring' }],
  async handle(s, a) {
    if ((a.root as string) !== QUOTA_ROOT) return no('No such quota root', 'NONEXISTENT');
    const { quota, usage } = await quotaState(s);
    s.send(quotaResponse(quota, usage));
    return ok('GETQUOTA completed');
  },
};
