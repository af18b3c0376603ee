// The SRS codec (engine/srs): SRS0 for a first rewrite and back, SRS1 for an address another forwarder rewrote
// (only the first hop kept), case changes on the way tolerated, forged, altered and expired addresses refused
// (the clock on a fake), and the key file made once, private, and never replaced. Every copy gets an address of
// its own (a copy tag under the MAC); addresses of the older form (the MAC alone) still reverse until they expire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isSrsLocal, Srs } from '../../engine/srs/srs.js';
import { loadOrCreateSecret, parseSecret } from '../../engine/srs/secret.js';
import { olderSrs0 } from './older-form.js';

const DAY = 86_400_000;
const secret = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');

function codec(now: number, maxAgeDays = 21, key = secret): Srs {
  return new Srs({ secret: key, maxAgeDays, now: () => now });
}

test('SRS0: forward and reverse; the null sender stays null', () => {
  const t = Date.UTC(2026, 4, 1);
  const s = codec(t);
  const a = s.forward('Yamada.Taro@Orig.Example.jp', 'example.test');
  assert.match(a, /^SRS0=[A-Z2-7]{11}=[A-Z2-7]{2}=Orig\.Example\.jp=Yamada\.Taro@example\.test$/);
  assert.deepEqual(s.reverse(a), { ok: true, address: 'Yamada.Taro@Orig.Example.jp', copy: true });
  // a remote MTA that lower-cases the address on the way back does not break it
  assert.deepEqual(s.reverse(a.toLowerCase()), { ok: true, address: 'yamada.taro@orig.example.jp', copy: true });
  assert.equal(s.forward('', 'example.test'), '');
  assert.ok(isSrsLocal('srs0=x') && isSrsLocal('SRS1=y') && !isSrsLocal('srs2=z') && !isSrsLocal('alice'));
});

test('SRS1: an address rewritten by another forwarder keeps its first hop; the bounce goes back there', () => {
  const s = codec(Date.UTC(2026, 4, 1));
  const hop1 = 'SRS0=HHHHHH=AB=orig.test=sender@first.example';
  const a = s.forward(hop1, 'example.test');
  assert.match(a, /^SRS1=[A-Z2-7]{11}=first\.example==HHHHHH=AB=orig\.test=sender@example\.test$/);
  assert.deepEqual(s.reverse(a), { ok: true, address: hop1, copy: true });
  // forwarded again elsewhere and back to us: still the same first hop
  const again = s.forward(`SRS1=ZZZZZZ=first.example==HHHHHH=AB=orig.test=sender@second.example`, 'example.test');
  assert.deepEqual(s.reverse(again), { ok: true, address: hop1, copy: true });
  assert.notEqual(s.forward(hop1, 'example.test'), a, 'each copy its own SRS1 address too');
});

test('forged, altered and expired addresses are refused', () => {
  const t = Date.UTC(2026, 4, 1);
  const s = codec(t);
  const a = s.forward('sender@orig.test', 'example.test');
  const field = /^SRS0=([^=]+)=/.exec(a)![1];
  const [mac, tag] = [field.slice(0, 6), field.slice(6)];
  const other = (x: string) => x.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  assert.deepEqual(s.reverse(a.replace(field, other(mac) + tag)), { ok: false, reason: 'bad-hash' });
  assert.deepEqual(s.reverse(a.replace(field, mac + other(tag))), { ok: false, reason: 'bad-hash' }, 'another copy tag under the same MAC');
  assert.deepEqual(s.reverse(a.replace(field, mac)), { ok: false, reason: 'bad-hash' }, 'the MAC without its tag is no address of the older form');
  assert.deepEqual(s.reverse(a.replace(field, field + 'A')), { ok: false, reason: 'bad-hash' });
  assert.deepEqual(s.reverse(a.replace('sender@', 'victim@')), { ok: false, reason: 'bad-hash' });
  assert.deepEqual(s.reverse(a.replace('orig.test', 'other.test')), { ok: false, reason: 'bad-hash' });
  assert.deepEqual(codec(t, 21, Buffer.alloc(32, 7)).reverse(a), { ok: false, reason: 'bad-hash' }, 'another key');
  assert.deepEqual(s.reverse('SRS0=broken@example.test'), { ok: false, reason: 'malformed' });
  assert.deepEqual(s.reverse('alice@example.test'), { ok: false, reason: 'not-srs' });
  // valid for max_age whole days, not one more
  assert.equal(codec(t + 21 * DAY).reverse(a).ok, true);
  assert.deepEqual(codec(t + 22 * DAY).reverse(a), { ok: false, reason: 'expired' });
  // the day stamp wraps every 1024 days; an old stamp is not taken for a fresh one
  assert.deepEqual(codec(t + 500 * DAY).reverse(a), { ok: false, reason: 'expired' });
});

