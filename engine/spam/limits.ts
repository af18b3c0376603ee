// How much of a message the spam checks read, in one place. Like SpamAssassin's body_part_scan_size, each check
// reads a bounded prefix, so the work per message is bounded whatever its size; the corpus tests show the
// limits are far above what real mail needs (the largest HTML part in the SpamAssassin corpus is 82 K characters).

/**
 * The default of [spam] part_scan_size: bytes of one text part (after transfer decoding) that are decoded and
 * analysed; the rest of the part is not read. SpamAssassin's body_part_scan_size is 50,000; in the SpamAssassin
 * corpus 10 of 6,327 text parts are longer than this (the longest 201 K).
 */
export const PART_SCAN_DEFAULT = 64 * 1024;
/** Characters of decoded text (all text and HTML parts together) that a message yields to the filters. */
export const MAX_TEXT_CHARS = 2 * 1024 * 1024;
/** Characters of one HTML part that the HTML checks read. */
export const HTML_SCAN_CHARS = 256 * 1024;
/** Characters of subject and text that the configured phrase regexes see (an operator's pattern may backtrack). */
export const PHRASE_REGEX_CHARS = 256 * 1024;
/** Characters of subject, body and sender name that the content rules read (engine/spam/rules). */
export const RULE_SCAN_CHARS = 256 * 1024;
