// Sessions on one mailbox share one message list (engine/imap/shared-listing.ts): two views of a folder hold the
// same listing object, a flag change by one reaches the other as a FETCH and both share the new listing, and a
// session that may not announce an EXPUNGE yet keeps a private copy until it may. Over both stores.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { MailboxView } from '../../engine/imap/mailbox-view.js';
import { sharedMailbox } from '../../engine/imap/shared-listing.js';
import type { MailboxStore } from '../../engine/store/mailbox-store.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { MemoryStore } from '../../engine/store/memory-store.js';

const OWNER = 'hanako@example.test';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const msg = (subject: string) => Buffer.from(`From: a@example.test\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
const opts = { allowExpunge: true, withUid: false, withModseq: false };

const stores: [string, () => MailboxStore][] = [
  ['memory', () => new MemoryStore()],
  [
    'maildir',
    () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-shared-'));
      dirs.push(d);
      return new MaildirStore(d);
    },
  ],
];

for (const [kind, make] of stores) {
  test(`${kind}: two sessions on one mailbox share one listing; a flag change by one shows in the other`, async () => {
    const store = make();
    for (const s of ['一通目', 'second', 'third']) await store.append(OWNER, 'INBOX', msg(s));
    let bTold = 0;
    const a = await MailboxView.open(store, OWNER, 'INBOX', false, () => {});
    const b = await MailboxView.open(store, OWNER, 'INBOX', false, () => bTold++);
    assert.equal(a.view, b.view, 'one listing object for both sessions');
    assert.equal(a.infoOf(a.uids[1]), b.infoOf(b.uids[1]), 'one MessageInfo object per message');
    assert.equal(sharedMailbox(store, OWNER, 'INBOX').sessions, 2);

    // session a stores \Flagged on message 2, as STORE does
    const r = await store.updateFlags(OWNER, 'INBOX', [a.uids[1]], 'add', ['\\Flagged']);
    a.applyUpdated(r.updated);
    assert.ok(bTold > 0, 'b was told of the change');
    assert.deepEqual(await a.update(opts), [], 'no echo of its own change to a');
    assert.deepEqual(await b.update(opts), ['* 2 FETCH (FLAGS (\\Flagged))']);
    assert.equal(a.view, b.view, 'both share the new listing');
    assert.deepEqual(b.infoOf(b.uids[1])!.flags, ['\\Flagged']);
    assert.equal(a.infoOf(a.uids[0]), b.infoOf(b.uids[0]), 'unchanged messages keep their object');

    // an expunge b may not announce yet (inside FETCH): b keeps a private copy with the message, then rejoins
    await store.expunge(OWNER, 'INBOX', [a.uids[0]]);
    a.removeUids([a.uids[0]]);
    assert.deepEqual(await b.update({ ...opts, allowExpunge: false }), []);
    assert.equal(b.exists, 3, 'b still has the expunged message');
    assert.notEqual(a.view, b.view);
    assert.deepEqual(await b.update(opts), ['* 1 EXPUNGE']);
    assert.deepEqual(await a.update(opts), []);
    assert.equal(a.view, b.view, 'shared again once b was told');

    a.close();
    b.close();
    assert.equal(sharedMailbox(store, OWNER, 'INBOX').sessions, 0, 'the last close releases the mailbox');
  });
}
