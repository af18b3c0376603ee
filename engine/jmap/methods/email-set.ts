// Email/set and Email/import (RFC 8621 §4.6, 4.8) on the store: keywords are IMAP flags (a STORE), a change of
// mailboxes is a move (the file renamed, the email id kept — what IMAP MOVE does), an added mailbox a copy
// (same base name: the same email in two folders), a removed one an expunge; destroy expunges every copy; a
// created or imported email is an APPEND. Filing into Spam, out of it into the Inbox, or setting $junk/$notjunk
// teaches the spam filter as IMAP's moves do.
import { isObject, isUtcDate, utcDate } from '../args.js';
import { MAIL } from '../capabilities.js';
import { invalidArguments, invalidProperties, MethodError, setError, SetFailure } from '../errors.js';
import type { CallContext, MethodDef } from '../request.js';
import { roomFor } from '../../accounts/quota.js';
import { learnMessage } from '../../spam/learn.js';
import { emailIdOf } from '../../store/email-ids.js';
import type { EmailRow } from '../../store/mailbox-store.js';
import { MailAccount } from '../mail/account.js';
import { emailBlobId, readBlob } from '../mail/blob-source.js';
import { Composer } from '../mail/compose.js';
import { emailKeywords, flagsOf, validKeyword } from '../mail/keywords.js';
import { FOLDER_OF_ROLE } from '../mail/mailboxes.js';
import { stateOf } from '../mail/states.js';
import { perObject, runSet, setRequest, setResponse, emptySetResult } from './standard.js';

const SPAM = FOLDER_OF_ROLE.junk;
const INBOX = 'INBOX';

/** Teach the filter from one email (failures are logged, never the caller's). */
async function learn(ctx: CallContext, raw: Buffer, verdict: 'spam' | 'ham'): Promise<void> {
  const learner = ctx.svc.deps.learn === undefined ? (r: Buffer, v: 'spam' | 'ham', o: string) => learnMessage(ctx.svc.deps.dataDir, r, v, o) : ctx.svc.deps.learn;
  if (!learner) return;
  try {
    await learner(raw, verdict, ctx.address);
    ctx.log('learn', { verdict });
  } catch (e) {
    ctx.log('learn.error', { error: (e as Error).message }, 'warn');
  }
}

/** mailboxIds of a new email: at least one, each an existing mailbox (or one created earlier in the request). */
async function targetFolders(v: unknown, acct: MailAccount, ctx: CallContext, prop = 'mailboxIds'): Promise<string[]> {
  if (!isObject(v) || !Object.values(v).every((x) => x === true)) throw new SetFailure(invalidProperties([prop], 'mailboxIds maps Mailbox ids to true'));
  const folders: string[] = [];
  for (const key of Object.keys(v)) {
    const id = ctx.resolveId(key);
    const m = id ? await acct.mailbox(id) : undefined;
    if (!m) throw new SetFailure(invalidProperties([prop], `no mailbox ${key}`));
    folders.push(m.folder);
  }
  if (!folders.length) throw new SetFailure(invalidProperties([prop], 'an email is in at least one mailbox'));
  return [...new Set(folders)];
}

function checkKeywords(v: unknown, ctx: CallContext, prop = 'keywords'): Record<string, true> {
  if (v === undefined || v === null) return {};
  if (!isObject(v) || !Object.values(v).every((x) => x === true) || !Object.keys(v).every(validKeyword)) throw new SetFailure(invalidProperties([prop], 'keywords map keywords to true'));
  if (Object.keys(v).length > ctx.svc.limits.maxKeywords) throw new SetFailure(setError('tooManyKeywords', `at most ${ctx.svc.limits.maxKeywords} keywords`));
  return Object.fromEntries(Object.keys(v).map((k) => [k.toLowerCase(), true as const]));
}

/** overQuota (RFC 8621 §4.6) when `bytes` in `messages` more would not fit the account's quota, as IMAP APPEND and COPY refuse. */
async function checkRoom(acct: MailAccount, bytes: number, messages: number): Promise<void> {
  const quota = acct.ctx.svc.deps.directory.quotaOf(acct.owner);
  if (quota.bytes === 0 && quota.messages === 0) return;
  const room = roomFor(quota, await acct.ctx.svc.store.usage(acct.owner, quota), bytes, messages);
  if (room.kind === 'ok') return;
  acct.ctx.log('over-quota', { bytes, messages, reason: room.reason });
  throw new SetFailure(setError('overQuota', room.reason));
}

