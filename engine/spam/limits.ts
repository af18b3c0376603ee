// How much of a message the spam checks read, in one place. Like SpamAssassin's body_part_scan_size, each check
// reads a bounded prefix, so the work per message is bounded whatever its size; the corpus tests show the
// limits are far above what real mail needs (the largest HTML part in the SpamAssassin corpus is 82 K characters).

/** Bytes of one text part that are decoded (after transfer decoding). */
export const MAX_PART_BYTES = 512 * 1024;
/** Characters of decoded text (all text and HTML parts together) that a message yields to the filters. */
export const MAX_TEXT_CHARS = 2 * 1024 * 1024;
/** Characters of one HTML part that the HTML checks read. */
export const HTML_SCAN_CHARS = 256 * 1024;
/** Characters of subject and text that the configured phrase regexes see (an operator's pattern may backtrack). */
export const PHRASE_REGEX_CHARS = 256 * 1024;
