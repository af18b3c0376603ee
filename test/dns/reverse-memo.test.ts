// The Received: line's client name kept per address (engine/dns/reverse-memo.ts): asked once for connections
// within a minute, asked again after it, failures and empty answers never kept, one lookup in flight shared,
// callers get copies, and the number of addresses kept is bounded, and so what each holds: the first name only, cut
// to 255 characters (a stranger's reverse zone may answer hundreds of long names; security review 11). A counting lookup and a fake clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { REVERSE_TTL_MS, ReverseMemo } from '../../engine/dns/reverse-memo.js';

function setup(answer: (ip: string, n: number) => Promise<string[]>) {
  let t = 1_000_000;
  const asked: string[] = [];
  const memo = new ReverseMemo(
    (ip) => {
      asked.push(ip);
      return answer(ip, asked.length);
    },
    () => t,
  );
  return { memo, asked, tick: (ms: number) => (t += ms) };
}

describe('ReverseMemo', () => {
  it('asks once per address within the minute, again after it', async () => {
    const { memo, asked, tick } = setup(async (ip, n) => [`host${n}.${ip}.example`]);
    assert.deepEqual(await memo.reverse('192.0.2.1'), ['host1.192.0.2.1.example']);
    tick(REVERSE_TTL_MS - 1);
    assert.deepEqual(await memo.reverse('192.0.2.1'), ['host1.192.0.2.1.example']);
    assert.deepEqual(await memo.reverse('192.0.2.2'), ['host2.192.0.2.2.example']);
    assert.deepEqual(asked, ['192.0.2.1', '192.0.2.2']);
    tick(1);
    assert.deepEqual(await memo.reverse('192.0.2.1'), ['host3.192.0.2.1.example']);
    assert.equal(asked.length, 3);
  });

  it('keeps no failure and no empty answer', async () => {
    const { memo, asked } = setup(async (_ip, n) => {
      if (n === 1) throw Object.assign(new Error('queryPtr ENOTFOUND'), { code: 'ENOTFOUND' });
      if (n === 2) return [];
      return ['mx.example'];
    });
    await assert.rejects(memo.reverse('198.51.100.7'), /ENOTFOUND/);
    assert.deepEqual(await memo.reverse('198.51.100.7'), []);
    assert.deepEqual(await memo.reverse('198.51.100.7'), ['mx.example']);
    assert.deepEqual(await memo.reverse('198.51.100.7'), ['mx.example']);
    assert.equal(asked.length, 3);
  });

  it('shares a lookup in flight, and hands out copies', async () => {
    let release!: (v: string[]) => void;
    const { memo, asked } = setup(() => new Promise((r) => (release = r)));
    const a = memo.reverse('2001:db8::1');
    const b = memo.reverse('2001:db8::1');
    release(['v6.example']);
    const [x, y] = await Promise.all([a, b]);
    assert.deepEqual(x, ['v6.example']);
    assert.equal(asked.length, 1);
    x.push('changed');
    y.length = 0;
    assert.deepEqual(await memo.reverse('2001:db8::1'), ['v6.example']);
  });

  it('keeps at most 4096 addresses, the oldest going first', async () => {
    const { memo, asked } = setup(async (ip) => [`n.${ip}`]);
    for (let i = 0; i < 5000; i++) await memo.reverse(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(memo.size, 4096);
    await memo.reverse('10.0.19.135'); // the last one: kept
    assert.equal(asked.length, 5000);
    await memo.reverse('10.0.0.0'); // the first one: gone, asked again
    assert.equal(asked.length, 5001);
  });

  it('keeps the first name only, at most 255 characters, however large the PTR set', async () => {
    // what one address of an attacker's reverse zone can answer: 250 names of 250 characters (62 KB over TCP)
    const long = (i: number) => `${String(i).padStart(3, '0')}${'a'.repeat(58)}.`.repeat(4) + 'example';
    const { memo, asked } = setup(async (ip) => (ip === '2001:db8::77' ? ['x'.repeat(4000) + '.example'] : Array.from({ length: 250 }, (_, i) => long(i))));
    assert.deepEqual(await memo.reverse('2001:db8::66'), [long(0)]);
    assert.deepEqual(await memo.reverse('2001:db8::66'), [long(0)], 'kept as handed out');
    assert.equal(asked.length, 1);
    const [name] = await memo.reverse('2001:db8::77');
    assert.equal(name.length, 255, 'what the Received: line keeps of a name');
  });
});
