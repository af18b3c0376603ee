// Whether two domains are in one organisational domain, as DMARC's relaxed alignment reads it (RFC 7489 §3.2):
// the registered domain under the Public Suffix List, private suffixes included (github.io, duckdns.org, …), by
// mailauth's own reader (its tldts options), so this agrees with the DMARC verdict it follows. A plain suffix
// test would take evil.duckdns.org, which anyone can register, for a part of duckdns.org (security review 9).
import { createRequire } from 'node:module';

const fromMailauth = createRequire(createRequire(import.meta.url).resolve('mailauth'));
const { getAlignment } = fromMailauth('./tools') as {
  getAlignment(fromDomain: string, domainList: string[], strict?: boolean): { domain: string } | false;
};

/** `a` and `b` share their organisational domain (any case). */
export function sameOrganisation(a: string, b: string): boolean {
  return getAlignment(a.toLowerCase(), [b.toLowerCase()]) !== false;
}
