// Thread/get and Thread/changes (RFC 8621 §3): a thread is the emails the index joined by Message-ID,
// In-Reply-To and References with the same base subject, oldest first; its state is the account MODSEQ.
import { MAIL } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { MethodDef } from '../request.js';
import { MailAccount } from '../mail/account.js';
import { modseqOf, stateOf } from '../mail/states.js';
import { changesResponse, getIds, getProperties, maxChanges, pick } from './standard.js';

export const threadGet: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const ids = getIds(args, ctx);
    const props = getProperties(args, ['id', 'emailIds']);
    args.done();
    const acct = await MailAccount.open(ctx);
    let wanted = ids;
    if (wanted === null) {
      const all = new Set((await acct.emails()).map((e) => e.threadId).filter((t): t is string => !!t));
      if (all.size > ctx.svc.limits.maxObjectsInGet) throw new MethodError('requestTooLarge', 'too many threads to fetch them all; ask for ids');
      wanted = [...all];
    }
    const members = await ctx.svc.store.threadMembers(ctx.address, wanted);
    const list = wanted.filter((t) => members.has(t)).map((t) => pick({ id: t, emailIds: members.get(t)! }, props));
    return { accountId, state: stateOf(acct.state, 'Thread'), list, notFound: wanted.filter((t) => !members.has(t)) };
  },
};

export const threadChanges: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const since = args.string('sinceState');
    const max = maxChanges(args, ctx);
    args.done();
    const acct = await MailAccount.open(ctx);
    const n = modseqOf(since, acct.state);
    const page = n === null ? null : await ctx.svc.store.accountChanges(ctx.address, 'Thread', n, max);
    if (!page) throw new MethodError('cannotCalculateChanges', 'the state is unknown or too old');
    return changesResponse(accountId, since, `${acct.state.epoch}-${page.newModseq}`, page);
  },
};
