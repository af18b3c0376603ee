// The list engine on a real data dir (SQLite, spool, Maildirs) without a server, with an injected clock:
// crash windows of distribution (before and after the commit of a batch: each member gets one copy, none is
// lost), expired moderation tokens, VERP per domain and its bounce matching, digests, bounce grace, the list
// origin's DKIM key, and the housekeeping scheduler's timing on mock.timers.
import { test, mock, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import { openDatabase } from '../../engine/db/database.js';
import { directoryFor } from '../../engine/context.js';
import { listRuntime, type ListRuntime } from '../../engine/lists/runtime.js';
import { distribute, postBatch } from '../../engine/lists/distribute.js';
import { copies } from '../../engine/lists/verp.js';
import { buildCopy } from '../../engine/lists/copy.js';
import { originate, originatingDir, promoteOriginated } from '../../engine/queue/notices.js';
import { decideByToken, holdPost } from '../../engine/lists/moderation.js';
import { receivePost } from '../../engine/lists/post.js';
import { heldFile } from '../../engine/lists/paths.js';
import { rowToken, groupToken, verpToken } from '../../engine/lists/tokens.js';
import { handleBounce, sweepBounced } from '../../engine/lists/bounces.js';
import { generateKey, signingKey } from '../../engine/outbound/dkim.js';
import { digestIfDue } from '../../engine/lists/digest-store.js';
import { ListScheduler } from '../../engine/lists/scheduler.js';
import { buildDsn } from '../../engine/outbound/dsn.js';
import { decodeHeader } from '../../engine/spool/envelope.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function lab(extra = ''): { rt: ListRuntime; clock: { now: number }; queued(): string[]; read(id: string): { from: string; to: string[]; raw: string } } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-lists-'));
  dirs.push(dir);
  const config = parseConfigText(
    `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[dns]\nservers = ["127.0.0.1:9"]\ntimeout = "200ms"\n${extra}\n`,
    path.join(dir, 'tegami.toml'),
  );
  const db = openDatabase(config.data_dir);
  const directory = directoryFor(config, db);
  const clock = { now: Date.UTC(2025, 0, 1) };
  const rt: ListRuntime = { ...listRuntime(config, db, directory), now: () => clock.now };
  const qdir = path.join(config.data_dir, 'spool', 'queue');
  return {
    rt,
    clock,
    queued: () => fs.readdirSync(qdir).filter((n) => !n.includes('.')).sort(),
    read: (id) => {
      const all = fs.readFileSync(path.join(qdir, id));
      const h = decodeHeader(all);
      if (!h.ok) throw new Error(`${id}: ${h.reason}`);
      return { from: h.envelope.mailFrom, to: h.envelope.rcptTo.map((r) => r.address), raw: all.subarray(h.bodyOffset).toString('latin1') };
    },
  };
}

const POST = Buffer.from('From: carol@remote.test\r\nTo: dev@example.test\r\nSubject: hello\r\nMessage-ID: <p1@remote.test>\r\n\r\nhi\r\n');
const poster = { name: '', address: 'carol@remote.test', local: 'carol', domain: 'remote.test' };

test('a crash before the batch commits leaves nothing queued; the re-run queues each copy once', async () => {
  const { rt, queued, read } = lab();
  rt.lists.createList('dev@example.test', { dmarcRewrite: 'never' });
  for (const a of ['a@remote.test', 'b@remote.test', 'c@other.test']) rt.lists.addMember('dev@example.test', a);
  const list = rt.lists.list('dev@example.test')!;
  const batch = postBatch(list.address, 'k1');
  const copy = buildCopy({ list, raw: POST, poster, rewriteFrom: false, hostname: 'mx.example.test', hopId: batch, now: rt.now() });
  // the first run dies between staging and its commit
  await assert.rejects(originate(rt.spool, batch, copies(rt, list, rt.lists.members(list.address), copy, batch), () => {
    throw new Error('killed');
  }));
  assert.deepEqual(queued(), [], 'nothing the queue can see');
  assert.equal(fs.readdirSync(path.join(originatingDir(rt.spool), batch)).length, 3, 'staged, invisible');
  // a member removed before the re-run: the copy staged for them by the dead attempt is not sent
  rt.lists.removeMember(list.address, 'c@other.test');
  rt.lists.addMember(list.address, 'c2@other.test');
  const out = await distribute(rt, list, POST, { postKey: 'k1', poster, mailFrom: 'carol@remote.test' });
  assert.equal(out.originated.length, 3);
  assert.deepEqual(queued().map((id) => read(id).to[0]).sort(), ['a@remote.test', 'b@remote.test', 'c2@other.test']);
  assert.deepEqual(queued(), [...out.originated].sort(), 'the same three ids, once each');
  // a third run (the post retried after the 250 was lost) sends nothing more
  const again = await distribute(rt, list, POST, { postKey: 'k1', poster, mailFrom: 'carol@remote.test' });
  assert.deepEqual(again.originated, []);
  assert.equal(again.events[0].event, 'list-duplicate');
  assert.equal(queued().length, 3);
});

