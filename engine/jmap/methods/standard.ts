// The shapes every type shares (RFC 8620 §5): /get's ids and properties, /changes' sinceState and maxChanges,
// /set's create/update/destroy with creation ids and per-object SetErrors, /query's window (position, anchor,
// limit) and /queryChanges' answer. Types plug in their own reading and writing; this checks and shapes.
import type { Args } from '../args.js';
import { isId, isObject } from '../args.js';
import { invalidArguments, MethodError, SetFailure, setError, type SetError } from '../errors.js';
import type { CallContext } from '../request.js';
import type { ChangesPage } from '../../store/mailbox-store.js';
import type { ObjectType } from '../object-store.js';
import { objectModseq, objectState } from '../mail/states.js';

/** /get ids: null (all) or at most maxObjectsInGet ids (requestTooLarge above), duplicates once. */
export function getIds(args: Args, ctx: CallContext): string[] | null {
  const v = args.raw('ids');
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidArguments('ids must be an array of Ids');
  if (v.length > ctx.svc.limits.maxObjectsInGet) throw new MethodError('requestTooLarge', `at most ${ctx.svc.limits.maxObjectsInGet} ids in one /get`);
  return [...new Set((v as string[]).map((id) => ctx.resolveId(id) ?? id))];
}

/** /get properties: null → the defaults; unknown ones are invalidArguments; "id" always comes back. */
export function getProperties(args: Args, known: readonly string[], defaults: readonly string[] = known): string[] {
  const v = args.strings('properties');
  if (v === null) return [...defaults];
  const bad = v.find((p) => !known.includes(p));
  if (bad !== undefined) throw invalidArguments(`unknown property ${bad}`);
  return [...new Set(['id', ...v])];
}

export function pick(o: Record<string, unknown>, props: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of props) if (p in o) out[p] = o[p];
  return out;
}

/** maxChanges: absent → the server's; zero or negative → invalidArguments; above the server's → lowered. */
export function maxChanges(args: Args, ctx: CallContext): number {
  const v = args.raw('maxChanges');
  if (v === undefined || v === null) return ctx.svc.limits.maxChanges;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw invalidArguments('maxChanges must be a positive integer');
  return Math.min(v, ctx.svc.limits.maxChanges);
}

/** /get's answer: the objects asked for (all when ids is null) with the properties asked for, and the ids not found. */
export function getResponse<T extends { id: string }>(accountId: string, state: string, all: T[], ids: string[] | null, props: string[]): Record<string, unknown> {
  const list = (ids ? all.filter((o) => ids.includes(o.id)) : all).map((o) => pick(o as unknown as Record<string, unknown>, props));
  return { accountId, state, list, notFound: ids ? ids.filter((id) => !all.some((o) => o.id === id)) : [] };
}

export function changesResponse(accountId: string, oldState: string, newState: string, page: ChangesPage): Record<string, unknown> {
  return { accountId, oldState, newState, hasMoreChanges: page.hasMore, created: page.created, updated: page.updated, destroyed: page.destroyed };
}

/** /changes for a type kept in the object store (Identity, EmailSubmission): its own modseq history. */
export async function objectChanges(args: Args, ctx: CallContext, type: ObjectType, prepare: () => Promise<void> | void = () => {}): Promise<Record<string, unknown>> {
  const accountId = ctx.account(args);
  const since = args.string('sinceState');
  const max = maxChanges(args, ctx);
  args.done();
  await prepare();
  const n = objectModseq(since);
  const page = n === null ? null : await ctx.svc.objects.changes(ctx.address, type, n, max);
  if (!page) throw new MethodError('cannotCalculateChanges');
  return changesResponse(accountId, since, objectState(page.newModseq), page);
}

/** An id, or a creation reference "#cid" to an object created earlier in the request. */
export const idOrRef = (k: unknown): boolean => typeof k === 'string' && /^#?[A-Za-z0-9_-]{1,255}$/.test(k);

export interface SetRequest {
  create: Record<string, Record<string, unknown>>;
  update: Record<string, Record<string, unknown>>;
  destroy: string[];
  ifInState: string | null;
}

