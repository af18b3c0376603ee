// The resolver's answer cache: one entry per (type, name), names compared without case or trailing dot.
// Answers live for their TTL (capped), NXDOMAIN/NODATA for their SOA's negative TTL (RFC 2308, capped), failed
// lookups (SERVFAIL, timeout) a few seconds at most; two callers asking the same question at once share one query.
// It never grows past its entry and byte limits (least recently used goes first), whatever names it is asked.

/** What a lookup came to: records (in node's shapes), or the node error code it fails with. */
export type DnsAnswer = { ok: true; value: unknown } | { ok: false; code: string };

/** A lookup's answer and how long (seconds) it may be reused; kind says which cap applies. */
export interface FreshAnswer {
  answer: DnsAnswer;
  ttl: number;
  kind: 'answer' | 'negative' | 'failure';
}

export interface DnsCacheOptions {
  /** Most entries kept (0: no cache, every question asked; in-flight questions are still shared). */
  maxEntries: number;
  /** Cap on an answer's TTL, seconds. */
  maxTtl: number;
  /** Cap on NXDOMAIN/NODATA, seconds. */
  maxNegativeTtl: number;
  /** How long a failure (SERVFAIL, REFUSED, timeout) is reused, seconds. */
  failureTtl?: number;
  /** Cap on the estimated bytes of all entries (a name and its records). */
  maxBytes?: number;
}

interface Entry {
  expires: number;
  answer: DnsAnswer;
  bytes: number;
}

export const FAILURE_TTL_S = 5;
export const MAX_CACHE_BYTES = 8 * 1024 * 1024;
/** An entry bigger than this (a huge TXT set) is used once and not kept. */
const MAX_ENTRY_BYTES = 16 * 1024;

/** The cache key: "TYPE name", lower case, no trailing dot. */
export function cacheKey(type: string, name: string): string {
  let n = name.toLowerCase();
  while (n.endsWith('.')) n = n.slice(0, -1);
  return `${type.toUpperCase()} ${n}`;
}

/** A rough size of an answer: its strings' lengths plus a fixed overhead per value. */
function sizeOf(v: unknown, depth = 0): number {
  if (typeof v === 'string') return 16 + v.length;
  if (depth > 4 || v === null || typeof v !== 'object') return 16;
  let n = 32;
  for (const x of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) n += sizeOf(x, depth + 1);
  return n;
}

export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<DnsAnswer>>();
  private bytes = 0;
  private readonly failureTtl: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: DnsCacheOptions) {
    this.failureTtl = Math.min(opts.failureTtl ?? FAILURE_TTL_S, FAILURE_TTL_S);
    this.maxBytes = opts.maxBytes ?? MAX_CACHE_BYTES;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer to (type, name), else ask() once however many callers wait for it, and keep its answer. */
  lookup(type: string, name: string, ask: () => Promise<FreshAnswer>): Promise<DnsAnswer> {
    const key = cacheKey(type, name);
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.expires > Date.now()) {
        // most recently used goes last in the Map's order, so eviction takes the least recently used first
        this.entries.delete(key);
        this.entries.set(key, hit);
        return Promise.resolve(hit.answer);
      }
      this.drop(key, hit);
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = ask().then(
      (fresh) => {
        this.inFlight.delete(key);
        this.keep(key, fresh);
        return fresh.answer;
      },
      (e: unknown) => {
        this.inFlight.delete(key);
        throw e;
      },
    );
    this.inFlight.set(key, p);
    return p;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private keep(key: string, fresh: FreshAnswer): void {
    if (this.opts.maxEntries <= 0) return;
    const cap = fresh.kind === 'answer' ? this.opts.maxTtl : fresh.kind === 'negative' ? this.opts.maxNegativeTtl : this.failureTtl;
    const ttl = Math.min(Math.max(0, Math.floor(fresh.ttl)), cap);
    if (!(ttl > 0)) return;
    const bytes = key.length + 48 + sizeOf(fresh.answer.ok ? fresh.answer.value : fresh.answer.code);
    if (bytes > MAX_ENTRY_BYTES) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { expires: Date.now() + ttl * 1000, answer: fresh.answer, bytes });
    this.bytes += bytes;
    while (this.entries.size > this.opts.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.drop(oldest.value, this.entries.get(oldest.value)!);
    }
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
  }
}
