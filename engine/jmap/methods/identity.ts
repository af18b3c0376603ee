// Identity/get, /changes and /set (RFC 8621 §6): the addresses a user may send from are the directory's
// (own address, host-alias addresses, aliases pointing at the user — what SMTP's restrict_sender allows);
// each account has a default identity for its own address that cannot be deleted. Stored in the main database.
import type { User } from '../../accounts/directory.js';
import crypto from 'node:crypto';
import { isObject } from '../args.js';
import { SUBMISSION } from '../capabilities.js';
import { invalidProperties, MethodError, setError, SetFailure } from '../errors.js';
import type { CallContext, MethodDef } from '../request.js';
import { objectState } from '../mail/states.js';
import { applyPatch, getIds, getProperties, getResponse, objectChanges, pick, runSet, setRequest, setResponse } from './standard.js';

export interface Identity {
  id: string;
  name: string;
  email: string;
  replyTo: { name: string | null; email: string }[] | null;
  bcc: { name: string | null; email: string }[] | null;
  textSignature: string;
  htmlSignature: string;
  mayDelete: boolean;
}

export const IDENTITY_PROPERTIES = ['id', 'name', 'email', 'replyTo', 'bcc', 'textSignature', 'htmlSignature', 'mayDelete'];

/** The id of the account's default identity (its own address). */
export const defaultIdentityId = (address: string): string => 'I' + crypto.createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 20);

/** The account's identities, the default one written the first time they are asked for. */
export async function identities(ctx: CallContext): Promise<Identity[]> {
  const objects = ctx.svc.objects;
  let list = await objects.list<Omit<Identity, 'id'>>(ctx.address, 'Identity');
  if (!list.some((i) => i.id === defaultIdentityId(ctx.address))) {
    await objects.put(ctx.address, 'Identity', defaultIdentityId(ctx.address), {
      name: ctx.user.fullName, email: ctx.address, replyTo: null, bcc: null, textSignature: '', htmlSignature: '', mayDelete: false,
    });
    list = await objects.list<Omit<Identity, 'id'>>(ctx.address, 'Identity');
  }
  return list;
}

/** May this user send as this identity email ("*@domain" only for addresses of the user in that domain)? */
export function mayUseAddress(ctx: CallContext, user: User, email: string): boolean {
  const own = ctx.svc.deps.directory.senderAddresses(user);
  const lower = email.toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at < 1) return false;
  const canonical = ctx.svc.deps.directory.localDomain(lower.slice(at + 1));
  return own.has(lower) || (!!canonical && own.has(`${lower.slice(0, at)}@${canonical}`));
}

function checkAddresses(v: unknown, prop: string): void {
  if (v === null || v === undefined) return;
  if (!Array.isArray(v) || !v.every((a) => isObject(a) && typeof a.email === 'string' && (a.name === undefined || a.name === null || typeof a.name === 'string'))) {
    throw new SetFailure(invalidProperties([prop], 'must be EmailAddress[] or null'));
  }
}

function checkIdentity(o: Record<string, unknown>): void {
  for (const k of Object.keys(o)) if (!IDENTITY_PROPERTIES.includes(k)) throw new SetFailure(invalidProperties([k]));
  for (const k of ['name', 'textSignature', 'htmlSignature']) if (o[k] !== undefined && typeof o[k] !== 'string') throw new SetFailure(invalidProperties([k]));
  checkAddresses(o.replyTo, 'replyTo');
  checkAddresses(o.bcc, 'bcc');
}

export const identityGet: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const ids = getIds(args, ctx);
    const props = getProperties(args, IDENTITY_PROPERTIES);
    args.done();
    const all = await identities(ctx); // first: it may create the default identity, which moves the state
    return getResponse(accountId, objectState(await ctx.svc.objects.state(ctx.address, 'Identity')), all, ids, props);
  },
};

export const identityChanges: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    return objectChanges(args, ctx, 'Identity', async () => void (await identities(ctx)));
  },
};

export const identitySet: MethodDef = {
  capability: SUBMISSION,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const req = setRequest(args, ctx);
    args.done();
    await identities(ctx);
    const objects = ctx.svc.objects;
    const oldState = objectState(await objects.state(ctx.address, 'Identity'));
    if (req.ifInState !== null && req.ifInState !== oldState) throw new MethodError('stateMismatch');
    const result = await runSet(req, ctx, {
      create: async (obj) => {
        checkIdentity(obj);
        if ('id' in obj || 'mayDelete' in obj) throw new SetFailure(invalidProperties(['id' in obj ? 'id' : 'mayDelete'], 'set by the server'));
        if (typeof obj.email !== 'string') throw new SetFailure(invalidProperties(['email'], 'email is required'));
        if (!mayUseAddress(ctx, ctx.user, obj.email)) throw new SetFailure(setError('forbiddenFrom', `${obj.email} is not one of your addresses`));
        const id = 'I' + crypto.randomBytes(10).toString('hex');
        const rec = { name: (obj.name as string) ?? '', email: obj.email.toLowerCase(), replyTo: obj.replyTo ?? null, bcc: obj.bcc ?? null, textSignature: (obj.textSignature as string) ?? '', htmlSignature: (obj.htmlSignature as string) ?? '', mayDelete: true };
        await objects.put(ctx.address, 'Identity', id, rec);
        return { id, extra: pick(rec, ['name', 'replyTo', 'bcc', 'textSignature', 'htmlSignature', 'mayDelete'].filter((k) => !(k in obj))) };
      },
      update: async (id, patch) => {
        const cur = await objects.get<Omit<Identity, 'id'>>(ctx.address, 'Identity', id);
        if (!cur) throw new SetFailure(setError('notFound'));
        const next = applyPatch(cur as unknown as Record<string, unknown>, patch);
        checkIdentity(next);
        for (const k of ['id', 'email', 'mayDelete']) if (JSON.stringify(next[k]) !== JSON.stringify((cur as unknown as Record<string, unknown>)[k])) throw new SetFailure(invalidProperties([k], `${k} cannot be changed`));
        const { id: _id, ...rest } = next;
        await objects.put(ctx.address, 'Identity', id, rest);
        return null;
      },
      destroy: async (id) => {
        const cur = await objects.get<Omit<Identity, 'id'>>(ctx.address, 'Identity', id);
        if (!cur) throw new SetFailure(setError('notFound'));
        if (!cur.mayDelete) throw new SetFailure(setError('forbidden', 'the identity of your own address cannot be deleted'));
        await objects.destroy(ctx.address, 'Identity', id);
      },
    });
    return setResponse(accountId, oldState, objectState(await objects.state(ctx.address, 'Identity')), result);
  },
};
