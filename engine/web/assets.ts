// Finds the web's non-code files (message catalogues, CSS, JS) in the source tree: tsc compiles only the
// .ts files into dist/, so from dist/engine/web/ the files are found in ../../../engine/web/. Read-only.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The directory holding engine/web's asset folder `name` (i18n, static). */
export function assetDir(name: 'i18n' | 'static'): string {
  for (const dir of [path.join(here, name), path.resolve(here, '../../../engine/web', name)]) {
    if (fs.existsSync(dir)) return dir;
  }
  throw new Error(`web assets not found: engine/web/${name} (looked beside ${here})`);
}
