// placeholder until the queue command lands
import type { Args } from '../args.js';
export async function queue(_args: Args): Promise<number> {
  process.stderr.write('tegami queue: not available yet\n');
  return 1;
}
