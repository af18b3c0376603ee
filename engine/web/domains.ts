// The domains an admin may see: every local domain and host alias for a system admin, its own domain
// and that domain's host aliases for a host admin, none for a list admin. Pages and the API share it.
import type { User } from '../accounts/directory.js';
import type { Roles } from './roles.js';
import type { WebDeps } from './types.js';

export interface DomainView {
  name: string;
  aliasOf?: string;
}

export function visibleDomains(directory: WebDeps['directory'], roles: Roles, user: User): DomainView[] {
  return directory
    .domains()
    .filter((d) => roles.canAdminDomain(user, d.aliasOf ?? d.name))
    .map((d) => (d.aliasOf ? { name: d.name, aliasOf: d.aliasOf } : { name: d.name }));
}

