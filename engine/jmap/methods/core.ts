// RFC 8620's own methods: Core/echo; Blob/copy and the Foo/copy family, which need a second account (this
// server gives each user one, so a copy always names an account that is not there); and PushSubscription,
// which this server does not take (it would make the server POST to any URL a client names): push is the
// event source. Each answers as the RFC says for that case, never with a made-up success.
import { isId } from '../args.js';
import { CORE } from '../capabilities.js';
import { invalidArguments, MethodError, setError, type SetError } from '../errors.js';
import type { MethodDef } from '../request.js';

export const echo: MethodDef = {
  capability: CORE,
  async run(args) {
    return args.all(); // every argument comes back as it was given
  },
};

/** Blob/copy and Email/copy: from another account into this one. */
export function copyBetweenAccounts(capability: string): MethodDef {
  return {
    capability,
    async run(args, ctx) {
      const from = args.raw('fromAccountId');
      const to = args.raw('accountId');
      if (!isId(from) || !isId(to)) throw invalidArguments('fromAccountId and accountId must be Ids');
      if (to !== ctx.accountId) throw new MethodError('accountNotFound');
      if (from === to) throw invalidArguments('fromAccountId must differ from accountId (use /set within one account)');
      throw new MethodError('fromAccountNotFound', 'this server has no other account you may copy from');
    },
  };
}

export const pushGet: MethodDef = {
  capability: CORE,
  async run(args) {
    const ids = args.ids('ids');
    const props = args.strings('properties');
    if (props && (props.includes('url') || props.includes('keys'))) throw new MethodError('forbidden', 'url and keys are never returned');
    args.done();
    return { list: [], notFound: ids ?? [] };
  },
};

export const pushSet: MethodDef = {
  capability: CORE,
  async run(args) {
    const create = args.object('create') ?? {};
    const update = args.object('update') ?? {};
    const destroy = args.ids('destroy') ?? [];
    args.done();
    const refuse: SetError = setError('forbidden', 'this server does not make push subscriptions; use the event source (eventSourceUrl)');
    const notCreated = Object.fromEntries(Object.keys(create).map((k) => [k, refuse]));
    const notUpdated = Object.fromEntries(Object.keys(update).map((k) => [k, setError('notFound')]));
    const notDestroyed = Object.fromEntries(destroy.map((k) => [k, setError('notFound')]));
    const orNull = (o: object) => (Object.keys(o).length ? o : null);
    return { created: null, updated: null, destroyed: null, notCreated: orNull(notCreated), notUpdated: orNull(notUpdated), notDestroyed: orNull(notDestroyed) };
  },
};
