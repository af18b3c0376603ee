// EmailSubmission/get, /changes, /query, /queryChanges and /set (RFC 8621 §7): sending a stored email through
// the shared submission entry point (engine/submission), so JMAP mail meets the same rules as SMTP AUTH mail —
// envelope sender owned (restrict_sender), From:/Sender: owned (restrict_header_from, which also decides DKIM),
// recipients judged as RCPT, the outbound queue — with Bcc: removed. Sends at once: undoStatus is always "final".
import crypto from 'node:crypto';
import { Args, isObject, isUtcDate, utcDate } from '../args.js';
import { COLLATIONS, SUBMISSION } from '../capabilities.js';
import { invalidArguments, invalidProperties, MethodError, setError, SetFailure, type SetError } from '../errors.js';
import type { CallContext, MethodDef } from '../request.js';
import { parseHeaders, findBodyStart } from '../../mime/mime-tree.js';
import { HeaderLineCount, MAX_HEADER_FIELD_OCTETS, MAX_HEADER_LINES } from '../../mime/header-lines.js';
import { Refusals } from '../../policy/verdict.js';
import { MailAccount } from '../mail/account.js';
import { addressesValue } from '../mail/header-forms.js';
import { objectModseq, objectState } from '../mail/states.js';
import { identities, mayUseAddress } from './identity.js';
import { emailSet } from './email-set.js';
import {
  checkFilter, checkSort, getIds, getProperties, matchFilter, getResponse, objectChanges, pick, queryChangesArgs, queryChangesResponse, queryResponse, queryWindow, runSet, setRequest,
  setResponse, type Filter,
} from './standard.js';

export const SUBMISSION_PROPERTIES = ['id', 'identityId', 'emailId', 'threadId', 'envelope', 'sendAt', 'undoStatus', 'deliveryStatus', 'dsnBlobIds', 'mdnBlobIds'];

interface Envelope {
  mailFrom: { email: string; parameters: Record<string, string | null> | null };
  rcptTo: { email: string; parameters: Record<string, string | null> | null }[];
}

interface Submission {
  identityId: string;
  emailId: string;
  threadId: string | null;
  envelope: Envelope;
  sendAt: string;
  undoStatus: 'final';
  deliveryStatus: Record<string, { smtpReply: string; delivered: 'queued' | 'yes' | 'no' | 'unknown'; displayed: 'unknown' }> | null;
  dsnBlobIds: string[];
  mdnBlobIds: string[];
}

/** The message without its Bcc: fields (RFC 8621 §7.5: the recipients must not see them). */
export function withoutBcc(raw: Buffer): Buffer {
  const end = findBodyStart(raw, 0, raw.length);
  const bcc = parseHeaders(raw, 0, end).filter((h) => h.name === 'bcc');
  if (!bcc.length) return raw;
  const parts: Buffer[] = [];
  let pos = 0;
  for (const h of bcc) {
    parts.push(raw.subarray(pos, h.start));
    pos = h.end;
  }
  parts.push(raw.subarray(pos));
  return Buffer.concat(parts);
}

function checkAddress(a: unknown, prop: string): { email: string; parameters: Record<string, string | null> | null } {
  if (!isObject(a) || typeof a.email !== 'string') throw new SetFailure(invalidProperties([prop], 'an Address is { email, parameters }'));
  if (a.parameters !== undefined && a.parameters !== null && !(isObject(a.parameters) && Object.keys(a.parameters).length === 0)) {
    throw new SetFailure(invalidProperties([prop], 'SMTP parameters are not offered (submissionExtensions is empty)'));
  }
  return { email: a.email, parameters: null };
}

