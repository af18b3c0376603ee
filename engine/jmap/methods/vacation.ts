// VacationResponse/get and /set (RFC 8621 §8): one object per account, id "singleton", kept in the main
// rules store's vacation (engine/rules), which delivery answers from.
import { isUtcDate } from '../args.js';
import { VACATION } from '../capabilities.js';
import { invalidProperties, MethodError, setError, SetFailure } from '../errors.js';
import type { MethodDef } from '../request.js';
import { objectState } from '../mail/states.js';
import type { VacationResponse } from '../vacation-store.js';
import { applyPatch, getProperties, pick, runSet, setRequest, setResponse } from './standard.js';

const PROPS = ['id', 'isEnabled', 'fromDate', 'toDate', 'subject', 'textBody', 'htmlBody'];

export const vacationGet: MethodDef = {
  capability: VACATION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const ids = args.ids('ids');
    const props = getProperties(args, PROPS);
    args.done();
    const v = ctx.svc.vacation.get(ctx.address);
    const want = ids ?? ['singleton'];
    return {
      accountId,
      state: objectState(await ctx.svc.vacation.state(ctx.address)),
      list: want.includes('singleton') ? [pick(v as unknown as Record<string, unknown>, props)] : [],
      notFound: want.filter((id) => id !== 'singleton'),
    };
  },
};

function checked(o: Record<string, unknown>): VacationResponse {
  for (const k of Object.keys(o)) if (!PROPS.includes(k)) throw new SetFailure(invalidProperties([k]));
  if (o.id !== 'singleton') throw new SetFailure(invalidProperties(['id']));
  if (typeof o.isEnabled !== 'boolean') throw new SetFailure(invalidProperties(['isEnabled']));
  for (const k of ['fromDate', 'toDate']) if (o[k] !== null && o[k] !== undefined && !isUtcDate(o[k])) throw new SetFailure(invalidProperties([k], 'a UTCDate or null'));
  for (const k of ['subject', 'textBody', 'htmlBody']) {
    if (o[k] !== null && o[k] !== undefined && typeof o[k] !== 'string') throw new SetFailure(invalidProperties([k]));
    if (typeof o[k] === 'string' && (o[k] as string).length > 100_000) throw new SetFailure(setError('tooLarge', `${k} is too long`));
  }
  if (typeof o.subject === 'string' && /[\r\n]/.test(o.subject)) throw new SetFailure(invalidProperties(['subject'], 'one line'));
  const v = { id: 'singleton' as const, isEnabled: o.isEnabled, fromDate: (o.fromDate as string) ?? null, toDate: (o.toDate as string) ?? null, subject: (o.subject as string) ?? null, textBody: (o.textBody as string) ?? null, htmlBody: (o.htmlBody as string) ?? null };
  if (v.fromDate && v.toDate && Date.parse(v.toDate) <= Date.parse(v.fromDate)) throw new SetFailure(invalidProperties(['toDate'], 'toDate is before fromDate'));
  return v;
}

export const vacationSet: MethodDef = {
  capability: VACATION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const req = setRequest(args, ctx);
    args.done();
    const store = ctx.svc.vacation;
    const oldState = objectState(await store.state(ctx.address));
    if (req.ifInState !== null && req.ifInState !== oldState) throw new MethodError('stateMismatch');
    const result = await runSet(req, ctx, {
      create: async () => {
        throw new SetFailure(setError('singleton', 'there is exactly one VacationResponse, "singleton"'));
      },
      update: async (id, patch) => {
        if (id !== 'singleton') throw new SetFailure(setError('notFound'));
        const next = checked(applyPatch(store.get(ctx.address) as unknown as Record<string, unknown>, patch));
        await store.set(ctx.address, next);
        ctx.log('vacation', { enabled: next.isEnabled });
        return null;
      },
      destroy: async () => {
        throw new SetFailure(setError('singleton', 'the VacationResponse cannot be destroyed; set isEnabled to false'));
      },
    });
    return setResponse(accountId, oldState, objectState(await store.state(ctx.address)), result);
  },
};
