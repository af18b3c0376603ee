// Foo/changes for the types kept in the account's one change log (Email, Mailbox, Thread): the arguments, the
// state check and the page, the same for each (RFC 8620 §5.2). Each method adds only what is its own.
import type { Args } from '../args.js';
import { MethodError } from '../errors.js';
import type { CallContext } from '../request.js';
import { MailAccount } from '../mail/account.js';
import { modseqOf } from '../mail/states.js';
import type { ChangesPage } from '../../store/mailbox-store.js';
import { changesResponse, maxChanges } from './standard.js';

export async function accountChanges(args: Args, ctx: CallContext, type: 'Email' | 'Mailbox' | 'Thread', hint: string): Promise<{ response: Record<string, unknown>; page: ChangesPage }> {
  const accountId = ctx.account(args);
  const since = args.string('sinceState');
  const max = maxChanges(args, ctx);
  args.done();
  const acct = await MailAccount.open(ctx);
  const n = modseqOf(since, acct.state);
  const page = n === null ? null : await ctx.svc.store.accountChanges(ctx.address, type, n, max);
  if (!page) throw new MethodError('cannotCalculateChanges', `the state is unknown or too old${hint}`);
  return { response: changesResponse(accountId, since, `${acct.state.epoch}-${page.newModseq}`, page), page };
}