/** The envelope the client gave, or the one RFC 8621 §7 derives from the message and identity. */
function envelopeFor(given: unknown, head: Buffer, identityEmail: string, ctx: CallContext): Envelope {
  if (given !== undefined && given !== null) {
    if (!isObject(given) || !Array.isArray(given.rcptTo)) throw new SetFailure(invalidProperties(['envelope']));
    return { mailFrom: checkAddress(given.mailFrom, 'envelope'), rcptTo: given.rcptTo.map((r) => checkAddress(r, 'envelope')) };
  }
  const headers = parseHeaders(head, 0, head.length);
  const sender = headers.filter((h) => h.name === 'sender');
  const from = headers.filter((h) => h.name === 'from');
  const fields = sender.length ? sender : from;
  const addrs = fields.length ? addressesValue(fields[fields.length - 1]) : [];
  if (fields.length > 1 || addrs.length > 1) throw new SetFailure(setError('invalidEmail', 'several Sender:/From: addresses: give an envelope', { properties: ['from', 'sender'] }));
  let mailFrom = addrs[0]?.email ?? identityEmail;
  if (mailFrom.toLowerCase() !== identityEmail.toLowerCase() && !mayUseAddress(ctx, ctx.user, mailFrom)) mailFrom = identityEmail;
  const seen = new Set<string>();
  const rcptTo: Envelope['rcptTo'] = [];
  for (const h of headers.filter((x) => x.name === 'to' || x.name === 'cc' || x.name === 'bcc')) {
    for (const a of addressesValue(h)) {
      const k = a.email.toLowerCase();
      if (!seen.has(k)) {
        seen.add(k);
        rcptTo.push({ email: a.email, parameters: null });
      }
    }
  }
  return { mailFrom: { email: mailFrom, parameters: null }, rcptTo };
}

/** SMTP's refusal of a header section past its bounds (engine/mime/header-lines.ts), or null. */
function headerRefusal(raw: Buffer): ReturnType<typeof Refusals.headerTooLong> | null {
  const count = new HeaderLineCount();
  count.feed(raw);
  if (count.fieldTooBig) return Refusals.headerFieldTooBig(MAX_HEADER_FIELD_OCTETS);
  return count.over ? Refusals.headerTooLong(MAX_HEADER_LINES) : null;
}

/** The submission entry point's refusal as the SetError RFC 8621 names for it. */
function refusalError(stage: string, text: string, ctx: CallContext, recipients?: string[]): SetError {
  switch (stage) {
    case 'sender':
      return setError('forbiddenMailFrom', text);
    case 'author':
      return setError('forbiddenFrom', text);
    case 'recipients':
      return recipients?.length ? setError('invalidRecipients', text, { invalidRecipients: recipients }) : setError('tooManyRecipients', text, { maxRecipients: ctx.svc.deps.maxRecipients });
    case 'limit':
      return setError('rateLimit', text);
    case 'size':
      return setError('tooLarge', text, { maxSize: ctx.svc.deps.maxMessageSize });
    default:
      return setError('forbiddenToSend', text);
  }
}

