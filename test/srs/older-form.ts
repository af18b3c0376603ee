// SRS0 addresses of the older form (before copy tags: the MAC alone, one address per sender and day), made here
// from the key as the code before stop 31 made them, for the tests that such addresses still reverse and keep
// their per-sender bound until they expire.
import crypto from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The day stamp of `now`: days since the epoch modulo 1024, two base32 characters. */
export function dayStamp(now: number): string {
  const day = Math.floor(now / 86_400_000) % 1024;
  return B32[day >> 5] + B32[day & 31];
}

export function olderSrs0(key: Buffer, now: number, original: string, srsDomain: string): string {
  const at = original.lastIndexOf('@');
  const [local, domain] = [original.slice(0, at), original.slice(at + 1)];
  const tt = dayStamp(now);
  const mac = crypto.createHmac('sha256', key).update([tt, domain, local].join('\0').toLowerCase(), 'utf8').digest();
  let bits = '';
  for (const b of mac.subarray(0, 4)) bits += b.toString(2).padStart(8, '0');
  const hash = [0, 1, 2, 3, 4, 5].map((i) => B32[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]).join('');
  return `SRS0=${hash}=${tt}=${domain}=${local}@${srsDomain}`;
}
