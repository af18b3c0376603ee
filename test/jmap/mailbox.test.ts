// Mailbox/get, /changes, /query, /queryChanges and /set over inject(): roles from the special-use folders,
// hierarchy from "/" paths, renames keep ids, counts follow the mail, and each refusal is the SetError RFC 8621
// names (mailboxHasChild, mailboxHasEmail, forbidden for INBOX and the special-use folders, invalidProperties).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jmapFixture, message, USER, type JmapFixture } from './helpers.js';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture();
});
after(() => f.close());

type Box = { id: string; name: string; parentId: string | null; role: string | null; totalEmails: number; unreadEmails: number; isSubscribed: boolean; sortOrder: number; myRights: Record<string, boolean> };

async function boxes(): Promise<Box[]> {
  return (await f.call('Mailbox/get', { ids: null })).args.list as Box[];
}

test('the special-use folders are there with their roles; INBOX and they cannot be renamed or deleted', async () => {
  const list = await boxes();
  const roles = Object.fromEntries(list.map((b) => [b.role, b.name]));
  assert.deepEqual(roles, { inbox: 'Inbox', junk: 'Spam', sent: 'Sent', drafts: 'Drafts', trash: 'Trash' });
  const inbox = list.find((b) => b.role === 'inbox')!;
  assert.equal(inbox.myRights.mayDelete, false);
  const r = await f.call('Mailbox/set', { update: { [inbox.id]: { name: 'Posteingang' } }, destroy: [list.find((b) => b.role === 'sent')!.id] });
  assert.equal((r.args.notUpdated as Record<string, { type: string }>)[inbox.id].type, 'forbidden');
  assert.equal((r.args.notDestroyed as Record<string, { type: string }>)[list.find((b) => b.role === 'sent')!.id].type, 'forbidden');
  assert.equal(r.args.updated, null);
});

test('create, nest, rename (the id stays), move and delete; Japanese names; the store follows', async () => {
  const st0 = (await f.call('Mailbox/get', { ids: [] })).args.state as string;
  const c = await f.call('Mailbox/set', { create: { a: { name: '仕事' }, b: { name: '請求書', parentId: '#a', sortOrder: 7, isSubscribed: false } } });
  const created = c.args.created as Record<string, { id: string; role?: string | null; myRights?: unknown }>;
  assert.ok(created.a.id && created.b.id);
  assert.ok(created.a.myRights, 'server-set properties come back on create');
  assert.deepEqual((await f.store.listFolders(USER)).filter((n) => n.startsWith('仕事')).sort(), ['仕事', '仕事/請求書']);
  assert.deepEqual(await f.store.subscriptions(USER).then((s) => s.includes('仕事/請求書')), false);
  let list = await boxes();
  const child = list.find((b) => b.id === created.b.id)!;
  assert.deepEqual([child.name, child.parentId, child.sortOrder, child.isSubscribed], ['請求書', created.a.id, 7, false]);
  // rename the parent: both ids stay, the child follows
  const u = await f.call('Mailbox/set', { update: { [created.a.id]: { name: '業務' } } });
  assert.deepEqual(u.args.updated, { [created.a.id]: null });
  list = await boxes();
  assert.equal(list.find((b) => b.id === created.a.id)!.name, '業務');
  assert.equal(list.find((b) => b.id === created.b.id)!.parentId, created.a.id);
  assert.ok((await f.store.listFolders(USER)).includes('業務/請求書'));
  // move the child to the top level
  await f.call('Mailbox/set', { update: { [created.b.id]: { parentId: null } } });
  assert.ok((await f.store.listFolders(USER)).includes('請求書'));
  // Mailbox/changes from before: both created (they were new since then)
  const ch = await f.call('Mailbox/changes', { sinceState: st0 });
  assert.deepEqual(new Set(ch.args.created as string[]), new Set([created.a.id, created.b.id]));
  const st1 = (await f.call('Mailbox/get', { ids: [] })).args.state as string;
  await f.call('Mailbox/set', { destroy: [created.a.id, created.b.id] });
  const ch2 = await f.call('Mailbox/changes', { sinceState: st1 });
  assert.deepEqual(new Set(ch2.args.destroyed as string[]), new Set([created.a.id, created.b.id]));
});

