// Email/query, Email/queryChanges and SearchSnippet/get (RFC 8621 §4.4, 4.5, 5). The query is computed over the
// index's view of the account; queryChanges reports every email changed since the old state (and the other
// emails of their threads) as removed and re-adds those still in the results; snippets mark the search words in
// the decoded subject and body.
import { MAIL } from '../capabilities.js';
import { invalidArguments, MethodError } from '../errors.js';
import type { MethodDef } from '../request.js';
import { MailAccount } from '../mail/account.js';
import { filterTerms, queryEmails, readEmailFilter, readEmailSort } from '../mail/email-query.js';
import { bodyText, highlight, snippet } from '../mail/search.js';
import { modseqOf, stateOf } from '../mail/states.js';
import { queryChangesArgs, queryChangesResponse, queryResponse, queryWindow } from './standard.js';

export const emailQuery: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const filter = readEmailFilter(args.raw('filter'));
    const sort = readEmailSort(args.raw('sort'));
    const collapse = args.bool('collapseThreads', false);
    const total = args.bool('calculateTotal', false);
    const acct = await MailAccount.open(ctx);
    const ids = await queryEmails(acct, filter, sort, collapse);
    const win = queryWindow(args, ids, ctx.svc.limits.maxQueryLimit);
    args.done();
    return queryResponse(accountId, stateOf(acct.state, 'Email'), ids, win, total);
  },
};

export const emailQueryChanges: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const filter = readEmailFilter(args.raw('filter'));
    const sort = readEmailSort(args.raw('sort'));
    const collapse = args.bool('collapseThreads', false);
    const { since, maxChanges: maxC, upToId, total } = queryChangesArgs(args, true);
    args.done();
    const acct = await MailAccount.open(ctx);
    const n = modseqOf(since, acct.state);
    const store = ctx.svc.store;
    const emails = n === null ? null : await store.accountChanges(ctx.address, 'Email', n, Number.MAX_SAFE_INTEGER);
    const threads = n === null ? null : await store.accountChanges(ctx.address, 'Thread', n, Number.MAX_SAFE_INTEGER);
    if (!emails || !threads) throw new MethodError('cannotCalculateChanges', 'the query state is unknown or too old');
    const changed = new Set([...emails.created, ...emails.updated, ...emails.destroyed]);
    // an email's change can move its thread mates (collapsed threads, thread keyword filters and sorts)
    const rows = await acct.emails([...changed]);
    const tids = new Set([...threads.created, ...threads.updated, ...threads.destroyed, ...rows.map((r) => r.threadId).filter((t): t is string => !!t)]);
    for (const ids of (await store.threadMembers(ctx.address, [...tids])).values()) for (const id of ids) changed.add(id);
    const ids = await queryEmails(acct, filter, sort, collapse);
    return queryChangesResponse(accountId, since, stateOf(acct.state, 'Email'), changed, ids, { maxChanges: maxC, upToId, total });
  },
};

export const searchSnippetGet: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const filter = readEmailFilter(args.raw('filter'));
    const emailIds = args.ids('emailIds');
    if (emailIds === null) throw invalidArguments('emailIds is required');
    if (emailIds.length > ctx.svc.limits.maxObjectsInGet) throw new MethodError('requestTooLarge');
    args.done();
    const acct = await MailAccount.open(ctx);
    const rows = await acct.emails(emailIds.filter((id) => /^M[0-9a-f]{24}$/.test(id)));
    const subjectTerms = filterTerms(filter, ['text', 'subject']);
    const bodyTerms = filterTerms(filter, ['text', 'body']);
    const list = [];
    for (const e of rows) {
      const subject = subjectTerms.length ? highlight(e.meta?.subject ?? '', subjectTerms) : null;
      const preview = bodyTerms.length ? snippet(bodyText(await acct.raw(e)), bodyTerms) : null;
      list.push({ emailId: e.id, subject, preview });
    }
    const found = new Set(rows.map((e) => e.id));
    const notFound = emailIds.filter((id) => !found.has(id));
    return { accountId, list, notFound: notFound.length ? notFound : null };
  },
};