test('a crash after the commit, before the copies moved: the re-run or the recovery moves them, never twice', async () => {
  const { rt, queued } = lab();
  rt.lists.createList('dev@example.test', { dmarcRewrite: 'never' });
  for (const a of ['a@remote.test', 'b@remote.test']) rt.lists.addMember('dev@example.test', a);
  const list = rt.lists.list('dev@example.test')!;
  const batch = postBatch(list.address, 'k2');
  const copy = buildCopy({ list, raw: POST, poster, rewriteFrom: false, hostname: 'mx.example.test', hopId: batch, now: rt.now() });
  await assert.rejects(originate(rt.spool, batch, copies(rt, list, rt.lists.members(list.address), copy, batch), async () => {
    await rt.activity.recordPost(list.address, 'k2', batch, rt.now());
    throw new Error('killed after the commit');
  }));
  assert.deepEqual(queued(), []);
  // the start-up recovery promotes committed batches (and leaves a fresh uncommitted one alone)
  const staleOther = path.join(originatingDir(rt.spool), 'Lstale');
  fs.mkdirSync(staleOther);
  const ids = await promoteOriginated(rt.spool, (b) => rt.activity.batchCommitted(b), 60_000);
  assert.equal(ids.length, 2);
  assert.deepEqual(queued(), ids.sort());
  assert.ok(fs.existsSync(staleOther), 'an uncommitted batch younger than the limit stays');
  await promoteOriginated(rt.spool, () => false, 0, Date.now() + 1000);
  assert.ok(!fs.existsSync(staleOther), 'an old uncommitted one is removed');
  // and the post's re-run only finds nothing left to move
  const again = await distribute(rt, list, POST, { postKey: 'k2', poster, mailFrom: 'carol@remote.test' });
  assert.deepEqual(again.originated, []);
  assert.equal(queued().length, 2);
});

test('moderation tokens: an expired one is refused and logged, and the held post dropped', async () => {
  const { rt, clock } = lab('[lists]\nheld_lifetime = "1h"');
  rt.lists.createList('dev@example.test');
  const list = rt.lists.list('dev@example.test')!;
  await holdPost(rt, list, POST, { postKey: 'k3', sender: 'carol@remote.test', mailFrom: 'carol@remote.test', reason: 'the sender is not a member' });
  const held = (await rt.activity.heldPosts(list.address))[0];
  assert.ok(held.notified, 'the moderators were told');
  clock.now += 2 * 3_600_000;
  const out = await decideByToken(rt, list, 'approve', rowToken(rt.key, 'approve', list.address, held.id), 'moder@example.test');
  assert.equal(out.events[0].event, 'list-token-refused');
  assert.match(String(out.events[0].fields.problem), /expired/);
  assert.equal(await rt.activity.heldById(held.id), undefined);
  assert.ok(!out.originated.length, 'nothing distributed');
});

