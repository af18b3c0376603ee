// The client's name for the Received: line (resolver.reverse: /etc/hosts, then PTR), kept per IP address for a
// minute: a client that opens a connection per message (most senders of bulk mail do) is looked up once, not on
// every connection. Only answers are kept (a failure or "no name" is asked again by the next connection), at most
// MAX_ENTRIES addresses, oldest first out; connections at once from one address share the lookup in flight. Only
// the first name is kept and handed out (the one the Received: line shows), at most NAME_CHARS long: the answer is
// the client's own reverse zone's, and a PTR set of hundreds of long names (64 KB over TCP) kept for each of 4,096
// addresses would hold a quarter of a gigabyte, past the DNS cache's own byte bound (security review 11).
export const REVERSE_TTL_MS = 60_000;
const MAX_ENTRIES = 4096;
/** A name's characters kept: a DNS name is at most 253 in text; what the Received: line keeps of any (received.ts). */
export const NAME_CHARS = 255;

export class ReverseMemo {
  private readonly kept = new Map<string, { names: string[]; expires: number }>();
  private readonly asking = new Map<string, Promise<string[]>>();

  constructor(
    private readonly lookup: (ip: string) => Promise<string[]>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The first name of `ip` (as a list of one, or none; a copy: callers may keep or change it), or the lookup's error. */
  reverse(ip: string): Promise<string[]> {
    const hit = this.kept.get(ip);
    if (hit && hit.expires > this.now()) return Promise.resolve([...hit.names]);
    if (hit) this.kept.delete(ip);
    let p = this.asking.get(ip);
    if (!p) {
      p = this.lookup(ip).then(
        (answer) => {
          this.asking.delete(ip);
          const names = Array.isArray(answer) && typeof answer[0] === 'string' ? [answer[0].slice(0, NAME_CHARS)] : [];
          if (names.length > 0) {
            if (this.kept.size >= MAX_ENTRIES) this.kept.delete(this.kept.keys().next().value!);
            this.kept.set(ip, { names: [...names], expires: this.now() + REVERSE_TTL_MS });
          }
          return names;
        },
        (e: unknown) => {
          this.asking.delete(ip);
          throw e;
        },
      );
      this.asking.set(ip, p);
    }
    return p.then((names) => [...names]);
  }

  /** Addresses kept (tests). */
  get size(): number {
    return this.kept.size;
  }
}
