// The seed's sender whitelist: an envelope or From: address, a whole domain ("@partner.example.jp") or a domain
// and its subdomains. A whitelisted sender overrides every check (DNSBL included), unless SPF or DMARC says the
// address is forged. Pure matching; it never looks anything up.

export class SenderWhitelist {
  private readonly addresses = new Set<string>();
  private readonly domains: string[] = [];

  constructor(entries: string[]) {
    for (const e of entries) {
      const w = e.toLowerCase().trim();
      if (!w) continue;
      if (w.includes('@') && !w.startsWith('@')) this.addresses.add(w);
      else this.domains.push(w.replace(/^@/, '').replace(/^\*\./, ''));
    }
  }

  get empty(): boolean {
    return this.addresses.size === 0 && this.domains.length === 0;
  }

  has(address: string): boolean {
    const a = address.toLowerCase();
    if (!a.includes('@')) return false;
    if (this.addresses.has(a)) return true;
    const domain = a.slice(a.lastIndexOf('@') + 1);
    return this.domains.some((d) => domain === d || domain.endsWith('.' + d));
  }
}
