import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddress } from '../../engine/policy/address.js';
import { IpList, isLoopback } from '../../engine/policy/cidr.js';
import { judgeRecipient, RelayPolicy } from '../../engine/policy/relay.js';
import { AuthThrottle } from '../../engine/policy/auth-throttle.js';
import type { AccountDirectory, Resolution } from '../../engine/accounts/directory.js';
import { Srs } from '../../engine/srs/srs.js';
import { SrsBounceCap } from '../../engine/srs/bounce-cap.js';

const dir = {
  localDomain: (d: string) => (['example.test', 'mx.example.test'].includes(d.toLowerCase()) ? 'example.test' : null),
  primaryDomain: () => 'example.test',
  resolve: (a: string): Resolution => (a === 'alice@example.test' ? { kind: 'mailbox', user: { address: a } as never } : { kind: 'unknown' }),
} as unknown as AccountDirectory;

describe('address parsing', () => {
  it('splits, lower-cases the domain and spots routing tricks', () => {
    const a = parseAddress('<Bob%evil.test@Example.TEST.>');
    assert.ok(a.ok);
    assert.equal(a.value.domain, 'example.test');
    assert.equal(a.value.routing, true);
    const b = parseAddress('<@relay.test,@other.test:alice@example.test>');
    assert.ok(b.ok);
    assert.equal(b.value.normalized, 'alice@example.test');
    assert.equal(b.value.routing, false);
    assert.ok(parseAddress('postmaster').ok);
    assert.equal(parseAddress('no-domain').ok, false);
    assert.equal(parseAddress('a@b@c').ok, true, 'the last @ splits; the local part then carries a routing @');
    assert.equal((parseAddress('a@b@c') as { value: { routing: boolean } }).value.routing, true);
  });
});

describe('relay judgement', () => {
  const none = new RelayPolicy('none', []);
  const anon = { ip: '192.0.2.9', authenticated: false };
  it('accepts existing local users and the bare postmaster, refuses unknown ones with 5.1.1', () => {
    assert.equal(judgeRecipient('alice@EXAMPLE.test', anon, dir, none).verdict.kind, 'accept');
    const pm = judgeRecipient('postmaster', anon, dir, none);
    assert.ok('address' in pm && pm.address === 'postmaster@example.test');
    const u = judgeRecipient('zed@example.test', anon, dir, none).verdict;
    assert.ok(u.kind === 'reject' && u.status === '5.1.1');
  });
  it('refuses relaying and routing tricks with 5.7.1', () => {
    for (const r of ['x@remote.test', 'x%remote.test@example.test', 'remote.test!x@example.test', 'x@[192.0.2.1]']) {
      const v = judgeRecipient(r, anon, dir, none).verdict;
      assert.ok(v.kind === 'reject' && v.status === '5.7.1', `${r}: ${JSON.stringify(v)}`);
    }
  });
  it('relays for authenticated clients and, in "addresses" mode, for listed networks', () => {
    assert.equal(judgeRecipient('x@remote.test', { ip: '192.0.2.9', authenticated: true }, dir, none).verdict.kind, 'accept');
    const listed = new RelayPolicy('addresses', ['10.1.0.0/16', '2001:db8::/32']);
    assert.equal(judgeRecipient('x@remote.test', { ip: '10.1.2.3', authenticated: false }, dir, listed).verdict.kind, 'accept');
    assert.equal(judgeRecipient('x@remote.test', { ip: '2001:db8::5', authenticated: false }, dir, listed).verdict.kind, 'accept');
    assert.equal(judgeRecipient('x@remote.test', { ip: '10.2.0.1', authenticated: false }, dir, listed).verdict.kind, 'reject');
  });
});

describe('SRS bounces from a stranger', () => {
  it('are counted per forwarded copy whichever of our domains the address is given in', () => {
    // reverse() does not read the domain after the @: a copy's address made in example.test checks out in
    // other.test too, and keyed with the domain each local domain gave the copy a count of its own (review 11)
    const two = { ...dir, localDomain: (d: string) => (['example.test', 'other.test', 'third.test'].includes(d.toLowerCase()) ? d.toLowerCase() : null) } as AccountDirectory;
    const srs = new Srs({ secret: Buffer.alloc(32, 3), maxAgeDays: 21 });
    const policy = new RelayPolicy('none', [], srs, new SrsBounceCap(20), new SrsBounceCap(2));
    const copy = srs.forward('victim@orig.test', 'example.test');
    const local = copy.slice(0, copy.lastIndexOf('@'));
    const bounce = { ip: '192.0.2.9', authenticated: false, nullSender: true };
    const kinds = [copy, copy, `${local}@other.test`, `${local}@THIRD.test`].map((a) => judgeRecipient(a, bounce, two, policy).verdict);
    assert.deepEqual(kinds.map((v) => v.kind), ['accept', 'accept', 'reject', 'reject']);
    assert.ok(kinds[2].kind === 'reject' && kinds[2].status === '4.7.1', JSON.stringify(kinds[2]));
    assert.equal(judgeRecipient(srs.forward('victim@orig.test', 'other.test'), bounce, two, policy).verdict.kind, 'accept', 'another copy its own count');
  });
});

describe('IP lists', () => {
  it('match IPv4, IPv6 and v4-mapped addresses; refuse bad entries', () => {
    const l = new IpList(['127.0.0.0/8', '::1', '2001:db8::/48']);
    assert.ok(l.has('127.9.9.9'));
    assert.ok(l.has('::ffff:127.0.0.1'));
    assert.ok(l.has('2001:db8:0:ffff::1'));
    assert.ok(!l.has('2001:db9::1'));
    assert.throws(() => new IpList(['10.0.0.0/33']));
    assert.throws(() => new IpList(['example.test']));
    assert.ok(isLoopback('::1') && isLoopback('127.0.0.2') && !isLoopback('10.0.0.1'));
  });
});

describe('auth throttle', () => {
  it('slows after N failures in the window, blocks after M, and forgets old failures', () => {
    let now = 0;
    const t = new AuthThrottle({ throttleAfter: 2, windowMs: 1000, maxDelayMs: 3000, blockAfter: 5, blockForMs: 10_000 }, () => now);
    assert.deepEqual(t.check('a'), { kind: 'allow', delayMs: 0 });
    t.fail('a');
    t.fail('a');
    const d = t.check('a');
    assert.ok(d.kind === 'allow' && d.delayMs > 0);
    now = 5000;
    assert.deepEqual(t.check('a'), { kind: 'allow', delayMs: 0 }, 'failures age out of the window');
    for (let i = 0; i < 5; i++) t.fail('a');
    assert.equal(t.check('a').kind, 'blocked');
    assert.equal(t.check('b').kind, 'allow', 'other addresses are not affected');
    now = 16_000;
    assert.equal(t.check('a').kind, 'allow', 'the block ends');
  });
});
