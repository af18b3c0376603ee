// Several sessions on one mailbox: untagged EXISTS / EXPUNGE / FETCH FLAGS reach the others, IDLE sees new
// mail within a second, EXPUNGE is held back during FETCH/STORE/SEARCH, MOVE/COPY report COPYUID.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mail, RawClient, startHarness, USER, type Harness } from './harness.js';
import { setLearner } from '../../engine/imap/spam-learning.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  for (let i = 1; i <= 5; i++) await h.store.append(USER, 'INBOX', mail([`From: s${i}@example.test`, `Subject: m${i}`, '', `body ${i}`]));
});
after(async () => {
  await h.close();
});

test('a second session sees flags and EXPUNGE from the first; EXPUNGE is held during FETCH', async () => {
  const a = await RawClient.connect(h.plain.port);
  const b = await RawClient.connect(h.plain.port);
  await a.login();
  await b.login();
  await a.cmd('SELECT INBOX');
  const sel = await b.cmd('SELECT INBOX');
  assert.ok(sel.lines.includes('* 5 EXISTS'));
  assert.ok(sel.lines.includes('* 0 RECENT'), 'the first session claimed \\Recent');
  assert.match((await a.cmd('STORE 2 +FLAGS (\\Deleted \\Seen)')).lines[0], /^\* 2 FETCH \(FLAGS \(\\Deleted \\Seen \\Recent\)\)$/);
  assert.deepEqual((await b.cmd('NOOP')).lines, ['* 2 FETCH (FLAGS (\\Deleted \\Seen))']);
  assert.deepEqual((await a.cmd('EXPUNGE')).lines, ['* 2 EXPUNGE']);
  // b is inside FETCH: no EXPUNGE may be sent, and message 2 keeps its number until it is told
  const f = await b.cmd('FETCH 1:* (UID)');
  assert.ok(!f.lines.some((l) => l.includes('EXPUNGE')));
  assert.equal(f.lines.filter((l) => l.includes('FETCH')).length, 5, 'the expunged one still answers from the session view');
  const n = await b.cmd('NOOP');
  assert.deepEqual(n.lines, ['* 2 EXPUNGE']);
  assert.match((await b.cmd('FETCH 2 (UID)')).lines[0], /^\* 2 FETCH \(UID 3\)$/);
  // a UID command may carry the EXPUNGE
  await a.cmd('STORE 1 +FLAGS (\\Deleted)');
  await a.cmd('UID EXPUNGE 1');
  assert.deepEqual((await b.cmd('UID FETCH 3 (FLAGS)')).lines, ['* 2 FETCH (UID 3 FLAGS ())', '* 1 EXPUNGE']);
  a.close();
  b.close();
});

test('IDLE sees new mail and other sessions\' changes (pushed); DONE ends it', async (t) => {
  const a = await RawClient.connect(h.plain.port);
  await a.login();
  await a.cmd('SELECT INBOX');
  a.write('i1 IDLE\r\n');
  assert.match(await a.line(), /^\+ idling/);
  const t0 = Date.now();
  await h.store.append(USER, 'INBOX', mail(['From: new@example.test', 'Subject: fresh', '', 'hi']));
  // pushed: IDLE polls nothing, so without the notice nothing would come (how soon is a diagnostic)
  assert.equal(await a.line(), '* 4 EXISTS');
  assert.equal(await a.line(), '* 1 RECENT');
  t.diagnostic(`EXISTS after ${Date.now() - t0} ms`);
  await h.store.updateFlags(USER, 'INBOX', [3], 'add', ['\\Flagged']);
  assert.match(await a.line(), /^\* 1 FETCH \(FLAGS \(\\Flagged\)\)$/);
  a.write('DONE\r\n');
  assert.match((await a.until('i1')).status, /^OK IDLE terminated/);
  assert.match((await a.cmd('NOOP')).status, /^OK/);
  a.close();
});

