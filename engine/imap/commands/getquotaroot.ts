// GETQUOTAROOT (RFC 9208 §4.2.2): the quota roots of a folder (always the one root "", all of the user's
// folders together) and each root's QUOTA line. A folder that does not exist answers NO [NONEXISTENT]; a list
// archive has no quota root of the user's.
import { AUTHENTICATED, no, ok, type CommandDef } from '../command.js';
import { wireName } from '../folders.js';
import { findMailbox } from '../mailbox-ref.js';
import { Response } from '../protocol/response.js';
import { QUOTA_ROOT, quotaResponse, quotaState } from './getquota.js';

export const getquotaroot: CommandDef = {
  names: ['GETQUOTAROOT'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    const ref = await findMailbox(s, a.mailbox as string);
    if (!ref) return no('No such mailbox', 'NONEXISTENT');
    const r = new Response().raw('* QUOTAROOT ');
    r.raw(wireName(ref.name).toBuffer());
    if (ref.shared) {
      s.send(r);
      return ok('GETQUOTAROOT completed');
    }
    r.raw(` "${QUOTA_ROOT}"`);
    s.send(r);
    const { quota, usage } = await quotaState(s);
    s.send(quotaResponse(quota, usage));
    return ok('GETQUOTAROOT completed');
  },
};
