// Connection caps of one protocol (all its listeners together): a total, and a number per client, where a
// client is an IPv4 address or an IPv6 prefix (policy/cidr.ts clientKey), so rotating through a /64 does not
// buy more slots. A slot is taken at accept and given back exactly once. It never touches a socket. With nodes
// sharing a database, `others` adds what other nodes hold for a client (engine/net/pg-conn-counts.ts).
import { clientKey } from '../policy/cidr.js';

export interface LimitOptions {
  /** Connections at once across the protocol's listeners. */
  total: number;
  /** Connections at once from one client (IPv4 address or IPv6 prefix). */
  perClient: number;
  /** Bits of an IPv6 address that name one client ([auth] ipv6_prefix). */
  ipv6Prefix: number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; reason: 'total' | 'per-client'; open: number };

export class ConnectionLimits {
  private open = 0;
  private perClient = new Map<string, number>();
  /** Connections of a client (its key) open on other nodes, as last read; none when not shared. */
  others: ((key: string) => number) | null = null;

  constructor(private readonly o: LimitOptions) {}

  admit(ip: string): Admission {
    const key = clientKey(ip, this.o.ipv6Prefix);
    const mine = this.perClient.get(key) ?? 0;
    if (this.open >= this.o.total) return { ok: false, reason: 'total', open: this.open };
    const all = mine + (this.others?.(key) ?? 0);
    if (all >= this.o.perClient) return { ok: false, reason: 'per-client', open: all };
    this.open++;
    this.perClient.set(key, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.open--;
        const left = (this.perClient.get(key) ?? 1) - 1;
        if (left > 0) this.perClient.set(key, left);
        else this.perClient.delete(key);
      },
    };
  }

  get connections(): number {
    return this.open;
  }

  /** The open connections per client key on this node (what it publishes to the other nodes). */
  clients(): ReadonlyMap<string, number> {
    return this.perClient;
  }
}
