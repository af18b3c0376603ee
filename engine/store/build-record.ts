// A folder's first index build as one record: the message file names in UID order packed into one blob (with a
// CRC-32 and a count), so index-build.ts writes a first build of thousands of messages in one statement and its
// rows later. Decoding checks every byte it uses: a record that fails any check is refused, never half-read.
// It never touches the disk or the database.
import zlib from 'node:zlib';
import type { BuildColumns } from './build-columns.js';
import type { NewMessage } from './index-db.js';
import { parseMaildirName, sizeFromName } from './maildir-flags.js';
import { UNKNOWN_IDATE } from './maildir-idate.js';

/** The packed names of a build, with what checks them when they are read back. */
export interface EncodedBuild {
  blob: Buffer;
  count: number;
  crc: number;
}

/**
 * Pack messages as their file names in order, NUL between them. A message whose date is not known yet is one
 * maildir-sync.ts sized from its name's ",S=" (nothing was stat'ed: the usual case) and is its name alone; any
 * other is "name/size/idate". File names read from a directory hold neither "/" nor NUL. Returns null for what
 * the format cannot say (keywords, a date that is not a number): the caller writes rows instead.
 */
export function encodeBuild(add: readonly NewMessage[]): EncodedBuild | null {
  const parts: string[] = new Array(add.length);
  for (let i = 0; i < add.length; i++) {
    const m = add[i];
    if (m.keywords) return null;
    if (m.idate === UNKNOWN_IDATE) parts[i] = m.file;
    else if (Number.isFinite(m.idate) && Number.isSafeInteger(m.size)) parts[i] = `${m.file}/${m.size}/${Math.round(m.idate)}`;
    else return null;
  }
  const blob = Buffer.from(parts.join('\0'), 'utf8');
  return { blob, count: add.length, crc: zlib.crc32(blob) };
}

/**
 * encodeBuild of a first build in columns (the same bytes): the names joined as they are when no date is known
 * (nothing stat'ed, the usual case: one native join, no string per message), else "name/size/idate" where one is.
 */
export function encodeColumns(cols: BuildColumns): EncodedBuild | null {
  let text: string;
  if (!cols.dates) text = cols.files.join('\0');
  else {
    const parts: string[] = new Array(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const idate = cols.dates[i];
      const size = cols.sizes[i];
      if (idate === UNKNOWN_IDATE) parts[i] = cols.files[i];
      else if (Number.isFinite(idate) && Number.isSafeInteger(size)) parts[i] = `${cols.files[i]}/${size}/${Math.round(idate)}`;
      else return null;
    }
    text = parts.join('\0');
  }
  const blob = Buffer.from(text, 'utf8');
  return { blob, count: cols.length, crc: zlib.crc32(blob) };
}

const DIGITS = /^\d{1,15}$/;
const IDATE = /^-?\d{1,16}$/;

/**
 * The messages of a record, or null when anything in it is wrong: the CRC or the count differs, a name is empty,
 * starts with a dot or repeats a base name, a size or date is not a plain integer, a name alone has no ",S=",
 * or a size and date come with a name that is not in cur/ form. Nothing is returned from a record that fails.
 */
export function decodeBuild(blob: unknown, count: unknown, crc: unknown): NewMessage[] | null {
  if (!Buffer.isBuffer(blob) || !Number.isSafeInteger(count) || !Number.isSafeInteger(crc)) return null;
  if ((count as number) < 1 || zlib.crc32(blob) !== crc) return null;
  const parts = blob.toString('utf8').split('\0');
  if (parts.length !== count) return null;
  const out: NewMessage[] = new Array(parts.length);
  const bases = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const fields = parts[i].split('/');
    const file = fields[0];
    if (!file || file.startsWith('.')) return null;
    const { base, info } = parseMaildirName(file);
    if (!base || bases.has(base)) return null;
    bases.add(base);
    let size: number | undefined;
    let idate = UNKNOWN_IDATE;
    if (fields.length === 1) {
      size = sizeFromName(base);
    } else if (fields.length === 3 && DIGITS.test(fields[1]) && IDATE.test(fields[2])) {
      size = Number(fields[1]);
      idate = Number(fields[2]);
      if (!Number.isSafeInteger(idate)) return null;
    }
    if (size === undefined) return null;
    out[i] = { base, file, size, idate, letters: info ?? '' };
  }
  return out;
}
