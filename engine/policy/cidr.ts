// IP address matching: CIDR lists for IPv4 and IPv6 (built on node's BlockList), the one loopback check, and
// the key a client is counted under by throttles and connection caps (IPv6 grouped by prefix). No I/O here.
import net from 'node:net';

export class IpList {
  private list = new net.BlockList();
  readonly entries: string[];

  constructor(entries: string[]) {
    this.entries = entries;
    for (const e of entries) {
      const [addr, bits] = e.split('/');
      const family = net.isIPv6(addr) ? 'ipv6' : net.isIPv4(addr) ? 'ipv4' : null;
      if (!family) throw new Error(`not an IP address or CIDR: ${e}`);
      if (bits === undefined) this.list.addAddress(addr, family);
      else {
        const n = Number(bits);
        if (!Number.isInteger(n) || n < 0 || n > (family === 'ipv4' ? 32 : 128)) throw new Error(`bad prefix length in ${e}`);
        this.list.addSubnet(addr, n, family);
      }
    }
  }

  has(ip: string): boolean {
    if (this.entries.length === 0) return false; // (BlockList.check builds a SocketAddress per call)
    const v4 = unmapV4(ip);
    if (net.isIPv4(v4)) return this.list.check(v4, 'ipv4');
    if (net.isIPv6(ip)) return this.list.check(ip, 'ipv6');
    return false;
  }
}

/** "::ffff:1.2.3.4" → "1.2.3.4" */
export function unmapV4(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export function isLoopback(ip: string): boolean {
  const v = unmapV4(ip);
  return v === '::1' || (net.isIPv4(v) && v.startsWith('127.'));
}

/**
 * The key a client is counted under: an IPv4 address itself, an IPv6 address's network of `ipv6Prefix` bits
 * ("2001:db8:0:1::/64"), since one IPv6 customer usually holds a whole /64 and can rotate through it. A string
 * that is no IP address is its own key.
 */
export function clientKey(ip: string, ipv6Prefix = 64): string {
  const v = unmapV4(ip);
  if (!net.isIPv6(v) || ipv6Prefix >= 128) return v;
  const groups = ipv6Groups(v);
  if (!groups) return v;
  const bits = Math.max(0, ipv6Prefix);
  const out = groups.map((g, i) => {
    const keep = Math.min(16, Math.max(0, bits - i * 16));
    return keep === 0 ? 0 : g & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${out.map((g) => g.toString(16)).join(':')}/${bits}`;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included), or null. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = `${text.slice(0, v4.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = text.includes('::') ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array<string>(Math.max(0, fill)).fill('0'), ...t];
  if (all.length !== 8) return null;
  const nums = all.map((g) => parseInt(g, 16));
  return nums.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff) ? nums : null;
}
