// Reading the daily log files for the logs page: which services and days exist (<service>-YYYYMMDD.log, and
// .log.gz once rotated), and one page of the lines that contain a search text (a queue id, an address, an
// IP, a session id), streamed a chunk at a time so a file is never loaded whole. Plain files remember where
// each page starts (per file size and search), so paging on costs one page of reading. It never writes.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

const FILE = /^([a-z][a-z0-9_-]{0,30})-(\d{8})\.log(\.gz)?$/;
/** A line longer than this is shown cut (and never held in memory longer). */
export const MAX_LINE = 8 * 1024;
const CHUNK = 64 * 1024;

export interface LogDay {
  service: string;
  day: string;
  file: string;
  gz: boolean;
  bytes: number;
}

export function logDays(dir: string): LogDay[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: LogDay[] = [];
  for (const n of names) {
    const m = FILE.exec(n);
    if (!m) continue;
    try {
      const st = fs.statSync(path.join(dir, n));
      if (st.isFile()) out.push({ service: m[1], day: m[2], file: path.join(dir, n), gz: !!m[3], bytes: st.size });
    } catch {
      // rotated away meanwhile
    }
  }
  // a day both plain and gzipped (compression in progress): the plain file is the whole one
  return out
    .filter((d) => !(d.gz && out.some((o) => !o.gz && o.service === d.service && o.day === d.day)))
    .sort((a, b) => a.service.localeCompare(b.service) || b.day.localeCompare(a.day));
}

export interface LogPage {
  lines: { n: number; text: string; cut: boolean }[];
  page: number;
  more: boolean;
}

/** Page starts already found per file + size + search: starts[p] = where page p+1's first match is. */
const starts = new Map<string, { offset: number; line: number }[]>();
const MAX_CACHED = 200;

/** Lines of a byte stream, with the offset after each line; a line past MAX_LINE is cut, the rest skipped. */
async function* linesOf(source: AsyncIterable<Buffer>, startOffset: number): AsyncGenerator<{ text: string; cut: boolean; end: number }> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let overflow = false;
  let offset = startOffset;
  for await (const chunk of source) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) {
        const rest = chunk.subarray(from);
        if (!overflow && pendingLen + rest.length <= MAX_LINE) {
          pending.push(rest);
          pendingLen += rest.length;
        } else if (!overflow) {
          pending.push(rest.subarray(0, MAX_LINE - pendingLen));
          pendingLen = MAX_LINE;
          overflow = true;
        }
        offset += rest.length;
        break;
      }
      const part = chunk.subarray(from, nl);
      if (!overflow) {
        const take = Math.min(part.length, MAX_LINE - pendingLen);
        pending.push(part.subarray(0, take));
        overflow = take < part.length;
      }
      offset += nl - from + 1;
      yield { text: Buffer.concat(pending).toString('utf8').replace(/\r$/, ''), cut: overflow, end: offset };
      pending = [];
      pendingLen = 0;
      overflow = false;
      from = nl + 1;
    }
  }
  if (pendingLen) yield { text: Buffer.concat(pending).toString('utf8'), cut: overflow, end: offset };
}

async function* plainChunks(file: string, start: number): AsyncGenerator<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    for (let pos = start; ; ) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (!bytesRead) return;
      pos += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

async function* gzChunks(file: string): AsyncGenerator<Buffer> {
  const s = fs.createReadStream(file, { highWaterMark: CHUNK }).pipe(zlib.createGunzip({ chunkSize: CHUNK }));
  try {
    for await (const c of s) yield c as Buffer;
  } finally {
    s.destroy();
  }
}

/**
 * One page (1-based) of `size` lines containing `search` (case-insensitive; '' = every line), in file order.
 * `more` says whether a next page exists.
 */
export async function readLogPage(d: LogDay, search: string, page: number, size: number): Promise<LogPage> {
  const needle = search.toLowerCase();
  const key = `${d.file}\0${d.bytes}\0${needle}\0${size}`;
  // plain files resume at the nearest page start found before; a gzip stream cannot be entered midway
  const known = d.gz ? [] : (starts.get(key) ?? [{ offset: 0, line: 0 }]);
  let p0 = 0;
  for (let k = Math.min(page - 1, known.length - 1); k >= 0; k--) {
    if (known[k]) {
      p0 = k;
      break;
    }
  }
  const from = known[p0] ?? { offset: 0, line: 0 };
  const lines: LogPage['lines'] = [];
  let matched = 0;
  let n = from.line;
  let prevEnd = from.offset;
  let more = false;
  const source = d.gz ? gzChunks(d.file) : plainChunks(d.file, from.offset);
  for await (const l of linesOf(source, from.offset)) {
    n++;
    const lineStart = prevEnd;
    prevEnd = l.end;
    if (!d.gz && lineStart >= d.bytes) break; // the file grew since it was listed: page what there was
    if (needle && !l.text.toLowerCase().includes(needle)) continue;
    const i = matched++;
    const pg = p0 + Math.floor(i / size);
    if (i % size === 0 && !d.gz && !known[pg]) known[pg] = { offset: lineStart, line: n - 1 };
    if (pg < page - 1) continue;
    if (pg > page - 1) {
      more = true;
      break;
    }
    lines.push({ n, text: l.text, cut: l.cut });
  }
  if (!d.gz) {
    if (starts.size >= MAX_CACHED && !starts.has(key)) starts.delete(starts.keys().next().value!);
    starts.set(key, known);
  }
  return { lines, page, more };
}