test('each forwarded copy gets its own address; one of the older form still reverses (copy: false) until it expires', () => {
  const t = Date.UTC(2026, 4, 1);
  const s = codec(t);
  const copies = new Set(Array.from({ length: 50 }, () => s.forward('sender@orig.test', 'example.test')));
  assert.equal(copies.size, 50, 'fifty copies, fifty addresses');
  for (const c of copies) assert.deepEqual(s.reverse(c), { ok: true, address: 'sender@orig.test', copy: true });
  // the tag comes from the random source given: a fixed source gives the same address, another source another one
  const fixed = (b: number) => new Srs({ secret, maxAgeDays: 21, now: () => t, random: (n) => Buffer.alloc(n, b) });
  assert.equal(fixed(1).forward('sender@orig.test', 'example.test'), fixed(1).forward('sender@orig.test', 'example.test'));
  assert.match(fixed(1).forward('sender@orig.test', 'example.test'), /^SRS0=[A-Z2-7]{6}BBBBB=/);
  assert.notEqual(fixed(1).forward('sender@orig.test', 'example.test'), fixed(2).forward('sender@orig.test', 'example.test'));

  const older = olderSrs0(secret, t, 'sender@orig.test', 'example.test');
  assert.deepEqual(s.reverse(older), { ok: true, address: 'sender@orig.test', copy: false });
  assert.deepEqual(s.reverse(older.toLowerCase()), { ok: true, address: 'sender@orig.test', copy: false });
  assert.deepEqual(s.reverse(older.replace('=sender@', '=victim@')), { ok: false, reason: 'bad-hash' });
  assert.equal(codec(t + 21 * DAY).reverse(older).ok, true);
  assert.deepEqual(codec(t + 22 * DAY).reverse(older), { ok: false, reason: 'expired' }, 'gone max_age after the upgrade at the latest');
});

test('the key file: made once, 0600, hex; an existing one is kept; a short one is an error, never replaced', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-srs-'));
  const file = path.join(dir, 'keys', 'srs.secret');
  const k1 = loadOrCreateSecret(file);
  assert.equal(k1.length, 32);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.deepEqual(loadOrCreateSecret(file), k1);
  fs.writeFileSync(file, 'abcd\n');
  assert.throws(() => loadOrCreateSecret(file), /shorter than 16 bytes/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'abcd\n');
  assert.equal(parseSecret(Buffer.from('x'.repeat(20)))?.length, 20, 'raw bytes when not hex');
});

test('a field spelled with a letter that only upper-cases to base32 (ſ → S, ı → I) is refused: one copy, one spelling', () => {
  // a day whose stamp holds an S ("AS"), and a copy tag of S and I (random bytes 18 and 8): each could be
  // written as ſ or ı and still check out, so one copy had 2ⁿ addresses, each with a bounce count of its own
  const t = (1024 * 20 + 18) * DAY;
  const s = new Srs({ secret, maxAgeDays: 21, now: () => t, random: (n) => Buffer.from([18, 8, 18, 8, 18].slice(0, n)) });
  const a = s.forward('sender@orig.test', 'example.test');
  assert.match(a, /^SRS0=[A-Z2-7]{6}SISIS=AS=orig\.test=sender@example\.test$/);
  assert.equal(s.reverse(a).ok, true);
  const tagAt = a.indexOf('SISIS=');
  const spell = (at: number, c: string) => a.slice(0, at) + c + a.slice(at + 1);
  assert.deepEqual(s.reverse(spell(tagAt, '\u017f')), { ok: false, reason: 'bad-hash' }, 'ſ for the tag S');
  assert.deepEqual(s.reverse(spell(tagAt + 1, '\u0131')), { ok: false, reason: 'bad-hash' }, 'ı for the tag I');
  assert.deepEqual(s.reverse(spell(tagAt + 7, '\u017f')), { ok: false, reason: 'malformed' }, 'ſ for the stamp S');
  // the older form's MAC alone: a sender whose field holds an S or an I
  const sender = Array.from({ length: 200 }, (_, i) => `s${i}@orig.test`).find((x) => /^SRS0=[^=]*[SI]/.test(olderSrs0(secret, t, x, 'example.test')))!;
  const older = olderSrs0(secret, t, sender, 'example.test');
  const at = older.search(/(?<=^SRS0=[^=]*)[SI]/);
  const other = older.slice(0, at) + (older[at] === 'S' ? '\u017f' : '\u0131') + older.slice(at + 1);
  assert.deepEqual(s.reverse(older), { ok: true, address: sender, copy: false });
  assert.deepEqual(s.reverse(other), { ok: false, reason: 'bad-hash' }, 'the older MAC spelled another way');
});
