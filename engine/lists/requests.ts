// NAME-request@DOMAIN: "subscribe [digest]", "unsubscribe" and "help" in the Subject or the first lines of
// the body, answered to the From: address (never to the null sender or an automatic message). Subscribing
// and unsubscribing are double opt-in: a confirmation with a signed, expiring token goes to the address, and
// only mail to NAME-request+confirm-<token>@ (or "confirm <token>" in a Subject) completes it; a private
// list then asks its moderators (NAME-request+admit-<token>@). Altered, replayed or expired tokens are
// refused and logged. Moderation replies (approve/reject) arriving here go to moderation.ts.
import { simpleParser } from 'mailparser';
import type { MailingList } from '../accounts/list-directory.js';
import { decodeHeaderValue } from '../mime/charset.js';
import type { ListRequest, RequestKind } from './activity.js';
import { moderators, sendNotice, type Composed } from './compose.js';
import { posterOf, splitMessage, value } from './headers.js';
import { decideByToken } from './moderation.js';
import { listAddresses } from './names.js';
import { emptyOutcome, merge, note, type ListOutcome, type ListRuntime } from './runtime.js';
import { checkMemberAddress } from './sqlite-lists.js';
import { checkRowToken, newId, rowToken } from './tokens.js';

export interface RequestInput {
  raw: Buffer;
  mailFrom: string;
  token?: string;
  spam: boolean;
}

type Command = { verb: 'subscribe'; digest: boolean } | { verb: 'unsubscribe' } | { verb: 'help' } | { verb: 'confirm' | 'approve' | 'reject' | 'admit'; token: string };

const TOKEN = '([a-z2-7]{10}-[a-z2-7]{16})';

/** The first command in a line of text, if any (lines are short: at most 200 characters are read). */
export function parseCommand(line: string): Command | null {
  const l = line.slice(0, 200).toLowerCase();
  const tok = new RegExp(`\\b(confirm|approve|reject|admit)\\s+${TOKEN}\\b`).exec(l);
  if (tok) return { verb: tok[1] as 'confirm', token: tok[2] };
  const w = /^\s*(?:re:\s*)?(subscribe|join|unsubscribe|leave|help)\b(?:\s+(digest))?/.exec(l);
  if (!w) return null;
  if (w[1] === 'subscribe' || w[1] === 'join') return { verb: 'subscribe', digest: w[2] === 'digest' };
  if (w[1] === 'help') return { verb: 'help' };
  return { verb: 'unsubscribe' };
}

async function commandOf(raw: Buffer, subject: string): Promise<Command | null> {
  const fromSubject = parseCommand(subject);
  if (fromSubject) return fromSubject;
  let text = '';
  try {
    text = (await simpleParser(raw.subarray(0, 1024 * 1024), { skipHtmlToText: true, skipImageLinks: true, skipTextLinks: true })).text ?? '';
  } catch {
    return null;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('>'));
  for (const line of lines.slice(0, 10)) {
    if (line.startsWith('--')) break; // a signature follows
    const c = parseCommand(line);
    if (c) return c;
  }
  return null;
}

export async function handleRequest(rt: ListRuntime, list: MailingList, r: RequestInput): Promise<ListOutcome> {
  const out = emptyOutcome();
  const { fields } = splitMessage(r.raw);
  const from = posterOf(fields)?.address ?? r.mailFrom;
  const auto = (value(fields, 'Auto-Submitted') ?? 'no').toLowerCase();
  if (r.mailFrom === '' || !auto.startsWith('no') || r.spam) {
    note(out, 'list-request-ignored', { list: list.address, from, reason: r.mailFrom === '' ? 'null sender' : r.spam ? 'spam' : 'automatic message' });
    return out;
  }
  let cmd: Command | null = null;
  if (r.token) {
    const m = /^(confirm|approve|reject|admit)-(.+)$/.exec(r.token);
    if (!m) {
      note(out, 'list-token-refused', { list: list.address, action: 'unknown', problem: 'not a token of ours', by: from }, 'warn');
      return out;
    }
    cmd = { verb: m[1] as 'confirm', token: m[2] };
  } else cmd = await commandOf(r.raw, decodeHeaderValue(value(fields, 'Subject') ?? '').text);
  if (!cmd) cmd = { verb: 'help' };
  switch (cmd.verb) {
    case 'approve':
    case 'reject':
      return decideByToken(rt, list, cmd.verb, cmd.token, from);
    case 'confirm':
    case 'admit':
      return merge(out, await confirm(rt, list, cmd.verb, cmd.token, from));
    case 'help':
      return merge(out, await reply(rt, list, from, { subject: `Help for ${list.address}`, text: helpText(list) }));
    case 'subscribe':
    case 'unsubscribe':
      return merge(out, await ask(rt, list, from, cmd.verb, cmd.verb === 'subscribe' && cmd.digest));
  }
}