test('refusals: hasChild, hasEmail unless onDestroyRemoveEmails, bad names and roles, a loop, stateMismatch', async () => {
  const c = await f.call('Mailbox/set', { create: { p: { name: 'Parent' }, k: { name: 'Kid', parentId: '#p' } } });
  const ids = c.args.created as Record<string, { id: string }>;
  await f.store.append(USER, 'Parent/Kid', message({ subject: 'in kid' }));
  const r = await f.call('Mailbox/set', {
    create: { bad1: { name: 'a/b' }, bad2: { name: '' }, bad3: { name: 'Other', role: 'trash' }, bad4: { name: 'X', totalEmails: 3 }, bad5: { name: 'Y', parentId: 'Fnope' } },
    update: { [ids.p.id]: { parentId: ids.k.id } },
    destroy: [ids.k.id],
  });
  const notCreated = r.args.notCreated as Record<string, { type: string; properties?: string[] }>;
  assert.deepEqual(Object.fromEntries(Object.entries(notCreated).map(([k, v]) => [k, [v.type, v.properties?.[0]]])), {
    bad1: ['invalidProperties', 'name'], bad2: ['invalidProperties', 'name'], bad3: ['invalidProperties', 'role'], bad4: ['invalidProperties', 'totalEmails'], bad5: ['invalidProperties', 'parentId'],
  });
  assert.equal((r.args.notUpdated as Record<string, { type: string }>)[ids.p.id].type, 'invalidProperties');
  assert.equal((r.args.notDestroyed as Record<string, { type: string }>)[ids.k.id].type, 'mailboxHasEmail');
  const r2 = await f.call('Mailbox/set', { destroy: [ids.p.id] });
  assert.equal((r2.args.notDestroyed as Record<string, { type: string }>)[ids.p.id].type, 'mailboxHasChild');
  const gone = await f.call('Mailbox/set', { destroy: [ids.k.id], onDestroyRemoveEmails: true });
  assert.deepEqual(gone.args.destroyed, [ids.k.id]);
  const mismatch = await f.call('Mailbox/set', { ifInState: 'x-1', destroy: [ids.p.id] });
  assert.equal(mismatch.name, 'error');
  assert.equal(mismatch.args.type, 'stateMismatch');
  // Archive gets its role from its name
  const arch = await f.call('Mailbox/set', { create: { a: { name: 'Archive' } } });
  assert.equal((arch.args.created as Record<string, { role: string }>).a.role, 'archive');
});

