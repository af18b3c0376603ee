// Mailbox/get, /changes, /query, /queryChanges and /set (RFC 8621 §2) over the store's folders: a Mailbox is a
// folder, its id the folder's UIDVALIDITY (kept across renames), its role the special-use name; create, rename,
// move and delete are the store's folder operations (as IMAP CREATE/RENAME/DELETE), subscriptions IMAP's.
import { accountChanges } from './account-changes.js';
import { validNewName } from '../../imap/folders.js';
import { StoreError } from '../../store/store-error.js';
import { isId, isUint } from '../args.js';
import { COLLATIONS, MAIL, MAX_MAILBOX_NAME } from '../capabilities.js';
import { invalidArguments, invalidProperties, MethodError, SetFailure, setError } from '../errors.js';
import type { CallContext, MethodDef } from '../request.js';
import { MailAccount } from '../mail/account.js';
import { FOLDER_OF_ROLE, fixedFolder, MAILBOX_PROPERTIES, ROLE_OF, type MailboxView } from '../mail/mailboxes.js';
import { modseqOf, stateOf } from '../mail/states.js';
import {
  applyPatch, checkFilter, checkSort, collate, getIds, getProperties, matchFilter, maxChanges, pick, queryChangesArgs, queryChangesResponse, queryResponse, queryWindow,
  runSet, setRequest, setResponse, type Filter,
} from './standard.js';

const COUNTS = ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'];
const SERVER_SET = ['id', 'myRights', ...COUNTS];

export const mailboxGet: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const ids = getIds(args, ctx);
    const props = getProperties(args, MAILBOX_PROPERTIES);
    args.done();
    const acct = await MailAccount.open(ctx);
    const all = await acct.mailboxes();
    const found = ids ? all.filter((m) => ids.includes(m.id)) : all;
    const notFound = ids ? ids.filter((id) => !all.some((m) => m.id === id)) : [];
    return { accountId, state: stateOf(acct.state, 'Mailbox'), list: found.map((m) => pick(m as unknown as Record<string, unknown>, props)), notFound };
  },
};

export const mailboxChanges: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const { response, page } = await accountChanges(args, ctx, 'Mailbox', '; fetch the mailboxes again');
    return { ...response, updatedProperties: page.countsOnly && page.updated.length ? COUNTS : null };
  },
};

function checkCondition(c: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(c)) {
    if (k === 'parentId' && !(v === null || isId(v))) throw invalidArguments('parentId must be an Id or null');
    else if (k === 'name' && typeof v !== 'string') throw invalidArguments('name must be a String');
    else if (k === 'role' && !(v === null || typeof v === 'string')) throw invalidArguments('role must be a String or null');
    else if ((k === 'hasAnyRole' || k === 'isSubscribed') && typeof v !== 'boolean') throw invalidArguments(`${k} must be a Boolean`);
    else if (!['parentId', 'name', 'role', 'hasAnyRole', 'isSubscribed'].includes(k)) throw new MethodError('unsupportedFilter', `unknown Mailbox filter ${k}`);
  }
}

function matches(c: Record<string, unknown>, m: MailboxView): boolean {
  if ('parentId' in c && m.parentId !== c.parentId) return false;
  if ('name' in c && !m.name.normalize('NFKC').toLowerCase().includes(String(c.name).normalize('NFKC').toLowerCase())) return false;
  if ('role' in c && m.role !== c.role) return false;
  if ('hasAnyRole' in c && (m.role !== null) !== c.hasAnyRole) return false;
  if ('isSubscribed' in c && m.isSubscribed !== c.isSubscribed) return false;
  return true;
}

/** The ids of a Mailbox/query, in order. */
async function mailboxQueryIds(args: import('../args.js').Args, acct: MailAccount): Promise<string[]> {
  const filter = checkFilter(args.raw('filter'), checkCondition) as Filter | null;
  const sort = checkSort(args.raw('sort'), ['sortOrder', 'name'], COLLATIONS);
  const sortAsTree = args.bool('sortAsTree', false);
  const filterAsTree = args.bool('filterAsTree', false);
  const all = await acct.mailboxes();
  const byId = new Map(all.map((m) => [m.id, m]));
  const ok = new Set(all.filter((m) => matchFilter(filter, m, matches)).map((m) => m.id));
  const included = (m: MailboxView): boolean => {
    if (!ok.has(m.id)) return false;
    if (!filterAsTree) return true;
    for (let p = m.parentId; p; p = byId.get(p)?.parentId ?? null) if (!ok.has(p)) return false;
    return true;
  };
  const cmp = (a: MailboxView, b: MailboxView): number => {
    for (const c of sort) {
      const r = c.property === 'sortOrder' ? a.sortOrder - b.sortOrder : collate(a.name, b.name, c.collation);
      if (r) return c.isAscending ? r : -r;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
  let list = all.filter(included);
  if (sortAsTree) {
    const out: MailboxView[] = [];
    const visit = (parent: string | null) => {
      for (const m of all.filter((x) => x.parentId === parent).sort(cmp)) {
        if (list.includes(m)) out.push(m);
        visit(m.id);
      }
    };
    visit(null);
    list = out;
  } else list.sort(cmp);
  return list.map((m) => m.id);
}

export const mailboxQuery: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const acct = await MailAccount.open(ctx);
    const ids = await mailboxQueryIds(args, acct);
    const win = queryWindow(args, ids, ctx.svc.limits.maxQueryLimit);
    const total = args.bool('calculateTotal', false);
    args.done();
    return queryResponse(accountId, stateOf(acct.state, 'Mailbox'), ids, win, total);
  },
};

