// A small POSIX tar (ustar, with pax extended headers for long names and big sizes) writer and streaming
// reader, enough for tegami backup files that GNU tar, bsdtar and Python's tarfile open. Regular files and
// directories only: links, devices and anything else are refused when reading, never written.
// It never holds a whole entry in memory: bodies pass through in chunks.

export const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777; // what fits the 12-byte size field

export type TarType = 'file' | 'dir';

export interface TarHeader {
  path: string;
  type: TarType;
  size: number;
  mode: number;
  mtime: number; // seconds
}

export class TarError extends Error {}

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0') + '\0', offset, width, 'ascii');
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** ustar split of a name into prefix + name, or null when it does not fit (or is not plain ASCII). */
function splitName(name: string): { prefix: string; name: string } | null {
  if (!/^[\x20-\x7e]*$/.test(name)) return null;
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.slice(0, i), name: name.slice(i + 1) };
  }
  return null;
}

function rawHeader(name: string, prefix: string, typeflag: string, size: number, mode: number, mtime: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100, 'utf8');
  octal(b, 100, 8, mode & 0o7777);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, Math.max(0, Math.floor(mtime)));
  b.write('        ', 148, 8, 'ascii');
  b.write(typeflag, 156, 1, 'ascii');
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  b.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/** The header block(s) for one entry: a pax 'x' header first when the name or size needs it. */
export function headerBlocks(h: TarHeader): Buffer {
  const name = h.type === 'dir' && !h.path.endsWith('/') ? h.path + '/' : h.path;
  const split = splitName(name);
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', name));
  if (h.size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(h.size)));
  const main = rawHeader(split?.name ?? name.slice(-100).replace(/[^\x20-\x7e]/g, '_'), split?.prefix ?? '', h.type === 'dir' ? '5' : '0', h.size > MAX_OCTAL_SIZE ? 0 : h.size, h.mode, h.mtime);
  if (!records.length) return main;
  const body = Buffer.from(records.join(''), 'utf8');
  const pax = rawHeader('PaxHeaders/' + name.replace(/[^\x20-\x7e]/g, '_').slice(-80), '', 'x', body.length, 0o644, h.mtime);
  return Buffer.concat([pax, body, padding(body.length), main]);
}

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two zero blocks end an archive. */
export function endBlocks(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

// ---- reading ----

/** Pulls exact byte counts out of an async iterable of chunks. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }
  /** Up to max bytes; null at end of input. */
  async read(max: number): Promise<Buffer | null> {
    if (!this.buf.length) {
      const r = await this.it.next();
      if (r.done) return null;
      this.buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
    const out = this.buf.subarray(0, max);
    this.buf = this.buf.subarray(out.length);
    return out;
  }
  async exact(n: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const c = await this.read(n - got);
      if (!c) return got === 0 ? null : Buffer.concat(parts); // short: caller checks length
      parts.push(c);
      got += c.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}

function cstr(b: Buffer, offset: number, width: number): string {
  const s = b.subarray(offset, offset + width);
  const nul = s.indexOf(0);
  return (nul >= 0 ? s.subarray(0, nul) : s).toString('utf8');
}

function readOctal(b: Buffer, offset: number, width: number): number {
  const s = cstr(b, offset, width).trim();
  if (!/^[0-7]*$/.test(s)) throw new TarError(`bad number in tar header: ${JSON.stringify(s)}`);
  return s ? parseInt(s, 8) : 0;
}

function parsePax(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(0x20, i);
    if (sp < 0) throw new TarError('bad pax record');
    const len = Number(body.subarray(i, sp).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || i + len > body.length) throw new TarError('bad pax record length');
    const rec = body.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq < 0) throw new TarError('bad pax record');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** What the consumer does with one entry's body. */
export interface EntrySink {
  write(chunk: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

/**
 * Read a tar stream entry by entry; onEntry returns a sink for the body (or null to skip it). Throws TarError
 * on a bad checksum, an unsupported entry type or a truncated archive. Reads the source to its very end so a
 * gunzip stream underneath checks its CRC.
 */
export async function readTar(source: AsyncIterable<Buffer>, onEntry: (h: TarHeader) => Promise<EntrySink | null> | EntrySink | null): Promise<number> {
  const r = new ByteReader(source);
  let pax = new Map<string, string>();
  let longName: string | null = null;
  let entries = 0;
  for (;;) {
    const block = await r.exact(BLOCK);
    if (!block || block.length < BLOCK) throw new TarError('truncated archive (no end-of-archive marker)');
    if (block.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
    if (readOctal(block, 148, 8) !== sum) throw new TarError('bad tar header checksum');
    const typeflag = String.fromCharCode(block[156] || 0x30);
    let size = readOctal(block, 124, 12);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L') {
      if (size > 1 << 20) throw new TarError('oversized extended header');
      const body = await r.exact(size + padding(size).length);
      if (!body || body.length < size) throw new TarError('truncated archive');
      if (typeflag === 'x') pax = parsePax(body.subarray(0, size));
      else if (typeflag === 'L') longName = cstr(body, 0, size);
      continue;
    }
    const magic = cstr(block, 257, 6);
    const prefix = magic.startsWith('ustar') ? cstr(block, 345, 155) : '';
    let name = longName ?? pax.get('path') ?? (prefix ? `${prefix}/${cstr(block, 0, 100)}` : cstr(block, 0, 100));
    if (pax.has('size')) {
      // a pax size is decimal digits (POSIX); "0.5" would read zero bytes at a time for ever, "-1" nothing at all
      const given = pax.get('size')!;
      if (!/^\d{1,16}$/.test(given) || !Number.isSafeInteger(Number(given))) throw new TarError(`bad pax size ${JSON.stringify(given.slice(0, 40))}`);
      size = Number(given);
    }
    pax = new Map();
    longName = null;
    let type: TarType;
    if (typeflag === '0' || typeflag === '7') type = 'file';
    else if (typeflag === '5') type = 'dir';
    else throw new TarError(`unsupported tar entry type "${typeflag}" for ${name}`);
    if (type === 'dir') name = name.replace(/\/+$/, '');
    const header: TarHeader = { path: name, type, size: type === 'dir' ? 0 : size, mode: readOctal(block, 100, 8), mtime: readOctal(block, 136, 12) };
    entries++;
    const sink = await onEntry(header);
    let left = header.size;
    while (left > 0) {
      const c = await r.read(Math.min(left, 1 << 16));
      if (!c) throw new TarError(`truncated archive (inside ${name})`);
      left -= c.length;
      if (sink) await sink.write(c);
    }
    if (sink) await sink.end();
    const pad = padding(header.size).length;
    if (pad) {
      const p = await r.exact(pad);
      if (!p || p.length < pad) throw new TarError('truncated archive');
    }
  }
  // after the end marker only zero padding may follow; reading it all lets gunzip verify its trailer
  for (;;) {
    const c = await r.read(1 << 16);
    if (!c) break;
    if (!c.every((x) => x === 0)) throw new TarError('data after the end-of-archive marker');
  }
  return entries;
}
