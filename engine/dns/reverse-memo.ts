// The client's name for the Received: line (resolver.reverse: /etc/hosts, then PTR), kept per IP address for a
// minute: a client that opens a connection per message (most senders of bulk mail do) is looked up once, not on
// every connection. Only answers are kept (a failure or "no name" is asked again by the next connection), at most
// MAX_ENTRIES addresses, oldest first out; connections at once from one address share the lookup in flight.
export const REVERSE_TTL_MS = 60_000;
const MAX_ENTRIES = 4096;

export class ReverseMemo {
  private readonly kept = new Map<string, { names: string[]; expires: number }>();
  private readonly asking = new Map<string, Promise<string[]>>();

  constructor(
    private readonly lookup: (ip: string) => Promise<string[]>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The names of `ip` (a copy: callers may keep or change it), or the lookup's error. */
  reverse(ip: string): Promise<string[]> {
    const hit = this.kept.get(ip);
    if (hit && hit.expires > this.now()) return Promise.resolve([...hit.names]);
    if (hit) this.kept.delete(ip);
    let p = this.asking.get(ip);
    if (!p) {
      p = this.lookup(ip).then(
        (names) => {
          this.asking.delete(ip);
          if (Array.isArray(names) && names.length > 0) {
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