export const mailboxQueryChanges: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const { since, maxChanges: maxC, upToId, total } = queryChangesArgs(args);
    const acct = await MailAccount.open(ctx);
    const ids = await mailboxQueryIds(args, acct);
    args.done();
    const n = modseqOf(since, acct.state);
    const page = n === null ? null : await ctx.svc.store.accountChanges(ctx.address, 'Mailbox', n, Number.MAX_SAFE_INTEGER);
    if (!page) throw new MethodError('cannotCalculateChanges');
    const changed = [...page.created, ...page.updated, ...page.destroyed];
    return queryChangesResponse(accountId, since, stateOf(acct.state, 'Mailbox'), changed, ids, { maxChanges: maxC, upToId, total });
  },
};

/** The folder path for a name under a parent; SetFailure when it cannot be a folder. */
function folderPath(name: unknown, parent: MailboxView | null): string {
  if (typeof name !== 'string' || name === '') throw new SetFailure(invalidProperties(['name'], 'name must be a non-empty String'));
  if (Buffer.byteLength(name, 'utf8') > MAX_MAILBOX_NAME) throw new SetFailure(invalidProperties(['name'], `name is longer than ${MAX_MAILBOX_NAME} octets`));
  if (name.includes('/')) throw new SetFailure(invalidProperties(['name'], 'name may not contain "/" (it separates levels)'));
  const path = parent ? `${parent.folder}/${name}` : name;
  if (!validNewName(path)) throw new SetFailure(invalidProperties(['name'], 'name is not allowed (control characters, "*", "%", "\\" or a leading ".")'));
  return path;
}

async function parentOf(value: unknown, acct: MailAccount, ctx: CallContext): Promise<MailboxView | null> {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new SetFailure(invalidProperties(['parentId']));
  const id = ctx.resolveId(value);
  const p = id ? await acct.mailbox(id) : undefined;
  if (!p) throw new SetFailure(invalidProperties(['parentId'], 'no such parent mailbox'));
  return p;
}

/** A role must be the one the folder's name gives (absent on create: whatever the name gives). */
function checkRole(role: unknown, path: string, creating: boolean): void {
  if (role === undefined && creating) return;
  if ((role ?? null) === (ROLE_OF[path] ?? null)) return;
  if (typeof role !== 'string' || FOLDER_OF_ROLE[role] !== path) {
    throw new SetFailure(invalidProperties(['role'], `roles follow the folder names (${Object.entries(FOLDER_OF_ROLE).map(([r, f]) => `${r}: ${f}`).join(', ')})`));
  }
}

function storeFailure(e: unknown): never {
  if (e instanceof StoreError) {
    if (e.code === 'ALREADYEXISTS') throw new SetFailure(invalidProperties(['name'], 'a mailbox with that name already exists there'));
    if (e.code === 'NONEXISTENT') throw new SetFailure(setError('notFound'));
    throw new SetFailure(setError('forbidden', e.message));
  }
  throw e;
}

