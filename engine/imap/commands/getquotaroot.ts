// GETQUOTAROOT (RFC 9208 §4.2.2): the quota roots of a folder (always the one root "", all of the user's
// folders together) and each root's QUOTA line. A folder that does not exist answers NO [NONEXISTENT].
import { AUTHENTICATED, no, ok, type CommandDef } from '../command.js';
import { existingFolder, wireName } from '../folders.js';
import { Response } from '../protocol/response.js';
import { QUOTA_ROOT, quotaResponse, quotaState } from './getquota.js';

export const getquotaroot: CommandDef = {
  names: ['GETQUOTAROOT'],
  states: AUTHENTICATED,
  args: [{ name: 'mailbox', type: 'mailbox' }],
  async handle(s, a) {
    const folder = await existingFolder(s.store, s.owner, a.mailbox as string);
    if (!folder) return no('No such mailbox', 'NONEXISTENT');
    const r = new Response().raw('* QUOTAROOT ');
    r.raw(wireName(folder).toBuffer()).raw(` "${QUOTA_ROOT}"`);
    s.send(r);
    const { quota, usage } = await quotaState(s);
    s.send(quotaResponse(quota, usage));
    return ok('GETQUOTAROOT completed');
  },
};
