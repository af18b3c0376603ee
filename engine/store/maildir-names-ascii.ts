// File names in a Maildir that are not valid UTF-8: another delivery agent (or a copy from another system) wrote
// bytes Node cannot give back as a string. readdir turns them into U+FFFD, so such a file could be neither opened
// nor renamed by the name it was listed under: without ",S=" it was silently left out, with it the message was
// counted but could not be read. As a Maildir's owner may, such a file is renamed at sync to a name that is valid:
// each byte of 0x80 and above (and "%") becomes %HH, so the old name's bytes stay readable in the new one and the
// delivery time, ",S=" size and ":2," flags are kept. link + unlink never replaces a file already there.
import { isUtf8 } from 'node:buffer';
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** `name`'s bytes with those of 0x80 and above and "%" as %HH: ASCII, and the old name read back by unescaping. */
export function asciiName(name: Buffer): string {
  let out = '';
  for (const b of name) out += b >= 0x80 || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

/** Rename the entries of `dir` whose names are not valid UTF-8 (see above); the number renamed. */
export async function renameUndecodable(dir: string): Promise<number> {
  const names = await fsp.readdir(dir, { encoding: 'buffer' });
  const base = Buffer.from(dir + path.sep);
  let renamed = 0;
  for (const name of names) {
    if (isUtf8(name)) continue;
    const from = Buffer.concat([base, name]);
    const to = path.join(dir, asciiName(name));
    try {
      await fsp.link(from, to);
      await fsp.unlink(from);
      renamed++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EEXIST' && code !== 'EPERM') throw e; // gone meanwhile, or not a plain file
    }
  }
  return renamed;
}

/** readdir of `dir` with types, after renaming names that are not valid UTF-8 when it listed one (as U+FFFD). */
export async function readdirValid(dir: string): Promise<fs.Dirent[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  for (let i = 0; i < entries.length; i++) {
    if (entries[i].name.includes('\uFFFD')) return (await renameUndecodable(dir)) ? fsp.readdir(dir, { withFileTypes: true }) : entries;
  }
  return entries;
}
