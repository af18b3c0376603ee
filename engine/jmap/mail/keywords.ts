// JMAP keywords ↔ IMAP flags (RFC 8621 §4.1.1): $seen ↔ \Seen, $flagged ↔ \Flagged, $answered ↔ \Answered,
// $draft ↔ \Draft; other keywords are IMAP keywords as they are ($junk, $notjunk, $forwarded...), returned in
// lower case; \Deleted and \Recent are never shown. Pure.
import type { EmailRow } from '../../store/mailbox-store.js';

const SYSTEM: Record<string, string> = { $seen: '\\Seen', $flagged: '\\Flagged', $answered: '\\Answered', $draft: '\\Draft' };
const LETTERS: Record<string, string> = { S: '$seen', F: '$flagged', R: '$answered', D: '$draft' };

/** A keyword JMAP (and IMAP) accepts: 1–255 of %x21–%x7e, none of ( ) { ] % * " \ (RFC 8621 §4.1.1). */
export function validKeyword(k: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(k) && !/[(){\]%*"\\]/.test(k);
}

/** Keywords of a stored copy (Maildir info letters and index keywords). */
export function keywordsOf(letters: string, keywords: string): Record<string, true> {
  const out: Record<string, true> = {};
  for (const l of letters) if (LETTERS[l]) out[LETTERS[l]] = true;
  for (const k of keywords.split(' ')) if (k && validKeyword(k)) out[k.toLowerCase()] = true;
  return out;
}

/** IMAP flags for a set of keywords ($recent is dropped: it is not a keyword to set). */
export function flagsOf(keywords: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(keywords)) {
    const lower = k.toLowerCase();
    if (lower === '$recent') continue;
    out.push(SYSTEM[lower] ?? lower);
  }
  return out;
}

/** Keywords of an email over its copies (a copy changed by IMAP alone adds its flags). */
export function emailKeywords(e: EmailRow): Record<string, true> {
  const out: Record<string, true> = {};
  for (const c of e.copies) Object.assign(out, keywordsOf(c.letters, c.keywords));
  return out;
}
