// The two ways into list handling, both in a worker: mail that routing found for a list address (a post,
// a request, a bounce), and the periodic housekeeping (decisions made with the CLI, expiry, bounce grace,
// digests, batches left staged by a crash). A failure is a temporary failure of that recipient, retried by
// the queue; the dedup records make the retry safe.
import type { ListRole } from '../accounts/list-directory.js';
import type { Origin } from '../spool/envelope.js';
import { promoteOriginated } from '../queue/notices.js';
import { handleBounce, sweepBounced } from './bounces.js';
import { digestIfDue } from './digest-store.js';
import { sweepHeld } from './moderation.js';
import { receivePost } from './post.js';
import { handleRequest, sweepRequests } from './requests.js';
import { emptyOutcome, merge, note, type ListOutcome, type ListRuntime } from './runtime.js';

export interface ListDelivery {
  /** The list address (name@domain). */
  list: string;
  role: Exclude<ListRole, 'owner'>;
  token?: string;
  /** The RCPT TO it came from. */
  rcpt: string;
}

export interface ListMail {
  raw: Buffer;
  mailFrom: string;
  spam: boolean;
  /** The envelope's origin (checked): whether a From: of our own domains was sent by its owner. */
  origin?: Origin | null;
}

export async function handleListMail(rt: ListRuntime, d: ListDelivery, mail: ListMail): Promise<ListOutcome> {
  const list = rt.lists.list(d.list);
  if (!list) {
    // deleted between routing and now: as for an unknown address
    const out = emptyOutcome();
    out.failed.push({ address: d.rcpt, reason: `5.1.1 <${d.rcpt}>: no such list here` });
    note(out, 'list-gone', { list: d.list, rcpt: d.rcpt }, 'warn');
    return out;
  }
  try {
    switch (d.role) {
      case 'post':
        return await receivePost(rt, list, { raw: mail.raw, mailFrom: mail.mailFrom, spam: mail.spam, origin: mail.origin, rcpt: d.rcpt });
      case 'request':
        return await handleRequest(rt, list, { raw: mail.raw, mailFrom: mail.mailFrom, token: d.token, spam: mail.spam });
      case 'bounces':
        return await handleBounce(rt, list, d.token, mail.raw);
    }
  } catch (e) {
    const out = emptyOutcome();
    out.tempFailed.push({ address: d.rcpt, reason: `4.3.0 List handling failed: ${(e as Error).message}` });
    note(out, 'list-error', { list: d.list, role: d.role, error: (e as Error).message }, 'error');
    return out;
  }
}

export interface HousekeepingTask {
  kind: 'lists-housekeeping';
  now: number;
  /** Also the slower sweeps: bounce grace, old records, staged batches from a crash. */
  full: boolean;
}

/** Older than this, a staged batch that never committed is from a dead process. */
const STALE_BATCH_MS = 10 * 60_000;

export async function housekeeping(rt: ListRuntime, t: HousekeepingTask): Promise<ListOutcome> {
  const out = emptyOutcome();
  const step = async (name: string, fn: () => Promise<ListOutcome> | ListOutcome) => {
    try {
      merge(out, await fn());
    } catch (e) {
      note(out, 'list-error', { step: name, error: (e as Error).message }, 'error');
    }
  };
  if (t.full) {
    await step('recover', async () => {
      const o = emptyOutcome();
      o.originated.push(...(await promoteOriginated(rt.spool, (b) => rt.activity.batchCommitted(b), STALE_BATCH_MS, t.now)));
      if (o.originated.length) note(o, 'list-recovered', { messages: o.originated.length });
      return o;
    });
    await step('bounces', () => sweepBounced(rt, t.now));
    await step('prune', async () => {
      await rt.activity.prune(t.now - Math.max(rt.config.lists.dedup_window, rt.config.lists.bounce_window));
      return emptyOutcome();
    });
  }
  await step('held', () => sweepHeld(rt, t.now));
  await step('requests', () => sweepRequests(rt, t.now));
  for (const list of rt.lists.lists()) await step(`digest ${list.address}`, () => digestIfDue(rt, list, t.now));
  return out;
}