test('MOVE and COPY: COPYUID, EXPUNGE for moved mail, learning hook for Spam, TRYCREATE', async () => {
  const learnt: string[] = [];
  setLearner((_dir, raw, verdict, owner) => {
    learnt.push(`${verdict}:${owner}:${/Subject: (\S+)/.exec(raw.toString())?.[1]}`);
  });
  const a = await RawClient.connect(h.plain.port);
  await a.login();
  await a.cmd('SELECT INBOX');
  const uids = (await a.cmd('UID SEARCH ALL')).lines[0];
  assert.equal(uids, '* SEARCH 3 4 5 6');
  const mv = await a.cmd('UID MOVE 4:5 Spam');
  assert.match(mv.lines[0], /^\* OK \[COPYUID \d+ 4:5 1:2\]/);
  assert.deepEqual(mv.lines.slice(1), ['* 3 EXPUNGE', '* 2 EXPUNGE']);
  assert.deepEqual(learnt, [`spam:${USER}:m4`, `spam:${USER}:m5`]);
  const cp = await a.cmd('COPY 1 Trash');
  assert.match(cp.status, /^OK \[COPYUID \d+ 3 1\]/);
  assert.match((await a.cmd('COPY 1 Nowhere')).status, /^NO \[TRYCREATE\]/);
  await a.cmd('SELECT Spam');
  assert.match((await a.cmd('MOVE 1 INBOX')).lines[0], /^\* OK \[COPYUID/);
  assert.deepEqual(learnt.slice(2), [`ham:${USER}:m4`]);
  const st = await a.cmd('STATUS INBOX (MESSAGES)');
  assert.equal(st.lines[0], '* STATUS INBOX (MESSAGES 3)');
  await a.cmd('EXAMINE Trash');
  assert.match((await a.cmd('STORE 1 +FLAGS (\\Seen)')).status, /^NO \[READ-ONLY\]/);
  assert.match((await a.cmd('CLOSE')).status, /^OK/);
  assert.match((await a.cmd('FETCH 1 FLAGS')).status, /^BAD/);
  setLearner(undefined);
  a.close();
});

test('a 3 MB APPEND literal streams through the bounded reader; FETCH returns it byte-exact', async () => {
  const a = await RawClient.connect(h.plain.port);
  await a.login();
  const big = Buffer.concat([Buffer.from('From: big@example.test\r\nSubject: big\r\n\r\n'), Buffer.alloc(3 * 1024 * 1024, 'abcdefghij\r\n')]);
  a.write(`b1 APPEND Drafts {${big.length}+}\r\n`);
  for (let i = 0; i < big.length; i += 65536) a.write(big.subarray(i, i + 65536));
  a.write('\r\n');
  assert.match((await a.until('b1', 120_000)).status, /^OK \[APPENDUID/);
  await a.cmd('SELECT Drafts');
  const f = await a.cmd('FETCH 1 (RFC822.SIZE BODY.PEEK[])', 60_000);
  assert.ok(f.lines[0].startsWith(`* 1 FETCH (RFC822.SIZE ${big.length} BODY[] {${big.length}}\r\n`));
  assert.ok(f.lines[0].includes(big.subarray(0, 2000).toString()));
  assert.equal(f.lines[0].length, `* 1 FETCH (RFC822.SIZE ${big.length} BODY[] {${big.length}}\r\n`.length + big.length + 1);
  a.close();
});

test('moving mail into Spam trains the real Bayes store for that user; moving it back to INBOX trains ham', async () => {
  const { bayesStoreFor } = await import('../../engine/spam/learn.js');
  const a = await RawClient.connect(h.plain.port);
  await a.login();
  await h.store.append(USER, 'INBOX', mail(['From: cheap@pills.example', 'Subject: cheap pills now', 'Message-ID: <learn1@pills.example>', '', 'buy cheap pills today, limited offer']));
  await a.cmd('SELECT INBOX');
  const uid = (await a.cmd('UID SEARCH SUBJECT pills')).lines[0].split(' ').pop();
  const before = bayesStoreFor(h.config.data_dir).totals(USER);
  assert.match((await a.cmd(`UID MOVE ${uid} Spam`)).status, /^OK/);
  const afterSpam = bayesStoreFor(h.config.data_dir).totals(USER);
  assert.equal(afterSpam.spam, before.spam + 1);
  await a.cmd('SELECT Spam');
  const suid = (await a.cmd('UID SEARCH SUBJECT pills')).lines[0].split(' ').pop();
  assert.match((await a.cmd(`UID MOVE ${suid} INBOX`)).status, /^OK/);
  assert.equal(bayesStoreFor(h.config.data_dir).totals(USER).ham, afterSpam.ham + 1);
  a.close();
});