/** A request by mail: confirmation first (one pending request per address and kind). */
async function ask(rt: ListRuntime, list: MailingList, from: string, kind: RequestKind, digest: boolean): Promise<ListOutcome> {
  const out = emptyOutcome();
  let address: string;
  try {
    address = checkMemberAddress(from);
  } catch {
    note(out, 'list-request-ignored', { list: list.address, from, reason: 'no usable From: address' });
    return out;
  }
  const member = rt.lists.member(list.address, address);
  if (kind === 'subscribe' && member && !member.disabled) return reply(rt, list, address, { subject: `You are a member of ${list.address}`, text: `${address} is a member of ${list.address} already.\n\n${helpText(list)}` });
  if (kind === 'unsubscribe' && !member) return reply(rt, list, address, { subject: `Not a member of ${list.address}`, text: `${address} is not a member of ${list.address}.` });
  const now = rt.now();
  const pending = await rt.activity.request(list.address, address, kind);
  if (pending && pending.expires > now) {
    note(out, 'list-request-pending', { list: list.address, address, kind });
    return out;
  }
  const req: ListRequest = { id: newId(), list: list.address, address, kind, state: 'confirm', digest: digest && list.digest, created: now, expires: now + rt.config.lists.confirm_lifetime };
  await rt.activity.addRequest(req);
  const token = rowToken(rt.key, 'confirm', list.address, req.id);
  const confirmAt = listAddresses(list).requestToken(`confirm-${token}`);
  note(out, 'list-confirmation-sent', { list: list.address, address, kind, request_id: req.id });
  return merge(
    out,
    await reply(rt, list, address, {
      subject: `Confirm ${kind === 'subscribe' ? 'subscription to' : 'unsubscription from'} ${list.address} (confirm ${token})`,
      replyTo: confirmAt,
      text: [
        `Someone (perhaps you) asked to ${kind} ${address} ${kind === 'subscribe' ? 'to' : 'from'} the list ${list.address}.`,
        '',
        'To confirm, reply to this message, or send any message to:',
        `  ${confirmAt}`,
        '',
        `If you did not ask for it, ignore this message: nothing happens, and the request lapses on ${new Date(req.expires).toISOString()}.`,
      ].join('\n'),
    }),
  );
}

/** NAME-request+confirm-<token>@ (the subscriber) or +admit-<token>@ (a moderator of a private list). */
async function confirm(rt: ListRuntime, list: MailingList, verb: 'confirm' | 'admit', token: string, by: string): Promise<ListOutcome> {
  const out = emptyOutcome();
  const t = checkRowToken(rt.key, verb, list.address, token);
  const refuse = (problem: string) => note(out, 'list-token-refused', { list: list.address, action: verb, problem, by }, 'warn');
  if (!t || !t.valid) return (refuse('forged or damaged token'), out);
  const req = await rt.activity.requestById(t.id);
  if (!req || req.list !== list.address || req.state !== (verb === 'confirm' ? 'confirm' : 'approval')) return (refuse(`no request ${t.id} waiting for this (already done, or the token was used before)`), out);
  if (req.expires <= rt.now()) {
    await rt.activity.removeRequest(req.id);
    return (refuse(`request ${t.id} expired on ${new Date(req.expires).toISOString()}`), out);
  }
  if (verb === 'confirm' && req.kind === 'subscribe' && list.private) {
    const now = rt.now();
    await rt.activity.setRequestState(req.id, 'approval', now + rt.config.lists.confirm_lifetime);
    const admit = listAddresses(list).requestToken(`admit-${rowToken(rt.key, 'admit', list.address, req.id)}`);
    note(out, 'list-subscription-awaits-approval', { list: list.address, address: req.address, request_id: req.id });
    out.originated.push(
      ...(await sendNotice(rt, list, {
        from: { name: `${list.name} moderation`, address: listAddresses(list).owner },
        to: moderators(rt, list),
        replyTo: admit,
        subject: `${list.address}: ${req.address} asks to join`,
        text: `${req.address} confirmed a subscription to the private list ${list.address}.\n\nTo admit them, reply to this message (or send any message to ${admit}).\nWithout an answer the request lapses.`,
        auto: 'auto-generated',
      })),
    );
    return out;
  }
  return merge(out, await apply(rt, list, req));
}

