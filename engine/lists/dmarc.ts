// DMARC-safe posting: the poster's domain's published DMARC policy (RFC 7489, looked up with mailauth through
// tegami's resolver, organisational domain and sp= included) decides whether a list copy keeps its From: or
// carries the list's address instead. A lookup that fails counts as strict: a rewritten From: is delivered,
// a copy refused by the recipient because of its author's policy is not.
import mailauth from 'mailauth';
import type { DmarcRewrite } from '../accounts/list-directory.js';
import type { Resolver } from '../dns/resolver.js';

export type PublishedPolicy = 'none' | 'quarantine' | 'reject' | 'unknown';

export async function publishedPolicy(domain: string, resolver: Resolver, timeoutMs: number): Promise<PublishedPolicy> {
  const lookup = (name: string, type: string) => resolver.resolve(name, type) as Promise<string[][] | string[]>;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  try {
    const r = await Promise.race([mailauth.dmarc({ headerFrom: `postmaster@${domain}`, spfDomains: [], dkimDomains: [], resolver: lookup as never }), timeout]);
    if (r === 'timeout') return 'unknown';
    if (!r) return 'none';
    if (r.status?.result === 'temperror') return 'unknown';
    if (r.status?.result === 'none' || !r.policy) return 'none';
    const p = String(r.policy).toLowerCase();
    return p === 'reject' || p === 'quarantine' ? p : 'none';
  } catch {
    return 'unknown';
  } finally {
    clearTimeout(timer);
  }
}

/** Rewrite From: for this list and this poster's published policy? */
export function rewriteFrom(setting: DmarcRewrite, policy: PublishedPolicy): boolean {
  if (setting === 'always') return true;
  if (setting === 'never') return false;
  return policy !== 'none';
}
