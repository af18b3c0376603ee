// Mailing-list trailers: the footer a list manager (Mailman, SourceForge, Yahoo! Groups…) appends to every
// post, below a separator line. It says which list carried the mail, not what its author wrote, so the
// Bayesian filter must not count it: spam posted to a list would otherwise borrow the list's ham words.
// Only mail that carries list headers is looked at; this never changes the stored message.

/** A separator line: 20 or more of _ - = or *. */
const SEPARATOR = /^(?:_{20,}|-{20,}|={20,}|\*{20,})[ \t]*\r?$/gm;
/** Words a list trailer has within its first lines. */
const TRAILER = /mailing list|listinfo|sponsored by|unsubscribe|list-?archive|yahoo! groups|egroups|to post|sf\.net email/i;
const TRAILER_LINES = 40;
const LIST_HEADERS = ['list-id', 'list-post', 'list-unsubscribe', 'mailing-list', 'x-mailman-version', 'x-beenthere'];

export function isListMail(headers: ReadonlyMap<string, unknown>): boolean {
  return LIST_HEADERS.some((h) => headers.has(h));
}

/** Where the list trailer of a text part begins (the first separator followed by trailer words), or text.length. */
export function listFooterStart(text: string): number {
  for (const m of text.matchAll(SEPARATOR)) {
    const from = m.index + m[0].length;
    let end = from;
    for (let n = 0; n < TRAILER_LINES && end < text.length; n++) {
      const nl = text.indexOf('\n', end + 1);
      end = nl < 0 ? text.length : nl;
    }
    if (TRAILER.test(text.slice(from, end))) return m.index;
  }
  return text.length;
}
