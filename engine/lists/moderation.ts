// The moderation queue: a held post is kept in the list's held/ directory with a row naming it, and the
// moderators get a notice whose Reply-To is NAME-request+approve-<id>-<mac>@ (replying approves; the body
// names the reject address and the CLI). A token that does not verify (forged), names no held post any more
// (replayed, or already decided) or has expired is refused and logged; nothing is sent back to its sender.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { MailingList } from '../accounts/list-directory.js';
import { decodeHeaderValue } from '../mime/charset.js';
import { syncDirNow } from '../store/maildir.js';
import { capPassed, type HeldCap, type HeldPost } from './activity.js';
import { moderators, sendNotice } from './compose.js';
import { distribute } from './distribute.js';
import { posterOf, splitMessage, value } from './headers.js';
import { listAddresses } from './names.js';
import { heldFile } from './paths.js';
import { emptyOutcome, merge, note, type ListOutcome, type ListRuntime } from './runtime.js';
import { checkRowToken, newId, rowToken } from './tokens.js';

export interface HoldInput {
  postKey: string;
  sender: string;
  mailFrom: string;
  reason: string;
  /** The RCPT TO the post came from (the recipient a refusal names); absent: the list address. */
  rcpt?: string;
  /** The spam filter called it spam: over the cap it is discarded (logged), never bounced to a forgeable sender. */
  spam?: boolean;
}

/** Keep a post for the moderators (idempotent per post key) and make sure they were told. */
export async function holdPost(rt: ListRuntime, list: MailingList, raw: Buffer, h: HoldInput): Promise<ListOutcome> {
  const out = emptyOutcome();
  let held = await rt.activity.heldByKey(list.address, h.postKey);
  if (!held) {
    // a stranger must not fill the disk through the moderation queue: over the list's cap the post is refused
    // (its sender gets a bounce — unless it was classified as spam), never kept and never dropped unsaid
    // (security review 3, follow-up). Read first (nothing written when the queue is plainly full), then checked
    // again with the row's insert in one transaction, so two posts arriving at once cannot both pass it.
    const full = (await queueFull(rt, list, raw.length)) ?? (await keepHeld(rt, list, raw, h));
    if (full) return refuseFull(out, list, raw, h, full);
    held = (await rt.activity.heldByKey(list.address, h.postKey))!;
    note(out, 'list-held', { list: list.address, held_id: held.id, sender: h.sender, reason: h.reason, size: raw.length });
  }
  if (!held.notified) {
    out.originated.push(...(await notifyModerators(rt, list, held, raw)));
    await rt.activity.markNotified(held.id);
  }
  return out;
}

/** The list's [lists] max_held and max_held_bytes. */
function capOf(rt: ListRuntime): HeldCap {
  return { posts: rt.config.lists.max_held, bytes: rt.config.lists.max_held_bytes };
}

/** Write the post (its file, or its row's bytes on PostgreSQL) and its row under the cap; the cap passed, or null. */
async function keepHeld(rt: ListRuntime, list: MailingList, raw: Buffer, h: HoldInput): Promise<string | null> {
  const id = newId();
  const now = rt.now();
  const subject = decodeHeaderValue(value(splitMessage(raw).fields, 'Subject') ?? '').text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 200);
  const row = { id, list: list.address, postKey: h.postKey, sender: h.sender, mailFrom: h.mailFrom, subject, size: raw.length, reason: h.reason, created: now, expires: now + rt.config.lists.held_lifetime };
  // PostgreSQL: the bytes go with the row, so a moderator's decision reaching any node can carry it out
  if (rt.activity.keepsBodies) return rt.activity.hold(row, raw, capOf(rt));
  const file = heldFile(rt.config.data_dir, list, id);
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(raw);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await syncDirNow(path.dirname(file));
  const full = await rt.activity.hold(row, undefined, capOf(rt));
  // over the cap, or the same post held by another thread at once: this file is nobody's
  if (full || (await rt.activity.heldByKey(list.address, h.postKey))?.id !== id) await fsp.rm(file, { force: true });
  return full;
}

function refuseFull(out: ListOutcome, list: MailingList, raw: Buffer, h: HoldInput, full: string): ListOutcome {
  if (h.spam) {
    // a bounce would go to the envelope sender spam forges (backscatter): the log line is its only trace
    note(out, 'list-held-full', { list: list.address, sender: h.sender, reason: h.reason, size: raw.length, limit: full, action: 'discarded' }, 'warn');
    return out;
  }
  out.failed.push({ address: h.rcpt ?? list.address, reason: `5.2.2 <${list.address}>: the list's moderation queue is full (${full}); the post was not kept, try again later or write to the list's owner` });
  note(out, 'list-held-full', { list: list.address, sender: h.sender, reason: h.reason, size: raw.length, limit: full }, 'warn');
  return out;
}

/** The cap a new held post of `size` bytes would pass ("200 posts", "104857600 bytes"), or null while it fits. */
async function queueFull(rt: ListRuntime, list: MailingList, size: number): Promise<string | null> {
  const waiting = (await rt.activity.heldPosts(list.address)).filter((p) => p.state === 'held');
  return capPassed({ n: waiting.length, bytes: waiting.reduce((n, p) => n + p.size, 0) }, size, capOf(rt));
}