async function createSubmission(obj: Record<string, unknown>, acct: MailAccount, ctx: CallContext): Promise<{ id: string; extra: Record<string, unknown> }> {
  const submit = ctx.svc.deps.submit;
  if (!submit) throw new SetFailure(setError('forbiddenToSend', 'this server has no queue to send through'));
  for (const k of Object.keys(obj)) if (!['identityId', 'emailId', 'envelope'].includes(k)) throw new SetFailure(invalidProperties([k], `${k} is set by the server`));
  if (typeof obj.identityId !== 'string') throw new SetFailure(invalidProperties(['identityId']));
  if (typeof obj.emailId !== 'string') throw new SetFailure(invalidProperties(['emailId']));
  const identity = (await identities(ctx)).find((i) => i.id === (ctx.resolveId(obj.identityId as string) ?? ''));
  if (!identity) throw new SetFailure(invalidProperties(['identityId'], 'no such identity'));
  const emailId = ctx.resolveId(obj.emailId) ?? '';
  const [e] = await acct.emails([emailId]);
  if (!e) throw new SetFailure(invalidProperties(['emailId'], 'no such email'));
  const raw = await acct.raw(e);
  // a header SMTP would refuse (APPENDed over IMAP, or written into the Maildir by another program) is refused
  // before it is read: the Bcc: fields to take out and the addresses are found within bounds (parseHeaders), so one
  // past them might not be found
  const refusal = headerRefusal(raw);
  if (refusal) throw new SetFailure(refusalError('size', `${refusal.code} ${refusal.status} ${refusal.text}`, ctx));
  const env = envelopeFor(obj.envelope, raw.subarray(0, findBodyStart(raw, 0, raw.length)), identity.email, ctx);
  if (!env.rcptTo.length) throw new SetFailure(setError('noRecipients', 'the envelope has no recipients'));
  const bad = env.rcptTo.filter((r) => !/^[^@\s<>]+@[^@\s<>]+$/.test(r.email)).map((r) => r.email);
  if (bad.length) throw new SetFailure(setError('invalidRecipients', 'not email addresses', { invalidRecipients: bad }));
  const id = 'S' + crypto.randomBytes(10).toString('hex');
  const out = await submit({
    user: ctx.user,
    mailFrom: env.mailFrom.email,
    rcptTo: env.rcptTo.map((r) => r.email),
    message: withoutBcc(raw),
    client: { ip: ctx.ip, helo: '', protocol: 'HTTPSA', listener: 'jmap' },
    sid: id,
  });
  if (out.kind === 'refused') {
    ctx.log('submission.refused', { id, stage: out.stage, reply: `${out.refusal.code} ${out.refusal.status} ${out.refusal.text}` });
    throw new SetFailure(refusalError(out.stage, `${out.refusal.code} ${out.refusal.status} ${out.refusal.text}`, ctx, out.recipients?.map((r) => r.address)));
  }
  const reply = `250 2.0.0 Ok: queued as ${out.id}`;
  const rec: Submission = {
    identityId: identity.id,
    emailId: e.id,
    threadId: e.threadId,
    envelope: env,
    sendAt: utcDate(ctx.svc.now()),
    undoStatus: 'final',
    deliveryStatus: Object.fromEntries(env.rcptTo.map((r) => [r.email, { smtpReply: reply, delivered: out.delivered ? 'yes' : 'queued', displayed: 'unknown' }])),
    dsnBlobIds: [],
    mdnBlobIds: [],
  };
  await ctx.svc.objects.put(ctx.address, 'EmailSubmission', id, rec);
  ctx.log('submission', { id, queue: out.id, rcpts: env.rcptTo.length, delivered: out.delivered });
  return { id, extra: { threadId: rec.threadId, sendAt: rec.sendAt, undoStatus: rec.undoStatus, deliveryStatus: rec.deliveryStatus, dsnBlobIds: [], mdnBlobIds: [], ...(obj.envelope ? {} : { envelope: env }) } };
}

export const submissionSet: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const req = setRequest(args, ctx);
    const onUpdate = args.object('onSuccessUpdateEmail');
    const onDestroy = args.strings('onSuccessDestroyEmail');
    args.done();
    const objects = ctx.svc.objects;
    const oldState = objectState(await objects.state(ctx.address, 'EmailSubmission'));
    if (req.ifInState !== null && req.ifInState !== oldState) throw new MethodError('stateMismatch');
    const acct = await MailAccount.open(ctx);
    const result = await runSet(req, ctx, {
      create: (obj) => createSubmission(obj, acct, ctx),
      update: async (id, patch) => {
        const cur = await objects.get<Submission>(ctx.address, 'EmailSubmission', id);
        if (!cur) throw new SetFailure(setError('notFound'));
        for (const [k, v] of Object.entries(patch)) {
          if (k === 'undoStatus' && v === 'canceled') throw new SetFailure(setError('cannotUnsend', 'the message has already been handed to the queue'));
          if (JSON.stringify(v) !== JSON.stringify((cur as unknown as Record<string, unknown>)[k])) throw new SetFailure(invalidProperties([k]));
        }
        return null;
      },
      destroy: async (id) => {
        if (!(await objects.destroy(ctx.address, 'EmailSubmission', id))) throw new SetFailure(setError('notFound'));
      },
    });
    const response = setResponse(accountId, oldState, objectState(await objects.state(ctx.address, 'EmailSubmission')), result);
    // the implicit Email/set for the submissions that succeeded (RFC 8621 §7.5): keys are submission ids or
    // "#creationId" of a submission created in this call
    if (!onUpdate && !onDestroy) return response;
    const emailOf = async (key: string): Promise<string | undefined> => {
      const id = key.startsWith('#') ? (result.created[key.slice(1)]?.id as string | undefined) : key in result.updated ? key : undefined;
      return id ? (await objects.get<Submission>(ctx.address, 'EmailSubmission', id))?.emailId : undefined;
    };
    const update: Record<string, unknown> = {};
    const destroy: string[] = [];
    for (const [key, patch] of Object.entries(onUpdate ?? {})) {
      const emailId = await emailOf(key);
      if (emailId) update[emailId] = patch;
    }
    for (const key of onDestroy ?? []) {
      const emailId = await emailOf(key);
      if (emailId) destroy.push(emailId);
    }
    const implicit = await emailSet.run(new Args({ accountId, update, destroy }), ctx);
    return { responses: [['EmailSubmission/set', response], ['Email/set', implicit as Record<string, unknown>]] };
  },
};

