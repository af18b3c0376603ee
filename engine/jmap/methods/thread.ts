// Thread/get and Thread/changes (RFC 8621 §3): a thread is the emails the index joined by Message-ID,
// In-Reply-To and References with the same base subject, oldest first; its state is the account MODSEQ.
import { accountChanges } from './account-changes.js';
import { MAIL } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { MethodDef } from '../request.js';
import { MailAccount } from '../mail/account.js';
import { stateOf } from '../mail/states.js';
import { getIds, getProperties, pick } from './standard.js';

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
    return (await accountChanges(args, ctx, 'Thread', '')).response;
  },
};
