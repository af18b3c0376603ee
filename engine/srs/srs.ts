// Sender Rewriting Scheme (Shevek's SRS, as libsrs2 and postsrsd write it): the envelope sender of mail we
// forward off-site becomes an address in our domain that carries the original one, signed, so SPF passes at the
// next hop and its bounces come back here to be returned. SRS0 for a first rewrite, SRS1 for one already
// rewritten elsewhere (only the first hop is kept). The hash is a keyed HMAC-SHA256 (base32, case-insensitive)
// over the day stamp and the original address; reverse() refuses forged, altered and expired addresses.
// Each forwarded copy gets an address of its own: the hash field is the MAC followed by a random copy tag the MAC
// also covers (SRS0=MMMMMMCCCCC=TT=domain=local), so whoever read one copy knows that copy's address and no other,
// and bounces are counted per copy (security review 9). The older field of the MAC alone (6 characters, one
// address per sender and day) is still reversed until it expires, and reported as such (copy: false).
// Pure: the key, the clock and the random source are given; it never touches the network or the disk.
import crypto from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Characters of the hash kept in an address (30 bits: guessing one takes ~10⁹ tries of RCPT TO). */
const HASH_CHARS = 6;
/** Characters of the copy tag after it (25 bits: two copies of one sender share an address once in ~3·10⁷). */
const TAG_CHARS = 5;
/** Day stamps are two base32 characters: days since the epoch, modulo 1024. */
const STAMP_MOD = 1024;
/** A hash field or day stamp as we write it, in either case (ASCII: no character that only upper-cases to one). */
const BASE32_FIELD = /^[A-Za-z2-7]+$/;

export type SrsReverse =
  /** copy: the address names one forwarded copy (its tag); false for an address of the older form (one per sender and day). */
  | { ok: true; address: string; copy: boolean }
  | { ok: false; reason: 'not-srs' | 'malformed' | 'bad-hash' | 'expired' };

export interface SrsOptions {
  secret: Buffer;
  /** Whole days a rewritten address stays valid for replies (bounces). */
  maxAgeDays: number;
  now?: () => number;
  /** Random bytes for copy tags (tests give their own). */
  random?: (n: number) => Buffer;
}

/** Is this local part one of ours in form (SRS0=… / SRS1=…, any case)? */
export function isSrsLocal(local: string): boolean {
  return /^srs[01]=/i.test(local);
}

function split(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

export class Srs {
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;

  constructor(private readonly o: SrsOptions) {
    if (o.secret.length < 16) throw new Error('the SRS secret is shorter than 16 bytes');
    this.now = o.now ?? Date.now;
    this.random = o.random ?? crypto.randomBytes;
  }

  private hash(...parts: string[]): string {
    const mac = crypto.createHmac('sha256', this.o.secret).update(parts.join('\0').toLowerCase(), 'utf8').digest();
    let out = '';
    let bits = 0;
    let value = 0;
    for (const byte of mac) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5 && out.length < HASH_CHARS) {
        out += B32[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
      if (out.length >= HASH_CHARS) break;
    }
    return out;
  }

  /** A fresh copy tag, and the hash field for it: the MAC over the tag and `parts` (domain-separated from the older MAC), then the tag. */
  private copyField(...parts: string[]): string {
    const tag = [...this.random(TAG_CHARS)].map((b) => B32[b & 31]).join('');
    return this.hash('copy', tag, ...parts) + tag;
  }

  /**
   * Does a hash field check out for `parts`: the older MAC alone, or MAC + copy tag; null when it does not. Base32
   * in ASCII only: toUpperCase() makes 'ſ' an S and 'ı' an I, so without this one copy's field had 2ⁿ spellings
   * that all checked out, and each was a bounce count of its own (security review 11).
   */
  private checkField(field: string, ...parts: string[]): { copy: boolean } | null {
    if (!BASE32_FIELD.test(field)) return null;
    if (field.length === HASH_CHARS) return this.sameHash(field, this.hash(...parts)) ? { copy: false } : null;
    if (field.length !== HASH_CHARS + TAG_CHARS) return null;
    const tag = field.slice(HASH_CHARS).toUpperCase();
    return this.sameHash(field.slice(0, HASH_CHARS), this.hash('copy', tag, ...parts)) ? { copy: true } : null;
  }

  private today(): number {
    return Math.floor(this.now() / 86_400_000) % STAMP_MOD;
  }

  private stamp(): string {
    const d = this.today();
    return B32[d >> 5] + B32[d & 31];
  }

  private stampAge(tt: string): number | null {
    if (tt.length !== 2 || !BASE32_FIELD.test(tt)) return null;
    const t = tt.toUpperCase();
    const hi = B32.indexOf(t[0]);
    const lo = B32.indexOf(t[1]);
    if (hi < 0 || lo < 0) return null;
    return (this.today() - ((hi << 5) | lo) + STAMP_MOD) % STAMP_MOD;
  }

  private sameHash(given: string, expected: string): boolean {
    const a = Buffer.from(given.toUpperCase());
    const b = Buffer.from(expected);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  }

  /**
   * The envelope sender of one copy of mail from `sender` forwarded off-site by `srsDomain`: a new address for
   * every call (its copy tag). The null sender stays null. An SRS0 address from another forwarder becomes SRS1
   * (keeping its first hop); an SRS1 address keeps its first hop and gets our hash.
   */
  forward(sender: string, srsDomain: string): string {
    if (!sender) return '';
    const a = split(sender);
    if (!a) return sender;
    const m1 = /^srs1=[^=]+=([^=]+)=(=.*)$/i.exec(a.local);
    if (m1) {
      const [hop, rest] = [m1[1], m1[2]];
      return `SRS1=${this.copyField(hop, rest)}=${hop}=${rest}@${srsDomain}`;
    }
    const m0 = /^srs0(=.*)$/i.exec(a.local);
    if (m0) {
      const rest = m0[1];
      return `SRS1=${this.copyField(a.domain, rest)}=${a.domain}=${rest}@${srsDomain}`;
    }
    const tt = this.stamp();
    return `SRS0=${this.copyField(tt, a.domain, a.local)}=${tt}=${a.domain}=${a.local}@${srsDomain}`;
  }

  /** The address a bounce to `address` goes back to (SRS0: the original sender; SRS1: the first hop's SRS0 address). */
  reverse(address: string): SrsReverse {
    const a = split(address);
    if (!a || !isSrsLocal(a.local)) return { ok: false, reason: 'not-srs' };
    const m1 = /^srs1=([^=]+)=([^=]+)=(=.*)$/i.exec(a.local);
    if (m1) {
      const [hash, hop, rest] = [m1[1], m1[2], m1[3]];
      const f = this.checkField(hash, hop, rest);
      if (!f) return { ok: false, reason: 'bad-hash' };
      return { ok: true, address: `SRS0${rest}@${hop}`, copy: f.copy };
    }
    const m0 = /^srs0=([^=]+)=([^=]+)=([^=]+)=(.+)$/i.exec(a.local);
    if (!m0) return { ok: false, reason: 'malformed' };
    const [hash, tt, domain, local] = [m0[1], m0[2], m0[3], m0[4]];
    const f = this.checkField(hash, tt.toUpperCase(), domain, local);
    if (!f) return { ok: false, reason: 'bad-hash' };
    const age = this.stampAge(tt);
    if (age === null) return { ok: false, reason: 'malformed' };
    if (age > this.o.maxAgeDays) return { ok: false, reason: 'expired' };
    return { ok: true, address: `${local}@${domain}`, copy: f.copy };
  }
}