/** create/update/destroy and ifInState, checked; more than maxObjectsInSet objects is requestTooLarge. */
export function setRequest(args: Args, ctx: CallContext): SetRequest {
  const create = args.object('create') ?? {};
  const update = args.object('update') ?? {};
  const destroyRaw = args.raw('destroy');
  const ifInState = args.string('ifInState', true);
  for (const [k, v] of Object.entries(create)) if (!isId(k) || !isObject(v)) throw invalidArguments('create must map creation ids to objects');
  for (const [k, v] of Object.entries(update)) if (!idOrRef(k) || !isObject(v)) throw invalidArguments('update must map ids to patch objects');
  if (destroyRaw !== undefined && destroyRaw !== null && !(Array.isArray(destroyRaw) && destroyRaw.every(idOrRef))) {
    throw invalidArguments('destroy must be an array of ids');
  }
  const destroy = (destroyRaw as string[] | null | undefined) ?? [];
  const n = Object.keys(create).length + Object.keys(update).length + destroy.length;
  if (n > ctx.svc.limits.maxObjectsInSet) throw new MethodError('requestTooLarge', `at most ${ctx.svc.limits.maxObjectsInSet} objects in one /set`);
  return { create: create as Record<string, Record<string, unknown>>, update: update as Record<string, Record<string, unknown>>, destroy, ifInState };
}

export interface SetResult {
  created: Record<string, Record<string, unknown>>;
  updated: Record<string, Record<string, unknown> | null>;
  destroyed: string[];
  notCreated: Record<string, SetError>;
  notUpdated: Record<string, SetError>;
  notDestroyed: Record<string, SetError>;
}

export const emptySetResult = (): SetResult => ({ created: {}, updated: {}, destroyed: [], notCreated: {}, notUpdated: {}, notDestroyed: {} });

/** Run one object's change; a SetFailure (or a thrown SetError) becomes that object's error. */
export async function perObject<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: SetError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (e instanceof SetFailure) return { ok: false, error: e.error };
    throw e;
  }
}

/** Apply creates, then updates, then destroys through the type's functions, recording creation ids. */
export async function runSet(
  req: SetRequest,
  ctx: CallContext,
  ops: {
    create?: (obj: Record<string, unknown>, creationId: string) => Promise<{ id: string; extra: Record<string, unknown> }>;
    update?: (id: string, patch: Record<string, unknown>) => Promise<Record<string, unknown> | null>;
    destroy?: (id: string) => Promise<void>;
  },
): Promise<SetResult> {
  const r = emptySetResult();
  for (const [cid, obj] of Object.entries(req.create)) {
    if (!ops.create) {
      r.notCreated[cid] = setError('forbidden', 'objects of this type cannot be created');
      continue;
    }
    const out = await perObject(() => ops.create!(obj, cid));
    if (out.ok) {
      ctx.createdIds.set(cid, out.value.id);
      r.created[cid] = { id: out.value.id, ...out.value.extra };
    } else r.notCreated[cid] = out.error;
  }
  const willDestroy = new Set(req.destroy.map((d) => ctx.resolveId(d) ?? d));
  for (const [key, patch] of Object.entries(req.update)) {
    const id = ctx.resolveId(key);
    if (id === null) {
      r.notUpdated[key] = setError('notFound', `no object was created as ${key}`);
      continue;
    }
    if (!ops.update) {
      r.notUpdated[id] = setError('forbidden', 'objects of this type cannot be changed');
      continue;
    }
    if (willDestroy.has(id)) {
      r.notUpdated[id] = setError('willDestroy');
      continue;
    }
    const out = await perObject(() => ops.update!(id, patch));
    if (out.ok) r.updated[id] = out.value;
    else r.notUpdated[id] = out.error;
  }
  for (const key of req.destroy) {
    const id = ctx.resolveId(key);
    if (id === null) {
      r.notDestroyed[key] = setError('notFound', `no object was created as ${key}`);
      continue;
    }
    if (!ops.destroy) {
      r.notDestroyed[id] = setError('forbidden', 'objects of this type cannot be destroyed');
      continue;
    }
    const out = await perObject(() => ops.destroy!(id));
    if (out.ok) r.destroyed.push(id);
    else r.notDestroyed[id] = out.error;
  }
  return r;
}

/** The /set response: empty maps and lists become null, as RFC 8620 §5.3 shows them. */
export function setResponse(accountId: string, oldState: string | null, newState: string, r: SetResult): Record<string, unknown> {
  const orNull = <T extends object>(o: T) => (Object.keys(o).length ? o : null);
  return {
    accountId,
    oldState,
    newState,
    created: orNull(r.created),
    updated: orNull(r.updated),
    destroyed: r.destroyed.length ? r.destroyed : null,
    notCreated: orNull(r.notCreated),
    notUpdated: orNull(r.notUpdated),
    notDestroyed: orNull(r.notDestroyed),
  };
}

