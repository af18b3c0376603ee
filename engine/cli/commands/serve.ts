// placeholder until the serve command lands
import type { Args } from '../args.js';
export async function serve(_args: Args): Promise<number> {
  process.stderr.write('tegami serve: not available yet\n');
  return 1;
}
