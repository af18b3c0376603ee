// ID (RFC 2971): logs what the client says about itself (bounded) and names the server; nothing else.
import { ANY_STATE, ok, type CommandDef } from '../command.js';
import type { Token } from '../protocol/tokens.js';

export const id: CommandDef = {
  names: ['ID'],
  states: ANY_STATE,
  args: [{ name: 'params', type: 'token' }],
  async handle(s, a) {
    const t = a.params as Token;
    if (t.t === 'list') {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < t.v.length && i < 60; i += 2) {
        const k = t.v[i];
        const v = t.v[i + 1];
        if (k.t === 'string' && v.t === 'string') fields[k.v.toString('utf8').slice(0, 30).toLowerCase()] = v.v.toString('utf8').slice(0, 100);
      }
      s.log('client.id', fields);
    }
    s.send('* ID ("name" "tegami" "vendor" "tegami")');
    return ok('ID completed');
  },
};
