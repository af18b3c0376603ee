// Sequence sets are normalised as they are parsed (engine/imap/protocol/sequence.ts): thousands of "1:*" ranges
// become one, so FETCH/STORE/COPY/SEARCH walk the mailbox once, not once per range — and the answer is the same.
// Checked against each range resolved on its own (as before) on random sets, and over a real socket with imaplib
// (FETCH, UID FETCH, SEARCH, UID SEARCH, STORE).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSequenceSet, resolveSeq, resolveUid } from '../../engine/imap/protocol/sequence.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { run } from '../helpers/server.js';
import { PASS, USER, mail, startHarness, type Harness } from './harness.js';

/** The union of what each range of `set` selects on its own (each range resolved alone, as before normalising). */
function eachAlone(set: string, resolve: (one: ReturnType<typeof parseSequenceSet> & object) => number[]): number[] {
  const hit = new Set<number>();
  for (const part of set.split(',')) for (const n of resolve(parseSequenceSet(part)!)) hit.add(n);
  return [...hit].sort((x, y) => x - y);
}

test('normalised sets select exactly what their ranges select one by one (random sets, sequence numbers and UIDs)', () => {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const num = () => (rnd(6) === 0 ? '*' : String(1 + rnd(40)));
  for (let i = 0; i < 3000; i++) {
    const set = Array.from({ length: 1 + rnd(8) }, () => (rnd(2) ? num() : `${num()}:${num()}`)).join(',');
    const ranges = parseSequenceSet(set)!;
    const count = rnd(35);
    assert.deepEqual(resolveSeq(ranges, count), eachAlone(set, (r) => resolveSeq(r, count)), `${set} over ${count} messages`);
    const uids = [...new Set(Array.from({ length: rnd(12) }, () => 1 + rnd(45)))].sort((x, y) => x - y);
    assert.deepEqual(resolveUid(ranges, uids), eachAlone(set, (r) => resolveUid(r, uids)), `UID ${set} over ${uids.join(' ')}`);
    // ascending, disjoint, at most one range with "*"
    for (let k = 1; k < ranges.length; k++) assert.ok(ranges[k].from > ranges[k - 1].to + 1, `${set} → ${JSON.stringify(ranges)}`);
  }
});

test('10,000 copies of 1:* are one range; a set keeps its bound', () => {
  assert.deepEqual(parseSequenceSet(Array(10_000).fill('1:*').join(',')), [{ from: 1, to: Infinity }]);
  assert.deepEqual(parseSequenceSet('7,3:5,6,20:*,*,9:12,30,1'), [{ from: 1, to: 1 }, { from: 3, to: 7 }, { from: 9, to: 12 }, { from: 20, to: Infinity }]);
  assert.deepEqual(parseSequenceSet('*,4:2'), [{ from: 2, to: 4 }, { from: Infinity, to: Infinity }]);
  assert.equal(parseSequenceSet(Array(10_001).fill('1').join(',')), null, 'still at most 10,000 ranges');
});

let h: Harness;
before(async () => {
  h = await startHarness({ store: (d) => new MaildirStore(d) });
  for (let i = 1; i <= 40; i++) await h.store.append(USER, 'INBOX', mail([`Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= ${i}`, '', `body ${i}`]));
});
after(() => h?.close());

test('over imaplib: thousands of overlapping ranges answer as the plain set does', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? '1:*' : i % 3 === 1 ? `${1 + (i % 40)}:${5 + (i % 30)}` : '*')).join(',');
  const code = `import imaplib, json
m = imaplib.IMAP4('127.0.0.1', ${h.plain.port}, timeout=60)
m._MAXLINE = 10_000_000
m.login(${JSON.stringify(USER)}, ${JSON.stringify(PASS)})
m.select('INBOX')
many = ${JSON.stringify(many)}
def d(x): return [i.decode() if isinstance(i, bytes) else (d(i) if isinstance(i, tuple) else i) for i in x]
out = {}
out['fetch'] = [d(m.fetch(s, '(UID FLAGS)')[1]) for s in (many, '1:*')]
out['uidfetch'] = [d(m.uid('FETCH', s, '(FLAGS)')[1]) for s in (many, '1:*')]
out['search'] = [d(m.search(None, s, 'ALL')[1]) for s in (many, '1:*')]
out['uidsearch'] = [d(m.uid('SEARCH', 'UID', s)[1]) for s in (many, '1:*')]
out['store'] = d(m.store(many, '+FLAGS', '(\\\\Flagged)')[1])
out['flagged'] = d(m.search(None, 'FLAGGED')[1])
m.logout()
print(json.dumps(out))`;
  const res = await run('python3', ['-c', code], { timeoutMs: 120_000 });
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, unknown[]>;
  for (const k of ['fetch', 'uidfetch', 'search', 'uidsearch']) {
    assert.deepEqual(out[k][0], out[k][1], k);
  }
  assert.equal((out.fetch[0] as unknown[]).length, 40, 'each message once');
  assert.equal((out.search[0] as string[])[0].split(' ').length, 40);
  assert.equal((out.store as unknown[]).length, 40, 'one FLAGS answer per message');
  assert.equal((out.flagged as string[])[0].split(' ').length, 40);
});
