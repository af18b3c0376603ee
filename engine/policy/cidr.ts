// IP address matching: CIDR lists for IPv4 and IPv6, built on node's BlockList.
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
