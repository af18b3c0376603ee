// ENABLE (RFC 5161): turns on CONDSTORE for this session; unknown extensions are ignored, as the RFC says.
import { AUTHENTICATED, ok, type CommandDef } from '../command.js';

const ENABLEABLE = new Set(['CONDSTORE']);

export const enable: CommandDef = {
  names: ['ENABLE'],
  states: AUTHENTICATED,
  args: [{ name: 'extensions', type: 'atom', rest: true }],
  async handle(s, a) {
    const now: string[] = [];
    for (const t of a.extensions as { t: string; v: unknown }[]) {
      if (t.t !== 'atom') continue;
      const ext = String(t.v).toUpperCase();
      if (ENABLEABLE.has(ext) && !s.enabled.has(ext)) {
        s.enabled.add(ext);
        now.push(ext);
      }
    }
    s.send(`* ENABLED${now.map((e) => ' ' + e).join('')}`);
    return ok('ENABLE completed');
  },
};
