// placeholder until the dkim command lands
import type { Args } from '../args.js';
export async function dkim(_args: Args): Promise<number> {
  process.stderr.write('tegami dkim: not available yet\n');
  return 1;
}
