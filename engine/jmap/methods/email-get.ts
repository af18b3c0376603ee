// Email/get, Email/changes and Email/parse (RFC 8621 §4.2, 4.3, 4.9): metadata from the index (ids, thread,
// mailboxes, keywords from IMAP flags, size, internal date), content from the message itself, read whole only
// when a body property is asked for; hasAttachment and preview are cached in the index once computed.
import { accountChanges } from './account-changes.js';
import { utcDate } from '../args.js';
import { MAIL } from '../capabilities.js';
import { MethodError, invalidArguments } from '../errors.js';
import type { CallContext, MethodDef } from '../request.js';
import { MailAccount } from '../mail/account.js';
import { emailBlobId, partOfBlob, readBlob } from '../mail/blob-source.js';
import { partBlobId } from '../mail/body-parts.js';
import { contentView, DEFAULT_GET_PROPERTIES, DEFAULT_PARSE_PROPERTIES, METADATA, needsBody, needsHeader, viewRequest, type ViewRequest } from '../mail/email-view.js';
import { emailKeywords } from '../mail/keywords.js';
import { StoreError } from '../../store/store-error.js';
import { stateOf } from '../mail/states.js';
import type { Args } from '../args.js';
import type { EmailRow } from '../../store/mailbox-store.js';
import { getIds } from './standard.js';

function readView(args: Args, defaults: string[], ctx: CallContext): ViewRequest {
  return viewRequest(args.strings('properties'), args.strings('bodyProperties'), defaults, {
    fetchTextBodyValues: args.bool('fetchTextBodyValues', false),
    fetchHTMLBodyValues: args.bool('fetchHTMLBodyValues', false),
    fetchAllBodyValues: args.bool('fetchAllBodyValues', false),
    maxBodyValueBytes: args.uint('maxBodyValueBytes', 0),
    budget: ctx.budget,
  });
}

/** One Email object as asked for. */
export async function emailObject(acct: MailAccount, e: EmailRow, v: ViewRequest, folderIds: Map<string, string>): Promise<Record<string, unknown>> {
  const o: Record<string, unknown> = { id: e.id };
  for (const p of v.properties) {
    if (p === 'blobId') o.blobId = emailBlobId(e.id);
    else if (p === 'threadId') o.threadId = e.threadId;
    else if (p === 'mailboxIds') o.mailboxIds = acct.mailboxIdsOf(e, folderIds);
    else if (p === 'keywords') o.keywords = emailKeywords(e);
    else if (p === 'size') o.size = e.size;
    else if (p === 'receivedAt') o.receivedAt = utcDate(e.receivedAt);
  }
  const body = needsBody(v, !!e.extra);
  if (body || needsHeader(v)) {
    const raw = body ? await acct.raw(e) : await acct.head(e);
    const { view, derived } = contentView(raw, v, (partId) => partBlobId(e.id, partId), e.extra);
    Object.assign(o, view);
    if (derived && !e.extra) await acct.ctx.svc.store.setEmailExtra(acct.owner, e.id, derived);
  } else if (e.extra) {
    if (v.properties.includes('hasAttachment')) o.hasAttachment = e.extra.hasAttachment;
    if (v.properties.includes('preview')) o.preview = e.extra.preview;
  }
  return o;
}

export const emailGet: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const ids = getIds(args, ctx);
    const v = readView(args, DEFAULT_GET_PROPERTIES, ctx);
    args.done();
    const acct = await MailAccount.open(ctx);
    let rows: EmailRow[];
    if (ids === null) {
      rows = await acct.emails();
      if (rows.length > ctx.svc.limits.maxObjectsInGet) throw new MethodError('requestTooLarge', 'too many emails to fetch them all; use Email/query');
    } else rows = await acct.emails(ids.filter((id) => /^M[0-9a-f]{24}$/.test(id)));
    const folderIds = await acct.folderIdMap();
    const list: Record<string, unknown>[] = [];
    const found = new Set<string>();
    for (const e of rows) {
      try {
        const o = await emailObject(acct, e, v, folderIds);
        ctx.chargeAnswer(o, 'ids');
        list.push(o);
        found.add(e.id);
      } catch (err) {
        if (!(err instanceof StoreError)) throw err; // expunged by someone else meanwhile: not found
      }
    }
    return { accountId, state: stateOf(acct.state, 'Email'), list, notFound: ids ? ids.filter((id) => !found.has(id)) : rows.filter((e) => !found.has(e.id)).map((e) => e.id) };
  },
};

export const emailChanges: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    return (await accountChanges(args, ctx, 'Email', '; fetch the emails again')).response;
  },
};

export const emailParse: MethodDef = {
  capability: MAIL,
  async run(args, ctx: CallContext) {
    const accountId = ctx.account(args);
    const blobIds = args.ids('blobIds');
    if (blobIds === null) throw invalidArguments('blobIds is required');
    if (blobIds.length > ctx.svc.limits.maxObjectsInGet) throw new MethodError('requestTooLarge');
    const v = readView(args, DEFAULT_PARSE_PROPERTIES, ctx);
    args.done();
    const parsed: Record<string, Record<string, unknown>> = {};
    const notFound: string[] = [];
    const notParsable: string[] = [];
    for (const blobId of blobIds) {
      const raw = await readBlob(ctx, blobId);
      if (!raw) {
        notFound.push(blobId);
        continue;
      }
      if (!looksLikeMessage(raw)) {
        notParsable.push(blobId);
        continue;
      }
      const o: Record<string, unknown> = {};
      for (const p of v.properties) if (METADATA.includes(p) && p !== 'blobId' && p !== 'size') o[p] = null;
      if (v.properties.includes('blobId')) o.blobId = blobId;
      if (v.properties.includes('size')) o.size = raw.length;
      Object.assign(o, contentView(raw, v, (partId) => partOfBlob(blobId, partId), null).view);
      ctx.chargeAnswer(o, 'blobIds');
      parsed[blobId] = o;
    }
    return { accountId, parsed: Object.keys(parsed).length ? parsed : null, notParsable: notParsable.length ? notParsable : null, notFound: notFound.length ? notFound : null };
  },
};

/** A message has a header section: a first line "name: value" before any blank line. */
function looksLikeMessage(raw: Buffer): boolean {
  const first = raw.subarray(0, 2000).toString('latin1').split(/\r?\n/, 1)[0];
  return /^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(first);
}
