// Text search as JMAP filters and snippets need it (RFC 8621 §4.4.1, §5): a search string split into words and
// "quoted phrases", matched as substrings after Unicode compatibility folding and lower case (so Japanese, which
// has no spaces, matches inside words, and ＴＥＳＴ matches test), with the matches mapped back to the original
// text for <mark> highlighting. The body text is every text part decoded through the project's charset decoder.
// Pure; bounded by the sizes it is given.
import { decodeBytes } from '../../mime/charset.js';
import { CONTENT_TRANSFER_ENCODING } from '../../mime/known-fields.js';
import { parseMime, type MimeNode } from '../../mime/mime-tree.js';
import { decodeTransfer } from '../../mime/text-decode.js';
import { htmlToText } from '../../mime/html-text.js';

/** Words and phrases of a search string: "…" or '…' are phrases (\ escapes ' " \), the rest splits on white space. */
export function searchTerms(q: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let phrase = '';
      i++;
      while (i < q.length && q[i] !== c) {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        phrase += q[i++];
      }
      i++;
      if (phrase.trim()) out.push(phrase);
    } else {
      let w = '';
      while (i < q.length && !/\s/.test(q[i])) w += q[i++];
      out.push(w);
    }
  }
  return out.map(fold).filter(Boolean).slice(0, 64);
}

export function fold(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/** The folded text and, for each of its UTF-16 units, where it came from in the original. */
export function foldWithMap(s: string): { folded: string; map: number[] } {
  let folded = '';
  const map: number[] = [];
  let i = 0;
  for (const ch of s) {
    const f = fold(ch);
    for (let k = 0; k < f.length; k++) map.push(i);
    folded += f;
    i += ch.length;
  }
  map.push(i);
  return { folded, map };
}

/** Every term occurs in the text (after folding). */
export function containsAll(text: string, terms: string[]): boolean {
  return foldedContainsAll(fold(text), terms);
}

/** Every term occurs in text that is folded already (a body folded once for all of a query's conditions). */
export function foldedContainsAll(folded: string, terms: string[]): boolean {
  return terms.every((t) => folded.includes(t));
}

/** Decoded text of every text part (and of attached messages), HTML reduced to its text; at most `limit` chars. */
export function bodyText(raw: Buffer, limit = 2_000_000): string {
  const out: string[] = [];
  let total = 0;
  const walk = (node: MimeNode) => {
    if (total > limit) return;
    if (node.type === 'multipart') node.children.forEach(walk);
    else if (node.message) walk(node.message);
    else if (node.type === 'text') {
      const bytes = decodeTransfer(raw.subarray(node.bodyStart, node.end), node.field(CONTENT_TRANSFER_ENCODING));
      let t = decodeBytes(bytes, node.params.find((p) => p[0] === 'charset')?.[1]).text;
      if (node.subtype === 'html') t = htmlToText(t);
      out.push(t);
      total += t.length;
    }
  };
  walk(parseMime(raw));
  return out.join('\n').slice(0, limit);
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Ranges [start, end) of the original text where terms occur, merged. */
function matchRanges(text: string, terms: string[]): [number, number][] {
  const { folded, map } = foldWithMap(text);
  const ranges: [number, number][] = [];
  for (const t of terms) {
    let from = 0;
    for (let guard = 0; guard < 1000; guard++) {
      const at = folded.indexOf(t, from);
      if (at < 0) break;
      ranges.push([map[at], map[at + t.length] ?? text.length]);
      from = at + Math.max(1, t.length);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  return merged;
}

/** The text HTML-escaped with every match wrapped in <mark>…</mark>; null when nothing matches. */
export function highlight(text: string, terms: string[]): string | null {
  const ranges = matchRanges(text, terms);
  if (!ranges.length) return null;
  let out = '';
  let pos = 0;
  for (const [s, e] of ranges) {
    out += escapeHtml(text.slice(pos, s)) + '<mark>' + escapeHtml(text.slice(s, e)) + '</mark>';
    pos = e;
  }
  return out + escapeHtml(text.slice(pos));
}

/**
 * A part of the body around its first match, highlighted, at most 255 octets of UTF-8 (RFC 8621 §5 preview);
 * the window is cut on character boundaries and never inside a <mark> tag or an entity.
 */
export function snippet(body: string, terms: string[], maxOctets = 255): string | null {
  const text = body.replace(/\s+/g, ' ').trim();
  if (!terms.length) return null;
  const ranges = matchRanges(text, terms);
  if (!ranges.length) return null;
  const [s] = ranges[0];
  // start a little before the first match, on a character boundary
  const chars = [...text.slice(0, s)];
  let start = s - chars.slice(-20).join('').length;
  for (let window = Math.min(text.length, maxOctets); window > 0; window = Math.floor(window * 0.8)) {
    let piece = text.slice(start, start + window);
    if (/[\uD800-\uDBFF]$/.test(piece)) piece = piece.slice(0, -1);
    const h = highlight(piece, terms) ?? escapeHtml(piece);
    const out = (start > 0 ? '…' : '') + h;
    if (Buffer.byteLength(out, 'utf8') <= maxOctets) return out;
    if (window < 40 && start < s) start = s; // a long first word: start at the match itself
  }
  return null;
}