/**
 * Apply a PatchObject (RFC 8620 §5.3) to a plain object: keys are JSON Pointers without the leading "/", no
 * pointer into an array, every parent must exist, no key a prefix of another; null removes. Throws invalidPatch.
 */
export function applyPatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(target);
  const keys = Object.keys(patch);
  for (const a of keys) for (const b of keys) if (a !== b && b.startsWith(a + '/')) throw new SetFailure(setError('invalidPatch', `${a} and ${b} overlap`));
  for (const key of keys) {
    const path = key.split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = out;
    for (let i = 0; i < path.length - 1; i++) {
      if (!isObject(node) || !(path[i] in node)) throw new SetFailure(setError('invalidPatch', `${key}: ${path.slice(0, i + 1).join('/')} does not exist`));
      node = node[path[i]];
    }
    if (!isObject(node)) throw new SetFailure(setError('invalidPatch', `${key} points inside something that is not an object`));
    const last = path[path.length - 1];
    if (patch[key] === null) delete node[last];
    else node[last] = patch[key];
  }
  return out;
}

/** The window of a /query result (position or anchor + anchorOffset, limit clamped to the server's maximum). */
export function queryWindow(args: Args, ids: string[], maxLimit: number): { position: number; ids: string[]; limit?: number } {
  const anchor = args.id('anchor', true);
  const anchorOffset = args.int('anchorOffset', 0);
  let position = args.int('position', 0);
  const limitArg = args.raw('limit');
  if (limitArg !== undefined && limitArg !== null && (typeof limitArg !== 'number' || !Number.isInteger(limitArg) || limitArg < 0)) {
    throw invalidArguments('limit must be a non-negative integer');
  }
  let limit = (limitArg as number | null | undefined) ?? maxLimit;
  const clamped = limit > maxLimit;
  if (clamped) limit = maxLimit;
  if (anchor !== null) {
    const i = ids.indexOf(anchor);
    if (i < 0) throw new MethodError('anchorNotFound');
    position = Math.max(0, i + anchorOffset);
  } else if (position < 0) position = Math.max(0, ids.length + position);
  return { position, ids: ids.slice(position, position + limit), ...(clamped || limitArg === undefined || limitArg === null ? { limit } : {}) };
}

export type Filter = { operator: 'AND' | 'OR' | 'NOT'; conditions: Filter[] } | Record<string, unknown>;

/** Check a filter's shape (operators, nesting depth, conditions); the type checks its own conditions. */
export function checkFilter(f: unknown, checkCondition: (c: Record<string, unknown>) => void, depth = 0): Filter | null {
  if (f === undefined || f === null) return null;
  if (!isObject(f)) throw invalidArguments('filter must be an object');
  if (depth > 16) throw invalidArguments('filter nested too deeply');
  if ('operator' in f) {
    if (!['AND', 'OR', 'NOT'].includes(f.operator as string)) throw invalidArguments('operator must be AND, OR or NOT');
    if (!Array.isArray(f.conditions)) throw invalidArguments('conditions must be an array');
    if (Object.keys(f).some((k) => k !== 'operator' && k !== 'conditions')) throw invalidArguments('a FilterOperator has only operator and conditions');
    return { operator: f.operator as 'AND' | 'OR' | 'NOT', conditions: f.conditions.map((c) => checkFilter(c, checkCondition, depth + 1)!) };
  }
  checkCondition(f);
  return f;
}

export function matchFilter<T>(f: Filter | null, item: T, cond: (c: Record<string, unknown>, item: T) => boolean): boolean {
  if (!f) return true;
  if ('operator' in f && Array.isArray(f.conditions)) {
    const subs = f.conditions as Filter[];
    if (f.operator === 'AND') return subs.every((c) => matchFilter(c, item, cond));
    if (f.operator === 'OR') return subs.some((c) => matchFilter(c, item, cond));
    return !subs.some((c) => matchFilter(c, item, cond));
  }
  return cond(f as Record<string, unknown>, item);
}

/** Comparators of a /query sort, checked: property known, isAscending boolean, collation supported. */
export interface Comparator {
  property: string;
  isAscending: boolean;
  collation: string;
  keyword?: string;
}

