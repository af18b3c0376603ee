// A post to NAME@DOMAIN, in the worker: refused when it loops (our X-BeenThere or List-Id is on it already) or
// is an automatic message (null sender, Auto-Submitted: a bounce or a vacation reply never reaches a list);
// held when the poster may not post (members / moderators only), the list is moderated, the post is too big
// or was classified as spam; otherwise distributed. Refusals are logged, never answered (no backscatter).
// An address of our own domains counts as a member or moderator only when its owner sent the message (a login
// or a relay host: origin "author"); from anywhere else such a From: or MAIL FROM is forged and counts as nobody.
import crypto from 'node:crypto';
import type { MailingList } from '../accounts/list-directory.js';
import type { Origin } from '../spool/envelope.js';
import { distribute } from './distribute.js';
import { posterOf, splitMessage, value, values } from './headers.js';
import { holdPost, UNPROVEN_AUTHOR } from './moderation.js';
import { listId } from './names.js';
import { emptyOutcome, merge, note, type ListOutcome, type ListRuntime } from './runtime.js';

export interface PostInput {
  raw: Buffer;
  mailFrom: string;
  /** The content filter called it spam (held for a moderator rather than distributed). */
  spam: boolean;
  /** Who stands behind the message (the envelope's origin, checked); absent or null: nobody proven. */
  origin?: Origin | null;
  /** The RCPT TO it came from (named when the post is refused). */
  rcpt?: string;
}

/**
 * The addresses a post may count as for the posting policy: its From: and envelope sender, less any address of
 * our own domains that its owner did not send from. Our own users reach us only by logging in (or through a
 * relay host), so the same address arriving from outside is forged. A copy of one of our lists (a list that is a
 * member of another) carries the claim its first list accepted. Remote addresses cannot be told apart here.
 */
export function provenIdentities(rt: Pick<ListRuntime, 'directory'>, p: { poster: string | null; mailFrom: string; origin?: Origin | null }): { poster: string | null; mailFrom: string; unproven: string[] } {
  const o = p.origin;
  const owned = o?.kind === 'author' || (o?.kind === 'tegami' && o.source === 'list');
  const unproven: string[] = [];
  const keep = (a: string | null): string | null => {
    if (!a || owned) return a;
    const at = a.lastIndexOf('@');
    if (at > 0 && rt.directory.localDomain(a.slice(at + 1)) === null) return a;
    unproven.push(a);
    return null;
  };
  return { poster: keep(p.poster), mailFrom: keep(p.mailFrom) ?? '', unproven: [...new Set(unproven.map((a) => a.toLowerCase()))] };
}

/** What makes two deliveries the same post: its Message-ID, else its bytes. */
export function postKey(raw: Buffer, messageId: string | undefined): string {
  const id = /<[^<>\s]{1,250}>/.exec(messageId ?? '')?.[0];
  return crypto.createHash('sha256').update(id ? `id:${id}` : raw).digest('hex').slice(0, 32);
}

/** The hold reason of a post whose From: or envelope sender is of our own domains but came without a login. */
export const UNPROVEN_REASON = 'the sender is of our own domains but did not log in to send';
const POLICY_REASONS = new Set(['only moderators post to this list', 'the sender is not a member']);

/** Why a post must wait for a moderator, or null when it may go out. */
export function holdReason(rt: ListRuntime, list: MailingList, p: { poster: string | null; mailFrom: string; size: number; spam: boolean }): string | null {
  const who = [p.poster, p.mailFrom].filter((x): x is string => !!x).map((x) => x.toLowerCase());
  const admins = rt.lists.admins(list.address);
  const isAdmin = who.some((w) => admins.includes(w));
  if (p.spam) return 'classified as spam';
  if (list.maxSize && p.size > list.maxSize) return `larger than the list's limit (${p.size} > ${list.maxSize} bytes)`;
  if (isAdmin) return null;
  if (list.post === 'moderators') return 'only moderators post to this list';
  if (list.post === 'members' && !who.some((w) => rt.lists.member(list.address, w))) return 'the sender is not a member';
  if (list.moderated) return 'the list is moderated';
  return null;
}

export async function receivePost(rt: ListRuntime, list: MailingList, p: PostInput): Promise<ListOutcome> {
  const out = emptyOutcome();
  const { fields } = splitMessage(p.raw);
  const poster = posterOf(fields);
  const sender = poster?.address ?? p.mailFrom;
  const beenThere = values(fields, 'X-BeenThere').map((v) => v.toLowerCase());
  const ids = values(fields, 'List-Id').map((v) => /<([^<>]+)>/.exec(v)?.[1]?.toLowerCase());
  if (beenThere.includes(list.address) || ids.includes(listId(list))) {
    note(out, 'list-loop', { list: list.address, sender, reason: 'the post has been through this list already' }, 'warn');
    return out;
  }
  const auto = (value(fields, 'Auto-Submitted') ?? 'no').toLowerCase();
  if (p.mailFrom === '' || !auto.startsWith('no')) {
    note(out, 'list-auto-discarded', { list: list.address, sender, reason: p.mailFrom === '' ? 'null envelope sender (a bounce)' : `Auto-Submitted: ${auto.slice(0, 40)}` });
    return out;
  }
  const key = postKey(p.raw, value(fields, 'Message-ID'));
  const who = provenIdentities(rt, { poster: poster?.address ?? null, mailFrom: p.mailFrom, origin: p.origin });
  const held = holdReason(rt, list, { poster: who.poster, mailFrom: who.mailFrom, size: p.raw.length, spam: p.spam });
  // a member or moderator of our own domains posting without a login is held for that, not called a stranger
  const reason = held && who.unproven.length && POLICY_REASONS.has(held) ? UNPROVEN_REASON : held;
  if (reason && who.unproven.length) note(out, 'list-sender-unproven', { list: list.address, claimed: who.unproven.join(','), reason: 'an address of our own domains, not sent by its owner (no login)' }, 'warn');
  // a From: of our own domains that its owner did not send: the copies, signed with the list's domain, must not
  // carry it as their author (DMARC would pass for it), whatever that domain publishes; the list's address goes
  // in From: instead, as for a poster whose domain asks for it (also when a moderator approves it later)
  const forgedAuthor = !!poster && who.poster === null;
  if (reason && !(await rt.activity.posted(list.address, key))) {
    const why = forgedAuthor ? `${reason}; ${UNPROVEN_AUTHOR}` : reason;
    return merge(out, await holdPost(rt, list, p.raw, { postKey: key, sender, mailFrom: p.mailFrom, reason: why, rcpt: p.rcpt, spam: p.spam }));
  }
  if (forgedAuthor) note(out, 'list-sender-unproven', { list: list.address, claimed: poster.address, reason: 'an address of our own domains, not sent by its owner (no login): From: rewritten' }, 'warn');
  return merge(out, await distribute(rt, list, p.raw, { postKey: key, poster, mailFrom: p.mailFrom, rewriteFrom: forgedAuthor }));
}
