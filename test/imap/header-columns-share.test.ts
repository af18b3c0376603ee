// SEARCH's header columns and the values FETCH feeds them (engine/imap/header-columns.ts) are kept per store, and a
// store serves every user of the node: one user's SEARCHes of 64 header names, or FETCHes of large headers, pushed
// every other user's columns and feeds out (least recently used first, over all users), so their next SEARCH read
// each message's header again. Now each user holds at most a quarter of each bound and goes over it at the cost of
// their own oldest entries. Over IMAP (two users on one server, Japanese subjects in ISO-2022-JP and UTF-8), and
// for the feeds on the cache itself (the bounds need 16 MB of headers).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ColumnCache, columnsFor, USER_SHARE } from '../../engine/imap/header-columns.js';
import { MessageCache } from '../../engine/imap/message-cache.js';
import { KNOWN } from '../../engine/mime/known-fields.js';
import { RawClient, startHarness, USER, PASS, type Harness } from './harness.js';

const OTHER = 'hanako@other.test';
let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

async function find(c: RawClient, criteria: string): Promise<string> {
  const r = await c.cmd(`SEARCH CHARSET UTF-8 ${criteria}`);
  assert.match(r.status, /^OK/, r.status);
  return (r.lines.find((l) => l.startsWith('* SEARCH')) ?? '* SEARCH').slice(9).trim();
}

test("one user's SEARCHes of many header names do not push another user's columns out", async () => {
  await h.store.append(OTHER, 'INBOX', Buffer.from('Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\r\nFrom: h@x.test\r\n\r\nb\r\n'));
  await h.store.append(OTHER, 'INBOX', Buffer.from('Subject: =?UTF-8?B?5pel5pys6Kqe44Gu44Oh44O844Or?=\r\nFrom: h@x.test\r\n\r\nb\r\n'));
  for (let i = 0; i < 3; i++) await h.store.append(USER, 'INBOX', Buffer.from(`Subject: taro ${i}\r\nX-Probe-${i}: a\r\n\r\nb\r\n`));
  const hanako = await RawClient.connect(h.plain.port);
  const taro = await RawClient.connect(h.plain.port);
  try {
    await hanako.cmd(`LOGIN ${OTHER} other-pw2`);
    await taro.cmd(`LOGIN ${USER} ${PASS}`);
    const sel = await hanako.cmd('SELECT INBOX');
    const uv = Number(/UIDVALIDITY (\d+)/.exec(sel.lines.join('\n'))![1]);
    await taro.cmd('SELECT INBOX');
    assert.equal(await find(hanako, 'SUBJECT 日本語'), '1 2');
    const cache = columnsFor(h.store);
    const hers = ColumnCache.key(MessageCache.box(OTHER, 'INBOX', uv), 'subject');
    assert.ok(cache.get(hers), "hanako's SUBJECT column is made");
    // taro: 70 header names, each a column of his INBOX (more than the store keeps, 64)
    for (let i = 0; i < 70; i++) assert.equal(await find(taro, `HEADER X-Probe-${i} a`), i < 3 ? String(i + 1) : '', `X-Probe-${i}`);
    assert.ok(cache.get(hers), "hanako's column is still kept");
    assert.equal(cache.heldBy(USER).columns, 64 / USER_SHARE, 'taro holds his share, his oldest gone');
    assert.equal(await find(taro, 'HEADER X-Probe-0 a'), '1', 'a column of his that went is made again');
    assert.equal(await find(hanako, 'SUBJECT 日本語のメール'), '2');
  } finally {
    hanako.close();
    taro.close();
  }
});

test("one user's FETCHes of large headers do not push another user's feed out", () => {
  const cache = new ColumnCache();
  const subject = (KNOWN as readonly string[]).indexOf('subject');
  const hers = MessageCache.box(OTHER, 'INBOX', 7);
  for (let uid = 1; uid <= 10; uid++) cache.feed(hers, uid, [subject], [`=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= ${uid}`]);
  // taro: 300 messages of 60,000 characters of Subject in 3 mailboxes, 18 M characters (the store keeps 16 M fed)
  const big = 'x'.repeat(60_000);
  for (let uid = 1; uid <= 300; uid++) cache.feed(MessageCache.box(USER, `box${uid % 3}`, 1), uid, [subject], [big]);
  assert.equal(cache.feedOf(hers)?.uids.length, 10, "hanako's feed is still there, whole");
  const his = cache.heldBy(USER);
  assert.ok(his.fedChars <= (16 * 1024 * 1024) / USER_SHARE, `taro's fed characters within his share: ${his.fedChars}`);
  assert.ok(his.fed > 0, 'his newest are kept');
  assert.equal(cache.feedOf(MessageCache.box(USER, 'box0', 1))?.uids.at(-1), 300, 'the feed of his last message is kept');
  assert.deepEqual(cache.heldBy(OTHER).fed, 10);
});