/** Comparators one /query may give: a tie walks every one of them, in each of the sort's n·log n comparisons. */
export const MAX_SORT_COMPARATORS = 16;

export function checkSort(v: unknown, supported: readonly string[], collations: readonly string[], extra: (c: Record<string, unknown>) => Partial<Comparator> = () => ({})): Comparator[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidArguments('sort must be an array of Comparators');
  if (v.length > MAX_SORT_COMPARATORS) throw invalidArguments(`sort has at most ${MAX_SORT_COMPARATORS} Comparators`);
  return v.map((c) => {
    if (!isObject(c) || typeof c.property !== 'string') throw invalidArguments('a Comparator needs a property');
    if (c.isAscending !== undefined && typeof c.isAscending !== 'boolean') throw invalidArguments('isAscending must be a Boolean');
    if (c.collation !== undefined && typeof c.collation !== 'string') throw invalidArguments('collation must be a String');
    if (!supported.includes(c.property)) throw new MethodError('unsupportedSort', `sorting by ${c.property} is not supported`);
    if (c.collation !== undefined && !collations.includes(c.collation as string)) throw new MethodError('unsupportedSort', `collation ${String(c.collation)} is not supported`);
    return { property: c.property, isAscending: c.isAscending !== false, collation: (c.collation as string | undefined) ?? 'i;unicode-casemap', ...extra(c) };
  });
}

/** Compare two strings under a collation (RFC 4790 names). */
export function collate(a: string, b: string, collation: string): number {
  if (collation === 'i;ascii-numeric') {
    const na = /^\d+/.exec(a);
    const nb = /^\d+/.exec(b);
    if (!na || !nb) return na ? -1 : nb ? 1 : 0;
    const x = BigInt(na[0]);
    const y = BigInt(nb[0]);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const fold = collation === 'i;ascii-casemap' ? (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()) : (s: string) => s.normalize('NFKC').toLowerCase();
  const x = fold(a);
  const y = fold(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * /queryChanges for a query recomputed now: every object changed since the old state is "removed" (a superset
 * RFC 8620 §5.6 allows), and those of them in the current results are "added" back at their index.
 */
export function queryChangesResult(
  changed: Iterable<string>, current: string[], maxChanges: number | null, upToId: string | null,
): { removed: string[]; added: { id: string; index: number }[] } {
  const removed = [...new Set(changed)];
  const inRemoved = new Set(removed);
  const upTo = upToId === null ? -1 : current.indexOf(upToId);
  const added: { id: string; index: number }[] = [];
  current.forEach((id, index) => {
    if (inRemoved.has(id) && (upTo < 0 || index <= upTo)) added.push({ id, index });
  });
  if (maxChanges !== null && removed.length + added.length > maxChanges) throw new MethodError('tooManyChanges', `more than ${maxChanges} changes`);
  return { removed, added };
}

/** /query's answer for a result list and its window (RFC 8620 §5.5). */
export function queryResponse(accountId: string, queryState: string, all: string[], win: { position: number; ids: string[]; limit?: number }, total: boolean): Record<string, unknown> {
  return { accountId, queryState, canCalculateChanges: true, position: win.position, ids: win.ids, ...(total ? { total: all.length } : {}), ...(win.limit !== undefined ? { limit: win.limit } : {}) };
}

/** Foo/queryChanges' own arguments (RFC 8620 §5.6), read in this order; `positiveMax` refuses maxChanges 0 (Email's). */
export function queryChangesArgs(args: Args, positiveMax = false): { since: string; maxChanges: number | null; upToId: string | null; total: boolean } {
  const since = args.string('sinceQueryState');
  const maxChanges = args.uint('maxChanges');
  if (positiveMax && maxChanges === 0) throw invalidArguments('maxChanges must be positive');
  const upToId = args.id('upToId', true);
  const total = args.bool('calculateTotal', false);
  return { since, maxChanges, upToId, total };
}

/** /queryChanges' answer (RFC 8620 §5.6) from the changed ids and the current results. */
export function queryChangesResponse(
  accountId: string, oldQueryState: string, newQueryState: string, changed: Iterable<string>, current: string[],
  o: { maxChanges: number | null; upToId: string | null; total: boolean },
): Record<string, unknown> {
  const r = queryChangesResult(changed, current, o.maxChanges, o.upToId);
  return { accountId, oldQueryState, newQueryState, ...(o.total ? { total: current.length } : {}), removed: r.removed, added: r.added };
}
