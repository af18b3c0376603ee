// SETQUOTA (RFC 9208 §4.2.3): refused. Limits are set by the administrator (tegami user set --quota, tegami
// domain set --default-quota), never by the mailbox owner; QUOTASET is not advertised.
import { AUTHENTICATED, no, type CommandDef } from '../command.js';

export const setquota: CommandDef = {
  names: ['SETQUOTA'],
  states: AUTHENTICATED,
  args: [
    { name: 'root', type: 'astring' },
    { name: 'limits', type: 'list' },
  ],
  async handle() {
    return no('Quotas are set by the administrator', 'NOPERM');
  },
};