export const submissionGet: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const ids = getIds(args, ctx);
    const props = getProperties(args, SUBMISSION_PROPERTIES);
    args.done();
    return getResponse(accountId, objectState(await ctx.svc.objects.state(ctx.address, 'EmailSubmission')), await ctx.svc.objects.list<Submission>(ctx.address, 'EmailSubmission'), ids, props);
  },
};

export const submissionChanges: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    return objectChanges(args, ctx, 'EmailSubmission');
  },
};

function checkCondition(c: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(c)) {
    if (['identityIds', 'emailIds', 'threadIds'].includes(k)) {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidArguments(`${k} must be an array of Ids`);
    } else if (k === 'undoStatus') {
      if (typeof v !== 'string') throw invalidArguments('undoStatus must be a String');
    } else if (k === 'before' || k === 'after') {
      if (!isUtcDate(v)) throw invalidArguments(`${k} must be a UTCDate`);
    } else throw new MethodError('unsupportedFilter', `unknown EmailSubmission filter ${k}`);
  }
}

function matches(c: Record<string, unknown>, s: Submission & { id: string }): boolean {
  if (Array.isArray(c.identityIds) && !c.identityIds.includes(s.identityId)) return false;
  if (Array.isArray(c.emailIds) && !c.emailIds.includes(s.emailId)) return false;
  if (Array.isArray(c.threadIds) && !c.threadIds.includes(s.threadId)) return false;
  if (typeof c.undoStatus === 'string' && s.undoStatus !== c.undoStatus) return false;
  if (typeof c.before === 'string' && !(Date.parse(s.sendAt) < Date.parse(c.before))) return false;
  if (typeof c.after === 'string' && !(Date.parse(s.sendAt) >= Date.parse(c.after))) return false;
  return true;
}

async function queryIds(args: Args, ctx: CallContext): Promise<string[]> {
  const filter = checkFilter(args.raw('filter'), checkCondition) as Filter | null;
  const sort = checkSort(args.raw('sort'), ['emailId', 'threadId', 'sentAt', 'sendAt'], COLLATIONS);
  const all = (await ctx.svc.objects.list<Submission>(ctx.address, 'EmailSubmission')).filter((s) => matchFilter(filter, s, matches));
  all.sort((a, b) => {
    for (const c of sort) {
      const va = c.property === 'emailId' ? a.emailId : c.property === 'threadId' ? (a.threadId ?? '') : a.sendAt;
      const vb = c.property === 'emailId' ? b.emailId : c.property === 'threadId' ? (b.threadId ?? '') : b.sendAt;
      const r = va < vb ? -1 : va > vb ? 1 : 0;
      if (r) return c.isAscending ? r : -r;
    }
    return a.id < b.id ? -1 : 1;
  });
  return all.map((s) => s.id);
}

export const submissionQuery: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const ids = await queryIds(args, ctx);
    const win = queryWindow(args, ids, ctx.svc.limits.maxQueryLimit);
    const total = args.bool('calculateTotal', false);
    args.done();
    return queryResponse(accountId, objectState(await ctx.svc.objects.state(ctx.address, 'EmailSubmission')), ids, win, total);
  },
};

export const submissionQueryChanges: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const { since, maxChanges: maxC, upToId, total } = queryChangesArgs(args);
    const ids = await queryIds(args, ctx);
    args.done();
    const n = objectModseq(since);
    const page = n === null ? null : await ctx.svc.objects.changes(ctx.address, 'EmailSubmission', n, Number.MAX_SAFE_INTEGER);
    if (!page) throw new MethodError('cannotCalculateChanges');
    const changed = [...page.created, ...page.updated, ...page.destroyed];
    return queryChangesResponse(accountId, since, objectState(await ctx.svc.objects.state(ctx.address, 'EmailSubmission')), changed, ids, { maxChanges: maxC, upToId, total });
  },
};
