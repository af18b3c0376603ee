// Signed tokens of the list addresses: moderation (approve/reject a held post), confirmation of a
// subscription request, and VERP (which member a bounce is about). An HMAC-SHA-256 under a key derived from
// the server key (keys/secret.key), truncated to 80 bits, lower-case base32 so an address keeps it intact.
// A token proves only that we made it; expiry and replay are checked against the stored row it names.
import crypto from 'node:crypto';

export type TokenKind = 'approve' | 'reject' | 'confirm' | 'admit' | 'verp' | 'group' | 'unsubscribe';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= 0xff;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** The token key for lists, derived from the server key (never the server key itself). */
export function listKey(serverKey: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', serverKey, Buffer.alloc(0), Buffer.from('tegami mailing-list tokens v1'), 32));
}

/** A random id for a held post or a request: 10 base32 characters (50 bits). */
export function newId(): string {
  return base32(crypto.randomBytes(7)).slice(0, 10);
}

export function mac(key: Buffer, kind: TokenKind, ...parts: string[]): string {
  const h = crypto.createHmac('sha256', key);
  h.update(kind);
  for (const p of parts) h.update(`\0${p.toLowerCase()}`);
  return base32(h.digest().subarray(0, 10));
}

export function macMatches(key: Buffer, given: string, kind: TokenKind, ...parts: string[]): boolean {
  const want = Buffer.from(mac(key, kind, ...parts));
  const got = Buffer.from(given.toLowerCase());
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

/** A moderation or confirmation token for a stored row: "<id>-<mac>". */
export function rowToken(key: Buffer, kind: 'approve' | 'reject' | 'confirm' | 'admit', list: string, id: string): string {
  return `${id}-${mac(key, kind, list, id)}`;
}

/** The row id a well-formed row token names and whether its signature holds; null when it is no token at all. */
export function checkRowToken(key: Buffer, kind: 'approve' | 'reject' | 'confirm' | 'admit', list: string, token: string): { id: string; valid: boolean } | null {
  const m = /^([a-z2-7]{10})-([a-z2-7]{16})$/.exec(token.toLowerCase());
  if (!m) return null;
  return { id: m[1], valid: macMatches(key, m[2], kind, list, m[1]) };
}

/** The VERP token of one member: "m<member id, base36>-<mac over list and address>". */
export function verpToken(key: Buffer, list: string, memberId: number, address: string): string {
  return `m${memberId.toString(36)}-${mac(key, 'verp', list, String(memberId), address)}`;
}

/** The token of a copy shared by the members of one destination domain: "g-<mac over list and domain>". */
export function groupToken(key: Buffer, list: string, domain: string): string {
  return `g-${mac(key, 'group', list, domain)}`;
}

/** The one-click unsubscribe token of one member (RFC 8058): "u<member id, base36>-<mac over list, id and address>". */
export function unsubscribeToken(key: Buffer, list: string, memberId: number, address: string): string {
  return `u${memberId.toString(36)}-${mac(key, 'unsubscribe', list, String(memberId), address)}`;
}

/** The member id an unsubscribe token names and its mac, or null when it has not the shape of one. */
export function parseUnsubscribeToken(token: string): { id: number; mac: string } | null {
  const m = /^u([0-9a-z]{1,11})-([a-z2-7]{16})$/.exec(token);
  return m ? { id: parseInt(m[1], 36), mac: m[2] } : null;
}

export type BounceToken = { kind: 'member'; id: number; mac: string } | { kind: 'group'; mac: string };

/** The shape of a bounce token (its signature is checked once the member or domain is known). */
export function parseBounceToken(token: string): BounceToken | null {
  const m = /^m([0-9a-z]{1,11})-([a-z2-7]{16})$/.exec(token);
  if (m) return { kind: 'member', id: parseInt(m[1], 36), mac: m[2] };
  const g = /^g-([a-z2-7]{16})$/.exec(token);
  return g ? { kind: 'group', mac: g[1] } : null;
}