test('a full moderation queue: an ordinary post is refused (its sender told), one classified as spam is discarded and logged, never bounced', async () => {
  const { rt, queued } = lab('[lists]\nmax_held = 1');
  rt.lists.createList('dev@example.test', { post: 'members' });
  const list = rt.lists.list('dev@example.test')!;
  const mail = (n: number) => Buffer.from(POST.toString('latin1').replace('<p1@', `<full${n}@`));
  const first = await receivePost(rt, list, { raw: mail(1), mailFrom: 'carol@remote.test', spam: false });
  assert.equal(first.events.find((e) => e.event === 'list-held')?.fields.list, list.address, 'the first post is held');
  const before = queued().length;
  const ham = await receivePost(rt, list, { raw: mail(2), mailFrom: 'carol@remote.test', spam: false });
  assert.match(ham.failed[0]?.reason ?? '', /moderation queue is full/, 'an ordinary post over the cap is refused: its sender gets a notice');
  const spam = await receivePost(rt, list, { raw: mail(3), mailFrom: 'forged@remote.test', spam: true });
  assert.deepEqual(spam.failed, [], 'spam over the cap makes no notice to its (forgeable) envelope sender');
  const ev = spam.events.find((e) => e.event === 'list-held-full');
  assert.equal(ev?.fields.action, 'discarded', 'the log says it was discarded');
  assert.equal(queued().length, before, 'nothing queued for the spam');
  assert.equal((await rt.activity.heldPosts(list.address)).length, 1, 'neither was kept');
});

test('the moderation queue cap holds when posts arrive at once: checked and kept in one transaction', async () => {
  const { rt } = lab('[lists]\nmax_held = 2\nmax_held_bytes = "1M"');
  rt.lists.createList('dev@example.test', { post: 'members' });
  const list = rt.lists.list('dev@example.test')!;
  const mail = (n: number, pad = '') => Buffer.from(POST.toString('latin1').replace('<p1@', `<race${n}@`).replace('hi\r\n', `hi ${pad}\r\n`));
  // five posts at once: each reads the queue before any of them has written its file and row
  const outs = await Promise.all([1, 2, 3, 4, 5].map((n) => holdPost(rt, list, mail(n), { postKey: `race${n}`, sender: 'carol@remote.test', mailFrom: 'carol@remote.test', reason: 'the sender is not a member' })));
  assert.equal(outs.filter((o) => o.events.some((e) => e.event === 'list-held')).length, 2, 'two held');
  assert.equal(outs.filter((o) => /moderation queue is full \(2 posts\)/.test(o.failed[0]?.reason ?? '')).length, 3, 'three refused, their senders told');
  assert.equal((await rt.activity.heldPosts(list.address)).length, 2, 'the queue holds two');
  const files = fs.readdirSync(path.dirname(heldFile(rt.config.data_dir, list, 'aaaaaaaaaa')));
  assert.equal(files.length, 2, `no file left behind by a refused post: ${files.join(', ')}`);

  // the bytes cap likewise: two posts of 600 KB at once on an empty queue, one fits
  const { rt: rt2 } = lab('[lists]\nmax_held = 10\nmax_held_bytes = "1M"');
  rt2.lists.createList('dev@example.test', { post: 'members' });
  const list2 = rt2.lists.list('dev@example.test')!;
  const big = await Promise.all([1, 2].map((n) => holdPost(rt2, list2, mail(n, 'x'.repeat(600_000)), { postKey: `big${n}`, sender: 'carol@remote.test', mailFrom: 'carol@remote.test', reason: 'the sender is not a member' })));
  assert.equal(big.filter((o) => /moderation queue is full \(1048576 bytes\)/.test(o.failed[0]?.reason ?? '')).length, 1);
  assert.equal((await rt2.activity.heldPosts(list2.address)).length, 1);
});

