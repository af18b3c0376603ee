// placeholder until the spam command lands
import type { Args } from '../args.js';
export async function spam(_args: Args): Promise<number> {
  process.stderr.write('tegami spam: not available yet\n');
  return 1;
}
