// URL extraction from decoded text and HTML, and the URL-domain blacklist (F7). Pure functions:
// no lookups, no fetching of anything a message links to.
import { domainToASCII } from 'node:url';

const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'()\[\]{}\u3000-\u303f\uff08\uff09]+/gi;

export function extractUrls(text: string, limit = 200): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(URL_RE)) {
    out.push(m[0]);
    if (out.length >= limit) break;
  }
  return out;
}

/** The host of a URL or bare "www.x" string, lower-case ASCII (punycode), or null. */
export function hostOf(u: string): string | null {
  try {
    const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(u) ? u : `http://${u}`;
    const url = new URL(withScheme);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.hostname.toLowerCase().replace(/\.$/, '') || null;
  } catch {
    return null;
  }
}

export class UrlBlacklist {
  private readonly domains: string[];
  constructor(entries: string[]) {
    this.domains = entries.map((e) => domainToASCII(e.trim().toLowerCase().replace(/^\*?\./, '')) || e.trim().toLowerCase()).filter(Boolean);
  }

  /** Blacklisted hosts among these: the domain itself or any subdomain of it. */
  match(hosts: Iterable<string>): string[] {
    const hits: string[] = [];
    if (this.domains.length === 0) return hits;
    for (const h of hosts) {
      if (this.domains.some((d) => h === d || h.endsWith('.' + d)) && !hits.includes(h)) hits.push(h);
    }
    return hits;
  }
}

/** The registrable part of a host, roughly: the last two labels, or three under co.jp, ne.jp, com.au and the like. */
export function siteOf(host: string): string {
  const l = host.split('.');
  // co.jp, ne.jp, or.jp, com.au…: keep three labels when the second-level label is short
  const n = l.length >= 3 && l[l.length - 2].length <= 3 && l[l.length - 1].length === 2 ? 3 : 2;
  return l.slice(-n).join('.');
}

/** Same site for the deceptive-link check: one host is the other or a subdomain of it, or both share the last two labels. */
export function sameSite(a: string, b: string): boolean {
  if (a === b || a.endsWith('.' + b) || b.endsWith('.' + a)) return true;
  return siteOf(a) === siteOf(b);
}

/** The host is the domain or a subdomain of it. */
export function inDomain(host: string, domain: string): boolean {
  return host === domain || (host.length > domain.length && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 0x2e);
}
