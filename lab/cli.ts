// placeholder until the lab lands
import type { Args } from '../engine/cli/args.js';
export async function lab(_args: Args): Promise<number> {
  process.stderr.write('tegami lab: not available yet\n');
  return 1;
}