async function apply(rt: ListRuntime, list: MailingList, req: ListRequest): Promise<ListOutcome> {
  const out = emptyOutcome();
  await rt.activity.removeRequest(req.id);
  if (req.kind === 'unsubscribe') {
    rt.lists.removeMember(list.address, req.address);
    note(out, 'list-unsubscribed', { list: list.address, address: req.address, by: 'mail' });
    return merge(out, await reply(rt, list, req.address, { subject: `Goodbye from ${list.address}`, text: `${req.address} has left ${list.address}.` }));
  }
  try {
    if (rt.lists.member(list.address, req.address)) {
      rt.lists.setMember(list.address, req.address, { disabled: false, digest: req.digest });
      await rt.activity.clearBounces(list.address, req.address);
    } else rt.lists.addMember(list.address, req.address, { digest: req.digest });
  } catch (e) {
    note(out, 'list-subscribe-refused', { list: list.address, address: req.address, reason: (e as Error).message }, 'warn');
    return out;
  }
  note(out, 'list-subscribed', { list: list.address, address: req.address, digest: req.digest, by: 'mail' });
  return merge(out, await reply(rt, list, req.address, { subject: `Welcome to ${list.address}`, text: `${req.address} is now a member of ${list.address}.\n\n${helpText(list)}` }));
}

/** An automatic reply to one address, within [lists] max_replies_per_day. */
async function reply(rt: ListRuntime, list: MailingList, to: string, c: Pick<Composed, 'subject' | 'text' | 'replyTo'>): Promise<ListOutcome> {
  const out = emptyOutcome();
  const n = await rt.activity.countReply(list.address, to.toLowerCase(), Math.floor(rt.now() / 86_400_000));
  if (n > rt.config.lists.max_replies_per_day) {
    note(out, 'list-reply-suppressed', { list: list.address, to, replies_today: n - 1 }, 'warn');
    return out;
  }
  const a = listAddresses(list);
  out.originated.push(...(await sendNotice(rt, list, { ...c, from: { name: `${list.name} list`, address: a.request }, to: [to], auto: 'auto-replied' })));
  return out;
}

export function helpText(list: MailingList): string {
  const a = listAddresses(list);
  return [
    `The list ${list.address} takes these commands, in the Subject or the first lines of a message to ${a.request}:`,
    '',
    `  subscribe${list.digest ? ' [digest]' : ''}   join the list${list.digest ? ' (with "digest": one message a day)' : ''}`,
    '  unsubscribe        leave the list',
    '  help               this text',
    '',
    'Both subscribe and unsubscribe are confirmed by mail first.',
    `Posts go to ${a.post}; the list's owners are at ${a.owner}.`,
  ].join('\n');
}

/** Housekeeping: requests nobody confirmed in time are dropped. */
export async function sweepRequests(rt: ListRuntime, now: number): Promise<ListOutcome> {
  const out = emptyOutcome();
  for (const r of await rt.activity.expiredRequests(now)) {
    await rt.activity.removeRequest(r.id);
    note(out, 'list-request-expired', { list: r.list, address: r.address, kind: r.kind, request_id: r.id });
  }
  return out;
}
