// A list's administrators and the A2 list-admin right are one fact: a local account made admin of a list by
// the lists code (tegami list set --admin) holds the right the web administration reads, a right granted by
// the accounts code (tegami user set) makes it an administrator of that list, and taking either away, deleting
// the list or deleting the account takes away both. Outside addresses stay list administrators only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempDirectory } from './helpers.js';

test('list administrators and list-admin rights stay equal both ways', async () => {
  const t = tempDirectory();
  try {
    const d = t.directory;
    await d.addUser({ address: 'hanako@example.test', password: 'secret-pass-1' });
    await d.addUser({ address: 'taro@example.test', password: 'secret-pass-2' });
    d.lists.createList('dev@example.test');
    d.lists.createList('ops@example.test');

    // lists → rights
    d.lists.addAdmin('dev@example.test', 'hanako@example.test');
    d.lists.addAdmin('dev@example.test', 'outside@partner.example');
    assert.deepEqual(d.user('hanako@example.test')!.listAdminOf, ['dev@example.test']);
    assert.equal(d.user('hanako@example.test')!.listAdmin, true);
    assert.deepEqual(d.lists.admins('dev@example.test'), ['hanako@example.test', 'outside@partner.example']);

    // rights → lists
    d.updateUser('taro@example.test', { grant: { list: ['ops@example.test'] } });
    assert.deepEqual(d.lists.admins('ops@example.test'), ['taro@example.test']);

    // taking the right away removes the administrator, and the other way round
    d.updateUser('taro@example.test', { revoke: { list: ['ops@example.test'] } });
    assert.deepEqual(d.lists.admins('ops@example.test'), []);
    assert.equal(d.lists.removeAdmin('dev@example.test', 'hanako@example.test'), true);
    assert.deepEqual(d.user('hanako@example.test')!.listAdminOf, []);
    assert.equal(d.user('hanako@example.test')!.listAdmin, false);

    // deleting the list or the account ends both
    d.lists.addAdmin('dev@example.test', 'hanako@example.test');
    d.lists.deleteList('dev@example.test');
    assert.deepEqual(d.user('hanako@example.test')!.listAdminOf, []);
    d.lists.addAdmin('ops@example.test', 'taro@example.test');
    d.deleteUser('taro@example.test');
    assert.deepEqual(d.lists.admins('ops@example.test'), []);
  } finally {
    t.close();
  }
});