test('counts follow the mail, and a flag change is a counts-only Mailbox change', async () => {
  const before = (await boxes()).find((b) => b.role === 'inbox')!;
  const st = (await f.call('Mailbox/get', { ids: [] })).args.state as string;
  const { uid } = await f.store.append(USER, 'INBOX', message({ subject: 'count me' }));
  let inbox = (await boxes()).find((b) => b.role === 'inbox')!;
  assert.equal(inbox.totalEmails, before.totalEmails + 1);
  assert.equal(inbox.unreadEmails, before.unreadEmails + 1);
  await f.store.updateFlags(USER, 'INBOX', [uid], 'add', ['\\Seen']);
  inbox = (await boxes()).find((b) => b.role === 'inbox')!;
  assert.equal(inbox.unreadEmails, before.unreadEmails);
  const ch = await f.call('Mailbox/changes', { sinceState: st });
  assert.deepEqual(ch.args.updated, [inbox.id]);
  assert.deepEqual(ch.args.updatedProperties, ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads']);
  // back-reference to updatedProperties, as RFC 8621's example does
  const { responses } = await f.api([
    ['Mailbox/changes', { accountId: f.accountId, sinceState: st }, '0'],
    ['Mailbox/get', { accountId: f.accountId, '#ids': { resultOf: '0', name: 'Mailbox/changes', path: '/updated' }, '#properties': { resultOf: '0', name: 'Mailbox/changes', path: '/updatedProperties' } }, '1'],
  ]);
  assert.deepEqual(Object.keys((responses[1][1].list as object[])[0]).sort(), ['id', 'totalEmails', 'totalThreads', 'unreadEmails', 'unreadThreads']);
});

test('Mailbox/query: filters, sorts, sortAsTree, filterAsTree, windows; queryChanges', async () => {
  await f.call('Mailbox/set', { create: { t: { name: 'Tree' }, u: { name: 'Under', parentId: '#t' }, v: { name: 'Alpha', parentId: '#t' } } });
  const all = await boxes();
  const tree = all.find((b) => b.name === 'Tree')!;
  const q1 = await f.call('Mailbox/query', { filter: { parentId: tree.id }, sort: [{ property: 'name' }] });
  assert.deepEqual((q1.args.ids as string[]).map((id) => all.find((b) => b.id === id)!.name), ['Alpha', 'Under']);
  const q2 = await f.call('Mailbox/query', { filter: { hasAnyRole: true }, sort: [{ property: 'sortOrder' }], calculateTotal: true });
  assert.deepEqual((q2.args.ids as string[]).map((id) => all.find((b) => b.id === id)!.role), ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash']);
  assert.equal(q2.args.total, 6);
  const q3 = await f.call('Mailbox/query', { sortAsTree: true, sort: [{ property: 'name' }] });
  const names = (q3.args.ids as string[]).map((id) => all.find((b) => b.id === id)!.name);
  assert.ok(names.indexOf('Tree') < names.indexOf('Alpha') && names.indexOf('Alpha') < names.indexOf('Under'), names.join(','));
  const q4 = await f.call('Mailbox/query', { filter: { name: 'der' }, filterAsTree: true });
  assert.deepEqual(q4.args.ids, [], 'Under matches but its parent does not');
  const q5 = await f.call('Mailbox/query', { sort: [{ property: 'name' }], position: 1, limit: 2 });
  assert.equal((q5.args.ids as string[]).length, 2);
  assert.equal(q5.args.position, 1);
  const byName = (await f.call('Mailbox/query', { sort: [{ property: 'name' }] })).args.ids as string[];
  const q6 = await f.call('Mailbox/query', { sort: [{ property: 'name' }], anchor: tree.id, anchorOffset: -1, limit: 1 });
  assert.deepEqual(q6.args.ids, [byName[byName.indexOf(tree.id) - 1]]);
  assert.equal(q6.args.position, byName.indexOf(tree.id) - 1);
  const bad = await f.api([
    ['Mailbox/query', { accountId: f.accountId, sort: [{ property: 'totalEmails' }] }, 'a'],
    ['Mailbox/query', { accountId: f.accountId, filter: { colour: 'red' } }, 'b'],
    ['Mailbox/query', { accountId: f.accountId, anchor: 'Fnope' }, 'c'],
    ['Mailbox/query', { accountId: f.accountId, sort: [{ property: 'name', collation: 'i;klingon' }] }, 'd'],
    ['Mailbox/query', { accountId: f.accountId, limit: -1 }, 'e'],
  ]);
  assert.deepEqual(bad.responses.map((r) => r[1].type), ['unsupportedSort', 'unsupportedFilter', 'anchorNotFound', 'unsupportedSort', 'invalidArguments']);
  const qs = q1.args;
  await f.call('Mailbox/set', { create: { w: { name: 'Beta', parentId: tree.id } } });
  const qc = await f.call('Mailbox/queryChanges', { filter: { parentId: tree.id }, sort: [{ property: 'name' }], sinceQueryState: qs.queryState });
  const beta = (await boxes()).find((b) => b.name === 'Beta')!;
  assert.deepEqual(qc.args.added, [{ id: beta.id, index: 1 }]);
  assert.ok((qc.args.removed as string[]).includes(beta.id));
});
