// NAMESPACE (RFC 2342): one personal namespace with "/" as separator; no other users' folders; the shared
// namespace "#lists/" (list archives, list-archives.ts) when the server has one. Which archives a user may
// read is LIST's business: the shared part is the same for everyone.
import { AUTHENTICATED, ok, type CommandDef } from '../command.js';
import { SEPARATOR } from '../folders.js';
import { SHARED_PREFIX } from '../list-archives.js';

export const namespace: CommandDef = {
  names: ['NAMESPACE'],
  states: AUTHENTICATED,
  args: [],
  async handle(s) {
    const shared = s.shared.archives ? `(("${SHARED_PREFIX}" "${SEPARATOR}"))` : 'NIL';
    s.send(`* NAMESPACE (("" "${SEPARATOR}")) NIL ${shared}`);
    return ok('NAMESPACE completed');
  },
};