/** Store a new message in its folders; returns the created email's answer (id, blobId, threadId, size). */
async function storeNew(acct: MailAccount, raw: Buffer, folders: string[], keywords: Record<string, true>, receivedAt: number | undefined): Promise<Record<string, unknown>> {
  const store = acct.ctx.svc.store;
  const owner = acct.owner;
  if (raw.length > acct.ctx.svc.deps.maxMessageSize) throw new SetFailure(setError('tooLarge', `messages are at most ${acct.ctx.svc.deps.maxMessageSize} octets`, { maxSize: acct.ctx.svc.deps.maxMessageSize }));
  await checkRoom(acct, raw.length * folders.length, folders.length);
  const { uid } = await store.append(owner, folders[0], raw, { flags: flagsOf(keywords), internalDate: receivedAt });
  for (const f of folders.slice(1)) await store.copy(owner, folders[0], [uid], f);
  const key = (await store.list(owner, folders[0])).find((m) => m.uid === uid)?.key;
  if (!key) throw new Error('the appended message is not in its folder');
  const id = emailIdOf(key);
  await acct.refresh();
  const [row] = await acct.emails([id]);
  if (folders.includes(SPAM)) await learn(acct.ctx, raw, 'spam');
  return { id, blobId: emailBlobId(id), threadId: row?.threadId ?? null, size: raw.length };
}

/** A PatchObject on keywords and mailboxIds (the only mutable properties) → the full new values. */
function patched(e: EmailRow, patch: Record<string, unknown>, folderIds: Map<string, string>): { keywords: Record<string, unknown>; mailboxIds: Record<string, unknown> } {
  let keywords: Record<string, unknown> = emailKeywords(e);
  let mailboxIds: Record<string, unknown> = {};
  for (const c of e.copies) {
    const id = folderIds.get(c.folder);
    if (id) mailboxIds[id] = true;
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'keywords') {
      if (!isObject(v)) throw new SetFailure(invalidProperties(['keywords']));
      keywords = { ...v };
    } else if (k === 'mailboxIds') {
      if (!isObject(v)) throw new SetFailure(invalidProperties(['mailboxIds']));
      mailboxIds = { ...v };
    } else if (k.startsWith('keywords/') && k.length > 9) {
      const kw = k.slice(9).replace(/~1/g, '/').replace(/~0/g, '~').toLowerCase();
      if (v === null) delete keywords[kw];
      else keywords[kw] = v;
    } else if (k.startsWith('mailboxIds/') && k.length > 11) {
      const id = k.slice(11).replace(/~1/g, '/').replace(/~0/g, '~');
      if (v === null) delete mailboxIds[id];
      else mailboxIds[id] = v;
    } else {
      // a whole object may be sent back: server-set values equal to the current ones are fine (RFC 8620 §5.3)
      const current: Record<string, unknown> = { id: e.id, blobId: emailBlobId(e.id), threadId: e.threadId, size: e.size, receivedAt: utcDate(e.receivedAt) };
      if (!(k in current) || JSON.stringify(current[k]) !== JSON.stringify(v)) {
        throw new SetFailure(invalidProperties([k.split('/')[0]], `${k.split('/')[0]} cannot be changed on an existing email`));
      }
    }
  }
  return { keywords, mailboxIds };
}

async function updateEmail(acct: MailAccount, id: string, patch: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const ctx = acct.ctx;
  const store = ctx.svc.store;
  const owner = acct.owner;
  const [e] = await acct.emails([id]);
  if (!e) throw new SetFailure(setError('notFound'));
  const folderIds = await acct.folderIdMap();
  const next = patched(e, patch, folderIds);
  const keywords = checkKeywords(next.keywords, ctx);
  const folders = await targetFolders(next.mailboxIds, acct, ctx);
  const before = emailKeywords(e);
  const current = e.copies.map((c) => c.folder);
  const removed = e.copies.filter((c) => !folders.includes(c.folder));
  const added = folders.filter((f) => !current.includes(f));
  // what the filing teaches (as IMAP's moves do), and what $junk / $notjunk say: read before the file moves
  const intoSpam = added.includes(SPAM) || (!before.$junk && !!keywords.$junk);
  const outOfSpam = (current.includes(SPAM) && !folders.includes(SPAM) && folders.includes(INBOX)) || (!before.$notjunk && !!keywords.$notjunk);
  const teach = intoSpam || outOfSpam ? await acct.raw(e) : null;
  // a mailbox added beyond the ones moved out of is a copy: it takes room, as IMAP COPY does
  const copies = added.length - Math.min(removed.length, added.length);
  if (copies > 0) await checkRoom(acct, e.size * copies, copies);
  // keywords first, on every copy (a copy keeps its flags when it moves)
  const flags = flagsOf(keywords);
  if (JSON.stringify(Object.keys(before).sort()) !== JSON.stringify(Object.keys(keywords).sort())) {
    for (const c of e.copies) await store.updateFlags(owner, c.folder, [c.uid], 'replace', flags);
  }
  for (let i = 0; i < Math.min(removed.length, added.length); i++) await store.move(owner, removed[i].folder, [removed[i].uid], added[i]);
  for (const f of added.slice(removed.length)) await store.copy(owner, current[0], [e.copies[0].uid], f);
  for (const c of removed.slice(added.length)) await store.expunge(owner, c.folder, [c.uid]);
  if (teach) await learn(ctx, teach, intoSpam ? 'spam' : 'ham');
  if (removed.length || added.length) ctx.log('email.move', { from: current.join(','), to: folders.join(',') });
  return null;
}

