// Writes the header lines tegami adds to a judged message: one X-IMAIL-SPAM-* line per check that hit,
// the summary "X-IMAIL-SPAM: score=… tags=…" (X-Tegami-Spam-Status on ham) and Authentication-Results (RFC 8601).
// Values are kept 7-bit (RFC 2047 for anything else) and free of CR/LF, so no input can inject a header.

/** A header value safe to emit: control characters removed, non-ASCII as RFC 2047 UTF-8 encoded-words. */
export function safeValue(v: string): string {
  const clean = v.replace(/[\r\n\t\0-\x1f\x7f]+/g, ' ').trim();
  if (/^[\x20-\x7e]*$/.test(clean)) return clean.length > 900 ? clean.slice(0, 900) : clean;
  // split into encoded-words of at most ~45 source bytes each (RFC 2047 §2: 75 chars per word)
  const words: string[] = [];
  let cur = '';
  for (const ch of clean.slice(0, 300)) {
    if (Buffer.byteLength(cur + ch) > 45) {
      words.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur) words.push(cur);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

export function headerLine(name: string, value: string): string {
  return `${name}: ${safeValue(value)}`;
}

/**
 * The summary line. Mail judged spam carries it as "X-IMAIL-SPAM", so the seed's client rule "if the header
 * contains X-IMAIL-SPAM, move to a folder" keeps meaning "spam"; other mail carries the same figures under
 * "X-Tegami-Spam-Status", which no such rule matches.
 */
export function summaryLine(score: number, threshold: number, action: string, scored: { tag: string; score: number }[]): string {
  let tags = '';
  for (const s of scored) tags += `${tags ? ',' : ''}${s.tag}(${fmt(s.score)})`;
  const spam = action !== 'inbox';
  return `${spam ? 'X-IMAIL-SPAM' : 'X-Tegami-Spam-Status'}: score=${fmtTotal(score)} threshold=${fmt(threshold)} verdict=${spam ? 'spam' : 'ham'} tags=${tags || 'NONE'}`;
}

export function authResultsLine(hostname: string, parts: string[]): string {
  let clean = '';
  for (const p of parts) {
    const c = p.replace(/[\r\n]\s*/g, ' ').trim();
    if (c) clean += ';\r\n\t' + c;
  }
  return `Authentication-Results: ${hostname}${clean || '; none'}`;
}

export function fmt(n: number, decimals = 1): string {
  const f = 10 ** decimals;
  return (Math.round(n * f) / f).toFixed(decimals);
}

/**
 * The verdict's total score as the summary line prints it: to two decimals, a trailing zero dropped ("6.0", "6.2",
 * "6.23"). One decimal tied distinct scores, and whoever ranks mail by this header (the lab, Sieve spamtest) lost
 * the order between them.
 */
export function fmtTotal(n: number): string {
  return fmt(n, 2).replace(/(\.\d)0$/, '$1');
}
