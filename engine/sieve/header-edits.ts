// Applies a script's editheader changes (RFC 5293 addheader/deleteheader, as SieveResult.headerEdits lists them)
// to the raw message before it is stored or redirected. Only the header block changes, byte for byte elsewhere;
// added values are RFC 2047-encoded when not ASCII and can never smuggle in a line break.
import { findBodyStart, parseHeaders } from '../mime/mime-tree.js';
import { encodeHeader } from './vacation.js';
import type { HeaderEdit } from './types.js';

interface Field {
  name: string;
  bytes: Buffer;
}

export function applyHeaderEdits(raw: Buffer, edits: readonly HeaderEdit[]): Buffer {
  if (!edits.length) return raw;
  const bodyStart = findBodyStart(raw, 0, raw.length);
  const parsed = parseHeaders(raw, 0, bodyStart);
  const prefix = raw.subarray(0, parsed[0]?.start ?? 0);
  const lastEnd = parsed.length ? parsed[parsed.length - 1].end : 0;
  const fields: Field[] = parsed.map((f, i) => ({ name: f.name, bytes: raw.subarray(f.start, i + 1 < parsed.length ? parsed[i + 1].start : lastEnd) }));
  // lines past the bounds parseHeaders reads within stay as they are, as one piece no deleteheader names, before
  // any field added last (which would otherwise take a continuation line among them as its own)
  const headEnd = parsed.length ? Math.max(lastEnd, blankLineAt(raw, bodyStart)) : 0;
  if (headEnd > lastEnd) fields.push({ name: '', bytes: raw.subarray(lastEnd, headEnd) });
  for (const e of edits) {
    if (e.op === 'add') {
      const line = Buffer.from(`${e.name}: ${encodeHeader(e.value.replace(/[\r\n]+/g, ' '))}\r\n`, 'latin1');
      const f = { name: e.name.toLowerCase(), bytes: line };
      if (e.last) fields.push(f);
      else fields.unshift(f);
    } else {
      const at = fields.map((f, i) => (f.name === e.name.toLowerCase() ? i : -1)).filter((i) => i >= 0);
      const k = e.fromEnd ? at.length - e.index : e.index - 1;
      if (k >= 0 && k < at.length) fields.splice(at[k], 1);
    }
  }
  return Buffer.concat([prefix, ...fields.map((f) => f.bytes), raw.subarray(Math.max(headEnd, prefix.length))]);
}

/** Where the blank line before `bodyStart` (findBodyStart's answer) begins; `bodyStart` when the header has none. */
function blankLineAt(raw: Buffer, bodyStart: number): number {
  if (raw[bodyStart - 1] !== 10) return bodyStart;
  if (bodyStart === 1 || raw[bodyStart - 2] === 10) return bodyStart - 1;
  if (raw[bodyStart - 2] === 13 && (bodyStart === 2 || raw[bodyStart - 3] === 10)) return bodyStart - 2;
  return bodyStart;
}