export const emailSet: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const req = setRequest(args, ctx);
    args.done();
    const acct = await MailAccount.open(ctx);
    const oldState = stateOf(acct.state, 'Email');
    if (req.ifInState !== null && req.ifInState !== oldState) throw new MethodError('stateMismatch');
    const result = await runSet(req, ctx, {
      create: async (obj) => {
        for (const k of ['id', 'blobId', 'threadId', 'size', 'hasAttachment', 'preview']) {
          if (k in obj) throw new SetFailure(invalidProperties([k], `${k} is set by the server`));
        }
        const folders = await targetFolders(obj.mailboxIds, acct, ctx);
        const keywords = checkKeywords(obj.keywords, ctx);
        if (obj.receivedAt !== undefined && !isUtcDate(obj.receivedAt)) throw new SetFailure(invalidProperties(['receivedAt']));
        const rest = { ...obj };
        for (const k of ['mailboxIds', 'keywords', 'receivedAt']) delete rest[k];
        const domain = ctx.address.slice(ctx.address.lastIndexOf('@') + 1);
        const composer = new Composer({ email: rest, blob: (b) => readBlob(ctx, b), domain, now: ctx.svc.now(), maxBytes: ctx.svc.deps.maxMessageSize });
        const raw = await composer.compose();
        const out = await storeNew(acct, raw, folders, keywords, obj.receivedAt ? Date.parse(obj.receivedAt as string) : undefined);
        ctx.log('email.create', { folder: folders[0], size: raw.length });
        return { id: out.id as string, extra: { blobId: out.blobId, threadId: out.threadId, size: out.size } };
      },
      update: (id, patch) => updateEmail(acct, id, patch),
      destroy: async (id) => {
        const [e] = await acct.emails([id]);
        if (!e) throw new SetFailure(setError('notFound'));
        for (const c of e.copies) await ctx.svc.store.expunge(ctx.address, c.folder, [c.uid]);
      },
    });
    const st = await acct.refresh();
    return setResponse(accountId, oldState, stateOf(st, 'Email'), result);
  },
};

export const emailImport: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const emails = args.object('emails');
    if (emails === null) throw invalidArguments('emails is required');
    const ifInState = args.string('ifInState', true);
    args.done();
    if (Object.keys(emails).length > ctx.svc.limits.maxObjectsInSet) throw new MethodError('requestTooLarge');
    const acct = await MailAccount.open(ctx);
    const oldState = stateOf(acct.state, 'Email');
    if (ifInState !== null && ifInState !== oldState) throw new MethodError('stateMismatch');
    const r = emptySetResult();
    for (const [cid, imp] of Object.entries(emails)) {
      const out = await perObject(async () => {
        if (!isObject(imp) || typeof imp.blobId !== 'string') throw new SetFailure(invalidProperties(['blobId']));
        for (const k of Object.keys(imp)) if (!['blobId', 'mailboxIds', 'keywords', 'receivedAt'].includes(k)) throw new SetFailure(invalidProperties([k]));
        const folders = await targetFolders(imp.mailboxIds, acct, ctx);
        const keywords = checkKeywords(imp.keywords, ctx);
        if (imp.receivedAt !== undefined && imp.receivedAt !== null && !isUtcDate(imp.receivedAt)) throw new SetFailure(invalidProperties(['receivedAt']));
        const raw = await readBlob(ctx, ctx.resolveId(imp.blobId) ?? imp.blobId);
        if (!raw) throw new SetFailure(invalidProperties(['blobId'], `no blob ${imp.blobId}`));
        if (!/^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(raw.subarray(0, 1000).toString('latin1'))) throw new SetFailure(setError('invalidEmail', 'the blob is not a message (RFC 5322)'));
        const created = await storeNew(acct, raw, folders, keywords, imp.receivedAt ? Date.parse(imp.receivedAt as string) : undefined);
        ctx.log('email.import', { folder: folders[0], size: raw.length });
        return created;
      });
      if (out.ok) {
        ctx.createdIds.set(cid, out.value.id as string);
        r.created[cid] = out.value;
      } else r.notCreated[cid] = out.error;
    }
    const st = await acct.refresh();
    return {
      accountId,
      oldState,
      newState: stateOf(st, 'Email'),
      created: Object.keys(r.created).length ? r.created : null,
      notCreated: Object.keys(r.notCreated).length ? r.notCreated : null,
    };
  },
};
