// Quota arithmetic and the Maildir++ usage counter: sizes as operators write them, when a message fits, the
// maildirsize file (parsed strictly, appended by every store operation, rebuilt by the Maildir++ rules), and
// that after appends, copies, expunges and a folder delete through the MaildirStore the counter still equals
// a fresh count of the folders. Worker deliveries (writeMaildirMessage) are counted the same way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSize, roomFor } from '../../engine/accounts/quota.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { MemoryStore } from '../../engine/store/memory-store.js';
import { folderDir, maildirRoot, writeMaildirMessage } from '../../engine/store/maildir.js';
import { countFolders, mailboxUsage, MAILDIRSIZE, parseSizeFile, quotaDefinition, readSizeFile, recordChange } from '../../engine/store/maildirsize.js';

const Q = { bytes: 10_000, messages: 5 };

describe('sizes and room', () => {
  it('parses sizes in binary units and refuses what is not one', () => {
    assert.equal(parseSize('0'), 0);
    assert.equal(parseSize('1048576'), 1048576);
    assert.equal(parseSize('500K'), 512_000);
    assert.equal(parseSize('20M'), 20 * 1024 ** 2);
    assert.equal(parseSize('1.5G'), 1.5 * 1024 ** 3);
    assert.equal(parseSize(' 2 gb '), 2 * 1024 ** 3);
    for (const bad of ['', 'abc', '10X', '-1', '1e9', 'M', '５M']) assert.equal(parseSize(bad), null, bad);
  });

  it('says full when a message would pass a limit, too big when it never fits, ok when unlimited', () => {
    assert.equal(roomFor(Q, { bytes: 9_000, messages: 1 }, 1_000).kind, 'ok');
    assert.equal(roomFor(Q, { bytes: 9_000, messages: 1 }, 1_001).kind, 'full');
    assert.equal(roomFor(Q, { bytes: 0, messages: 5 }, 10).kind, 'full');
    assert.equal(roomFor(Q, { bytes: 10_000, messages: 0 }, 0).kind, 'full', 'at the limit, an unknown size is full');
    assert.equal(roomFor(Q, { bytes: 0, messages: 0 }, 10_001).kind, 'too-big');
    assert.equal(roomFor({ bytes: 0, messages: 0 }, { bytes: 1e12, messages: 1e9 }, 1e9).kind, 'ok');
  });
});

describe('maildirsize', () => {
  it('reads the Maildir++ layout and rejects a torn or foreign file', () => {
    assert.deepEqual(parseSizeFile('10000S,5C\n300 2\n-100 -1\n'), { definition: '10000S,5C', usage: { bytes: 200, messages: 1 } });
    assert.deepEqual(parseSizeFile('\n0 0\n'), { definition: '', usage: { bytes: 0, messages: 0 } });
    assert.equal(parseSizeFile('10000S\n300 2'), null, 'a last line without its newline is torn');
    assert.equal(parseSizeFile('10000S\n300 two\n'), null);
    assert.equal(parseSizeFile('10000S\n-5 -1\n'), null, 'a negative total');
    assert.equal(quotaDefinition(Q), '10000S,5C');
    assert.equal(quotaDefinition({ bytes: 0, messages: 7 }), '7C');
  });

  it('keeps the counter equal to the folders through deliveries, IMAP appends, copies, expunges and a folder delete', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-quota-'));
    const store = new MaildirStore(data);
    const owner = 'taro@example.test';
    const root = maildirRoot(data, owner);
    try {
      // no file yet: a worker delivery writes none, the first question counts and makes it
      await writeMaildirMessage(folderDir(root, 'INBOX'), [Buffer.from('Subject: one\r\n\r\n一通目\r\n')]);
      assert.equal(fs.existsSync(path.join(root, MAILDIRSIZE)), false);
      assert.deepEqual(await store.usage(owner, Q), await countFolders(root));
      assert.equal((await readSizeFile(root))!.definition, '10000S,5C');
      await writeMaildirMessage(folderDir(root, 'INBOX'), [Buffer.from('Subject: two\r\n\r\n'), Buffer.from('x'.repeat(500))]);
      await store.createFolder(owner, 'Archive');
      const a = await store.append(owner, 'Archive', Buffer.from('Subject: three\r\n\r\n' + 'y'.repeat(1000)));
      const big = await store.stagingPath(owner);
      fs.writeFileSync(big, 'Subject: four\r\n\r\n' + 'z'.repeat(2000));
      await store.appendFile(owner, 'INBOX', big);
      const inbox = await store.list(owner, 'INBOX');
      await store.copy(owner, 'INBOX', inbox.map((m) => m.uid), 'Archive');
      assert.deepEqual((await readSizeFile(root))!.usage, await countFolders(root), 'appended lines add up to the folders');
      assert.equal((await countFolders(root)).messages, 7);
      await store.expunge(owner, 'Archive', [a.uid]);
      await store.expunge(owner, 'INBOX', [inbox[0].uid]);
      assert.deepEqual((await readSizeFile(root))!.usage, await countFolders(root));
      await store.deleteFolder(owner, 'Archive');
      const left = await countFolders(root);
      assert.deepEqual((await readSizeFile(root))!.usage, left);
      assert.equal(left.messages, 2);
      assert.deepEqual(await store.usage(owner, Q), left);
    } finally {
      await store.close();
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('is rebuilt when the limits change, when it grows past 5120 bytes, and when over quota and stale', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-quota-'));
    const root = maildirRoot(data, 'hana@example.test');
    try {
      await writeMaildirMessage(root, [Buffer.from('Subject: a\r\n\r\nbody\r\n')]);
      const real = await countFolders(root);
      await mailboxUsage(root, Q);
      // a wrong line (another program's miscount): believed while the file is fresh and under quota
      await recordChange(root, 5, 0);
      assert.equal((await mailboxUsage(root, Q)).bytes, real.bytes + 5);
      assert.deepEqual(await mailboxUsage(root, { bytes: 20_000, messages: 5 }), real, 'new limits: rebuilt');
      for (let i = 0; i < 1400; i++) await recordChange(root, 1, 0);
      assert.deepEqual(await mailboxUsage(root, { bytes: 20_000, messages: 5 }), real, 'past 5120 bytes: rebuilt');
      await recordChange(root, 50_000, 0);
      const q = { bytes: 20_000, messages: 5 };
      assert.equal((await mailboxUsage(root, q)).bytes, real.bytes + 50_000, 'over quota but fresh: believed');
      assert.deepEqual(await mailboxUsage(root, q, Date.now() + 16 * 60_000), real, 'over quota for 15 minutes: counted again');
      assert.deepEqual(await mailboxUsage(path.join(data, 'mail', 'nobody'), q), { bytes: 0, messages: 0 }, 'no mailbox: nothing, and nothing made');
      assert.equal(fs.existsSync(path.join(data, 'mail', 'nobody')), false);
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it('the memory store counts every folder', async () => {
    const m = new MemoryStore();
    await m.append('a@example.test', 'INBOX', Buffer.from('12345'));
    await m.createFolder('a@example.test', 'X');
    await m.append('a@example.test', 'X', Buffer.from('123'));
    assert.deepEqual(await m.usage('a@example.test'), { bytes: 8, messages: 2 });
  });
});