export const mailboxSet: MethodDef = {
  capability: MAIL,
  async run(args, ctx) {
    const accountId = ctx.account(args);
    const req = setRequest(args, ctx);
    const removeEmails = args.bool('onDestroyRemoveEmails', false);
    args.done();
    const acct = await MailAccount.open(ctx);
    const oldState = stateOf(acct.state, 'Mailbox');
    if (req.ifInState !== null && req.ifInState !== oldState) throw new MethodError('stateMismatch');
    const store = ctx.svc.store;
    const owner = ctx.address;
    const result = await runSet(req, ctx, {
      create: async (obj) => {
        const known = ['name', 'parentId', 'role', 'sortOrder', 'isSubscribed', ...SERVER_SET];
        const unknown = Object.keys(obj).filter((k) => !known.includes(k));
        if (unknown.length) throw new SetFailure(invalidProperties(unknown));
        const serverSet = Object.keys(obj).filter((k) => SERVER_SET.includes(k));
        if (serverSet.length) throw new SetFailure(invalidProperties(serverSet, 'server-set properties'));
        if (obj.sortOrder !== undefined && !(isUint(obj.sortOrder) && (obj.sortOrder as number) < 2 ** 31)) throw new SetFailure(invalidProperties(['sortOrder']));
        if (obj.isSubscribed !== undefined && typeof obj.isSubscribed !== 'boolean') throw new SetFailure(invalidProperties(['isSubscribed']));
        const parent = await parentOf(obj.parentId, acct, ctx);
        const path = folderPath(obj.name, parent);
        checkRole(obj.role, path, true);
        // RFC 8620 §5.3 overQuota: "a server-defined limit on the number … of objects of this type"
        const max = ctx.svc.limits.maxMailboxesPerAccount;
        if ((await store.listFolders(owner)).length >= max) throw new SetFailure(setError('overQuota', `an account keeps at most ${max} mailboxes`));
        await store.createFolder(owner, path).catch(storeFailure);
        await store.setSubscribed(owner, path, obj.isSubscribed !== false);
        if (obj.sortOrder !== undefined) await store.setSortOrder(owner, path, obj.sortOrder as number);
        await acct.refresh();
        const m = (await acct.mailboxes()).find((x) => x.folder === path)!;
        ctx.log('mailbox.create', { folder: path });
        const extra = pick(m as unknown as Record<string, unknown>, ['role', 'sortOrder', 'isSubscribed', 'myRights', ...COUNTS].filter((p) => !(p in obj)));
        return { id: m.id, extra };
      },
      update: async (id, patch) => {
        const m = await acct.mailbox(id);
        if (!m) throw new SetFailure(setError('notFound'));
        const current = pick(m as unknown as Record<string, unknown>, MAILBOX_PROPERTIES);
        const next = applyPatch(current, patch);
        const changedServerSet = SERVER_SET.filter((p) => JSON.stringify(next[p]) !== JSON.stringify(current[p]));
        if (changedServerSet.length) throw new SetFailure(invalidProperties(changedServerSet, 'server-set properties'));
        const unknown = Object.keys(next).filter((k) => !MAILBOX_PROPERTIES.includes(k));
        if (unknown.length) throw new SetFailure(invalidProperties(unknown));
        let folder = m.folder;
        let target = m.folder;
        const moving = next.name !== current.name || next.parentId !== current.parentId;
        if (moving) {
          if (!m.myRights.mayRename) throw new SetFailure(setError('forbidden', `${m.folder} cannot be renamed or moved`));
          const parent = await parentOf(next.parentId, acct, ctx);
          for (let p: MailboxView | null = parent; p; p = p.parentId ? ((await acct.mailbox(p.parentId)) ?? null) : null) {
            if (p.id === m.id) throw new SetFailure(invalidProperties(['parentId'], 'a mailbox cannot be moved into itself'));
          }
          target = folderPath(next.name, parent);
        }
        // a role follows the name: asking for another one is refused before anything changes
        if ('role' in patch) checkRole(next.role, target, false);
        if (next.sortOrder !== current.sortOrder && !(isUint(next.sortOrder) && (next.sortOrder as number) < 2 ** 31)) throw new SetFailure(invalidProperties(['sortOrder']));
        if (next.isSubscribed !== current.isSubscribed && typeof next.isSubscribed !== 'boolean') throw new SetFailure(invalidProperties(['isSubscribed']));
        if (moving) {
          await store.renameFolder(owner, m.folder, target).catch(storeFailure);
          folder = target;
        }
        if (next.sortOrder !== current.sortOrder) await store.setSortOrder(owner, folder, next.sortOrder as number);
        if (next.isSubscribed !== current.isSubscribed) await store.setSubscribed(owner, folder, next.isSubscribed as boolean);
        await acct.refresh();
        ctx.log('mailbox.update', { folder });
        const role = ROLE_OF[folder] ?? null;
        return role !== current.role && !('role' in patch) ? { role } : null;
      },
      destroy: async (id) => {
        const m = await acct.mailbox(id);
        if (!m) throw new SetFailure(setError('notFound'));
        if (!m.myRights.mayDelete || fixedFolder(m.folder)) throw new SetFailure(setError('forbidden', `${m.folder} cannot be deleted`));
        if ((await acct.mailboxes()).some((x) => x.parentId === id)) throw new SetFailure(setError('mailboxHasChild'));
        if (m.totalEmails > 0 && !removeEmails) throw new SetFailure(setError('mailboxHasEmail'));
        await store.deleteFolder(owner, m.folder).catch(storeFailure);
        await acct.refresh();
        ctx.log('mailbox.destroy', { folder: m.folder });
      },
    });
    const st = await acct.refresh();
    return setResponse(accountId, oldState, stateOf(st, 'Mailbox'), result);
  },
};