async function notifyModerators(rt: ListRuntime, list: MailingList, held: HeldPost, raw: Buffer): Promise<string[]> {
  const a = listAddresses(list);
  const approve = a.requestToken(`approve-${rowToken(rt.key, 'approve', list.address, held.id)}`);
  const reject = a.requestToken(`reject-${rowToken(rt.key, 'reject', list.address, held.id)}`);
  const text = [
    `A post to ${list.address} is waiting for a moderator.`,
    '',
    `  From:    ${held.sender}`,
    `  Subject: ${held.subject}`,
    `  Reason:  ${held.reason}`,
    `  Id:      ${held.id}`,
    '',
    'To approve it, reply to this message (its Reply-To is the approval address):',
    `  ${approve}`,
    'To reject it, send any message to:',
    `  ${reject}`,
    `or use: tegami list approve|reject ${list.address} ${held.id}`,
    '',
    `Without a decision it is dropped on ${new Date(held.expires).toISOString()}.`,
    'The post is attached.',
  ].join('\n');
  return sendNotice(rt, list, {
    from: { name: `${list.name} moderation`, address: a.owner },
    to: moderators(rt, list),
    replyTo: approve,
    subject: `${list.address}: post from ${held.sender} held for approval (${held.id})`,
    text,
    auto: 'auto-generated',
    attach: raw,
  });
}

/** NAME-request+approve-TOKEN@ / +reject-TOKEN@: a moderator's decision by mail. */
export async function decideByToken(rt: ListRuntime, list: MailingList, action: 'approve' | 'reject', token: string, by: string): Promise<ListOutcome> {
  const out = emptyOutcome();
  const t = checkRowToken(rt.key, action, list.address, token);
  const refuse = (problem: string) => note(out, 'list-token-refused', { list: list.address, action, problem, by }, 'warn');
  if (!t || !t.valid) {
    refuse('forged or damaged token');
    return out;
  }
  const held = await rt.activity.heldById(t.id);
  if (!held || held.list !== list.address) {
    refuse(`no held post ${t.id} (already decided, or the token was used before)`);
    return out;
  }
  if (held.expires <= rt.now()) {
    refuse(`held post ${t.id} expired on ${new Date(held.expires).toISOString()}`);
    await dropHeld(rt, list, held);
    return out;
  }
  // claim the decision (a CLI decision or another reply may race this one): only one carries it out
  if (!(await rt.activity.setHeldState(held.id, action === 'approve' ? 'approved' : 'rejected'))) {
    refuse(`held post ${t.id} was decided already`);
    return out;
  }
  note(out, 'list-moderated', { list: list.address, held_id: held.id, decision: action, by });
  return merge(out, await decide(rt, list, held, action));
}

/** Added to a held post's reason when its From: names one of our addresses its owner did not send from: an
 *  approval distributes it with the list's address in From: (engine/lists/post.ts). */
export const UNPROVEN_AUTHOR = "From: an address of ours its owner did not send from (the list's address goes in From:)";

/** Carry out a decision on a held post: distribute it (approve) or drop it (reject). */
export async function decide(rt: ListRuntime, list: MailingList, held: HeldPost, action: 'approve' | 'reject'): Promise<ListOutcome> {
  const out = emptyOutcome();
  if (action === 'approve') {
    let raw: Buffer | null = null;
    try {
      if (rt.activity.heldBody) raw = await rt.activity.heldBody(held.id);
      // a post held before the node moved to PostgreSQL (tegami db import-local) is still in held/ on disk
      raw ??= await fsp.readFile(heldFile(rt.config.data_dir, list, held.id));
    } catch (e) {
      note(out, 'list-held-missing', { list: list.address, held_id: held.id, error: (e as Error).message }, 'error');
      await rt.activity.removeHeld(held.id);
      return out;
    }
    const rewriteFrom = held.reason.includes(UNPROVEN_AUTHOR);
    merge(out, await distribute(rt, list, raw, { postKey: held.postKey, poster: posterOf(splitMessage(raw).fields), mailFrom: held.mailFrom, rewriteFrom }));
  }
  await dropHeld(rt, list, held);
  return out;
}

async function dropHeld(rt: ListRuntime, list: MailingList, held: HeldPost): Promise<void> {
  await rt.activity.removeHeld(held.id);
  await fsp.rm(heldFile(rt.config.data_dir, list, held.id), { force: true });
}

/** Housekeeping: decisions made with the CLI (state approved/rejected) are carried out; expired posts dropped. */
export async function sweepHeld(rt: ListRuntime, now: number): Promise<ListOutcome> {
  const out = emptyOutcome();
  for (const held of await rt.activity.decidedHeld()) {
    const list = rt.lists.list(held.list);
    if (!list) {
      await rt.activity.removeHeld(held.id);
      continue;
    }
    note(out, 'list-moderated', { list: list.address, held_id: held.id, decision: held.state === 'approved' ? 'approve' : 'reject', by: 'cli' });
    merge(out, await decide(rt, list, held, held.state === 'approved' ? 'approve' : 'reject'));
  }
  for (const held of await rt.activity.expiredHeld(now)) {
    const list = rt.lists.list(held.list);
    note(out, 'list-held-expired', { list: held.list, held_id: held.id, sender: held.sender });
    if (list) await dropHeld(rt, list, held);
    else await rt.activity.removeHeld(held.id);
  }
  return out;
}
