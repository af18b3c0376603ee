// \Recent as one session sees it (engine/imap/mailbox-view.ts keeps its first claim as a range of UIDs): the
// first session to select gets every message not claimed before, minus those it expunges, plus new arrivals;
// SEARCH RECENT, FETCH FLAGS and the RECENT counts agree; a later session gets only what arrived after.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mail, RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.store.createFolder(USER, 'Recent');
  for (let i = 1; i <= 6; i++) await h.store.append(USER, 'Recent', mail([`From: r${i}@example.test`, `Subject: 最近 ${i}`, '', `body ${i}`]));
});
after(async () => {
  await h.close();
});

test('the first claim, expunges and new mail keep RECENT, SEARCH RECENT and \\Recent in step', async () => {
  const a = await RawClient.connect(h.plain.port);
  await a.login();
  const sel = await a.cmd('SELECT Recent');
  assert.ok(sel.lines.includes('* 6 RECENT'));
  assert.deepEqual((await a.cmd('UID SEARCH RECENT')).lines, ['* SEARCH 1 2 3 4 5 6']);
  await a.cmd('UID STORE 2,5 +FLAGS (\\Deleted)');
  assert.deepEqual((await a.cmd('EXPUNGE')).lines, ['* 5 EXPUNGE', '* 2 EXPUNGE']);
  assert.deepEqual((await a.cmd('UID SEARCH RECENT')).lines, ['* SEARCH 1 3 4 6']);
  await h.store.append(USER, 'Recent', mail(['From: late@example.test', 'Subject: late', '', 'late']));
  const noop = await a.cmd('NOOP');
  assert.ok(noop.lines.includes('* 5 EXISTS'), noop.lines.join('|'));
  assert.ok(noop.lines.includes('* 5 RECENT'), noop.lines.join('|'));
  assert.deepEqual((await a.cmd('UID SEARCH RECENT')).lines, ['* SEARCH 1 3 4 6 7']);
  assert.match((await a.cmd('UID FETCH 7 (FLAGS)')).lines[0], /FLAGS \(\\Recent\)/);
  // a second session: everything was claimed by the first
  const b = await RawClient.connect(h.plain.port);
  await b.login();
  assert.ok((await b.cmd('SELECT Recent')).lines.includes('* 0 RECENT'));
  assert.deepEqual((await b.cmd('SEARCH RECENT')).lines, ['* SEARCH']);
  await h.store.append(USER, 'Recent', mail(['From: later@example.test', 'Subject: later', '', 'later']));
  const bn = await b.cmd('NOOP');
  assert.ok(bn.lines.includes('* 1 RECENT'), bn.lines.join('|'));
  assert.ok((await a.cmd('NOOP')).lines.includes('* 6 EXISTS'));
  assert.deepEqual((await a.cmd('UID SEARCH RECENT')).lines, ['* SEARCH 1 3 4 6 7'], 'arrivals claimed by another session are not recent here');
  a.close();
  b.close();
});
