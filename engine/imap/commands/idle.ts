// IDLE (RFC 2177): "+ idling", then untagged EXISTS/EXPUNGE/FETCH as soon as the mailbox changes, until the
// client sends DONE. The session's idle timeout still applies (clients re-IDLE before 29 minutes).
import { AUTHENTICATED, bad, ok, type CommandDef } from '../command.js';

export const idle: CommandDef = {
  names: ['IDLE'],
  states: AUTHENTICATED,
  args: [],
  async handle(s) {
    s.send('+ idling');
    await s.sendUpdates(true);
    for (;;) {
      const w = await s.waitIdle();
      if (w === 'closed') return ok('IDLE terminated');
      if (w === 'change') {
        await s.sendUpdates(true);
        continue;
      }
      const ev = await s.next('line');
      if (!ev) return ok('IDLE terminated');
      if (ev.kind === 'line' && ev.data.toString('latin1').trim().toUpperCase() === 'DONE') return ok('IDLE terminated');
      return bad('Expected DONE');
    }
  },
};