test('VERP per domain: one copy per destination domain; a bounce counts only for a member of that domain it names', async () => {
  const { rt, queued, read } = lab('[lists]\nverp = "domain"\nbounce_interval = "0s"');
  rt.lists.createList('dev@example.test', { dmarcRewrite: 'never' });
  for (const a of ['a@remote.test', 'b@remote.test', 'c@other.test']) rt.lists.addMember('dev@example.test', a);
  const list = rt.lists.list('dev@example.test')!;
  await distribute(rt, list, POST, { postKey: 'k4', poster, mailFrom: 'carol@remote.test' });
  const envs = queued().map(read);
  assert.deepEqual(envs.map((e) => e.to.sort()).sort(), [['a@remote.test', 'b@remote.test'], ['c@other.test']]);
  const token = groupToken(rt.key, list.address, 'remote.test');
  assert.ok(envs.some((e) => e.from === `dev-bounces+${token}@example.test`));
  const dsn = (address: string) =>
    buildDsn({ action: 'failed', hostname: 'mx.remote.test', envelope: { id: 'Q', time: 0, mailFrom: 'x@example.test', rcptTo: [], client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } }, recipients: [{ address, action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 unknown', fromRemote: true }], original: Buffer.alloc(0) })!.raw;
  let out = await handleBounce(rt, list, token, dsn('b@remote.test'));
  assert.equal(out.events.find((e) => e.event === 'list-bounce')?.fields.member, 'b@remote.test');
  // the remote.test copy's token cannot make a member of other.test bounce
  out = await handleBounce(rt, list, token, dsn('c@other.test'));
  assert.ok(!out.events.some((e) => e.event === 'list-bounce'));
  assert.deepEqual(out.events.map((e) => e.event), ['list-bounce-read', 'list-bounce-unmatched']);
});

test('digest: members who asked get one MIME digest per interval with every post collected', async () => {
  const { rt, clock, queued, read } = lab('[lists]\ndigest_interval = "1d"');
  rt.lists.createList('dev@example.test', { digest: true, dmarcRewrite: 'never' });
  rt.lists.addMember('dev@example.test', 'now@remote.test');
  rt.lists.addMember('dev@example.test', 'daily@remote.test', { digest: true });
  const list = rt.lists.list('dev@example.test')!;
  for (const [i, s] of ['one', 'two'].entries()) {
    const raw = Buffer.from(POST.toString('latin1').replace('Subject: hello', `Subject: post ${s}`).replace('<p1@', `<p${i + 10}@`), 'latin1');
    await distribute(rt, list, raw, { postKey: `d${i}`, poster, mailFrom: 'carol@remote.test' });
  }
  assert.ok(queued().map(read).every((e) => e.to.join() === 'now@remote.test'), 'the digest member got no single copies');
  const before = new Set(queued());
  assert.deepEqual((await digestIfDue(rt, list, clock.now + 3_600_000)).originated, [], 'the first posts wait a whole interval');
  clock.now += 86_400_000;
  const first = await digestIfDue(rt, list, clock.now);
  assert.equal(first.originated.length, 1);
  const d = read(first.originated[0]);
  assert.deepEqual(d.to, ['daily@remote.test']);
  assert.match(d.raw, /^Subject: dev Digest, Issue 1\r$/m);
  assert.match(d.raw, /Content-Type: multipart\/digest/);
  assert.match(d.raw, /1\. \[dev\] post one/);
  assert.match(d.raw, /2\. \[dev\] post two/);
  assert.equal((d.raw.match(/^Subject: \[dev\] post /gm) ?? []).length, 2, 'both posts inside');
  assert.equal(queued().filter((q) => !before.has(q)).length, 1);
  // nothing more until the interval has passed and a post came
  await distribute(rt, list, Buffer.from(POST.toString('latin1').replace('<p1@', '<p99@'), 'latin1'), { postKey: 'd9', poster, mailFrom: 'carol@remote.test' });
  assert.deepEqual((await digestIfDue(rt, list, clock.now + 3_600_000)).originated, []);
  clock.now += 86_400_000;
  const second = await digestIfDue(rt, list, clock.now);
  assert.match(read(second.originated[0]).raw, /Issue 2/);
});

test('the housekeeping scheduler: a full sweep first and hourly, one run at a time, nothing after stop()', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  try {
    const runs: { at: number; full: boolean }[] = [];
    let release: () => void = () => {};
    const s = new ListScheduler({
      interval: 5000,
      fullEvery: 3_600_000,
      now: () => Date.now(),
      run: (t) => {
        runs.push({ at: t.now, full: t.full });
        return new Promise<unknown>((r) => (release = () => r({ originated: [], events: [] })));
      },
      accept: () => {},
      onError: (e) => assert.fail(e),
    });
    s.start();
    mock.timers.tick(0);
    assert.deepEqual(runs, [{ at: 0, full: true }]);
    mock.timers.tick(60_000);
    assert.equal(runs.length, 1, 'no second run while one is in flight');
    release();
    await new Promise((r) => setImmediate(r));
    mock.timers.tick(5000);
    assert.deepEqual(runs[1], { at: 65_000, full: false });
    for (let i = 0; i < 800 && runs.length < 800; i++) {
      release();
      await new Promise((r) => setImmediate(r));
      mock.timers.tick(5000);
    }
    const fulls = runs.filter((r) => r.full).map((r) => r.at);
    assert.ok(fulls.length >= 2);
    assert.ok(fulls[1] >= 3_600_000 && fulls[1] < 3_600_000 + 10_000, `second full sweep after an hour (${fulls[1]})`);
    release();
    await s.stop();
    const n = runs.length;
    mock.timers.tick(60_000);
    assert.equal(runs.length, n, 'stopped');
  } finally {
    mock.timers.reset();
  }
});

test('bounce grace: a member disabled by bounces is removed once bounce_grace has passed, not before', async () => {
  const { rt, clock } = lab('[lists]\nbounce_threshold = 2\nbounce_interval = "1h"\nbounce_grace = "3d"');
  rt.lists.createList('dev@example.test');
  rt.lists.addMember('dev@example.test', 'gone@remote.test');
  rt.lists.addMember('dev@example.test', 'kept@remote.test');
  const list = rt.lists.list('dev@example.test')!;
  const m = rt.lists.member(list.address, 'gone@remote.test')!;
  const token = verpToken(rt.key, list.address, m.id, m.address);
  const dsn = buildDsn({ action: 'failed', hostname: 'mx.remote.test', envelope: { id: 'Q', time: 0, mailFrom: 'x@example.test', rcptTo: [], client: { ip: '127.0.0.1', helo: 'h', protocol: 'ESMTP', listener: 'smtp' } }, recipients: [{ address: 'gone@remote.test', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 unknown', fromRemote: true }], original: Buffer.alloc(0) })!.raw;
  await handleBounce(rt, list, token, dsn);
  await handleBounce(rt, list, token, dsn);
  assert.equal(rt.lists.member(list.address, m.address)!.disabled, false, 'two bounces within bounce_interval count once');
  clock.now += 2 * 3_600_000;
  const out = await handleBounce(rt, list, token, dsn);
  assert.ok(out.events.some((e) => e.event === 'list-member-disabled'));
  assert.equal(out.originated.length, 1, 'the member is told');
  assert.deepEqual((await sweepBounced(rt, clock.now + 2 * 86_400_000)).events, []);
  assert.ok(rt.lists.member(list.address, m.address), 'still there inside the grace period');
  assert.equal((await sweepBounced(rt, clock.now + 3 * 86_400_000)).events[0].event, 'list-member-removed');
  assert.equal(rt.lists.member(list.address, m.address), undefined);
  assert.ok(rt.lists.member(list.address, 'kept@remote.test'));
});

test("a list's copy is signed with the list domain's key whatever its From: says; nothing else changes", async () => {
  const { rt } = lab();
  generateKey(rt.config.data_dir, 'example.test', 's1');
  generateKey(rt.config.data_dir, 'other.test', 's1');
  const msg = Buffer.from('From: someone@other.test\r\nSubject: x\r\n\r\nbody\r\n');
  const list = signingKey(rt.config.data_dir, { kind: 'tegami', source: 'list', domain: 'example.test' }, msg);
  assert.ok(list.sign && list.key.domain === 'example.test');
  const dsn = signingKey(rt.config.data_dir, { kind: 'tegami', source: 'dsn', domain: 'example.test' }, msg);
  assert.equal(dsn.sign, false, 'other kinds of our own mail still need their From: domain');
  assert.equal(signingKey(rt.config.data_dir, { kind: 'relayed' }, msg).sign, false);
});
