// Where postmaster@, root@ and abuse@ of a local domain go when no enabled account or alias has that name
// (FEATURES A5, RFC 5321 §4.5.1, RFC 2142): root@ and abuse@ are aliases of postmaster@; postmaster@ goes to
// [accounts] postmaster when that address can take mail, else to the first system admin, else to a postmaster
// mailbox of its own. It never answers "unknown": these addresses are never refused.
import type { Resolution } from './directory.js';

/** Local parts that always exist on every local domain. */
const SPECIAL = new Set(['postmaster', 'root', 'abuse']);

export function specialLocal(local: string): boolean {
  return SPECIAL.has(local.toLowerCase());
}

export interface PostmasterDeps {
  /** [accounts] postmaster, when set. */
  configured?: string;
  /** The first enabled system admin, if any. */
  firstAdmin: () => string | undefined;
  /** The directory's own resolve (for postmaster@ itself and the forward candidates). */
  resolve: (address: string) => Resolution;
}

/** The resolution of `local@domain` for a special local part without an enabled account or alias of its own. */
export function postmasterTarget(local: string, domain: string, deps: PostmasterDeps): Resolution {
  const own = `postmaster@${domain}`;
  // root@ and abuse@ follow postmaster@, which may be a real account or an alias
  if (local.toLowerCase() !== 'postmaster') {
    const p = deps.resolve(own);
    if (p.kind !== 'postmaster' && p.kind !== 'unknown') return p;
  }
  for (const candidate of [deps.configured, deps.firstAdmin()]) {
    const c = candidate?.trim().toLowerCase();
    if (!c || c === own || c === `${local.toLowerCase()}@${domain}`) continue;
    if (takesMail(c, deps)) return { kind: 'postmaster', address: own, forwardTo: c };
  }
  return { kind: 'postmaster', address: own };
}

/** A forward target that will not bounce: an enabled mailbox, an alias, a list, a remote address, or another postmaster. */
function takesMail(address: string, deps: PostmasterDeps): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  // another domain's postmaster (or root) resolves through here again: the router's loop check ends it
  if (specialLocal(address.slice(0, at))) return true;
  return deps.resolve(address).kind !== 'unknown';
}
