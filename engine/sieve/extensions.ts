// The Sieve capabilities tegami implements and the limits every parse and evaluation runs under, with safe
// defaults. Capability names are a closed list: `require` of anything else is refused at validation.

/** Every capability this engine knows; `regex` is only offered when enabled (see SieveOptions.extensions). */
export const CAPABILITIES = [
  'fileinto',
  'reject',
  'ereject',
  'envelope',
  'encoded-character',
  'comparator-i;octet',
  'comparator-i;ascii-casemap',
  'comparator-i;unicode-casemap',
  'comparator-i;ascii-numeric',
  'body',
  'copy',
  'relational',
  'subaddress',
  'imap4flags',
  'variables',
  'date',
  'vacation',
  'vacation-seconds',
  'include',
  'mailbox',
  'editheader',
  'spamtest',
  'spamtestplus',
  'regex',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Capabilities on unless a caller narrows them: all but regex. */
export const DEFAULT_CAPABILITIES: readonly Capability[] = CAPABILITIES.filter((c) => c !== 'regex');

/** The space-separated list ManageSieve's "SIEVE" capability advertises (RFC 5804 §1.7). */
export function sieveCapabilityString(enabled: readonly Capability[] = DEFAULT_CAPABILITIES): string {
  return CAPABILITIES.filter((c) => enabled.includes(c)).join(' ');
}

export interface SieveLimits {
  /** Script text, bytes. */
  maxScriptBytes: number;
  /** Nesting of blocks and of tests. */
  maxNesting: number;
  /** Actions one evaluation may collect (keep, fileinto, redirect, vacation, header edits…). */
  maxActions: number;
  /** Redirects per message (Pigeonhole's sieve_max_redirects defaults to 4 too). */
  maxRedirects: number;
  /** A string after variable expansion, and a variable's value, in characters. */
  maxStringLength: number;
  /** Distinct variables per script. */
  maxVariables: number;
  /** Comparison steps one evaluation may spend in matching before it fails (and falls back to keep). */
  maxMatchWork: number;
  /** Text a :regex test looks at, in characters (the rest of a longer value is not searched). */
  maxRegexInput: number;
  /** Scripts one evaluation may include (RFC 6609), counting nested includes. */
  maxIncludes: number;
  /** Include nesting depth. */
  maxIncludeDepth: number;
  /** Body text a body test reads, in characters per part. */
  maxBodyChars: number;
  /** Vacation periods are clamped to at least this (Pigeonhole's sieve_vacation_min_period is 1 day too). */
  vacationMinSeconds: number;
  /** …and to at most this; 0 for no upper bound (as Pigeonhole). */
  vacationMaxSeconds: number;
  /** The period when a script names none (RFC 5230: 7 days). */
  vacationDefaultSeconds: number;
}

export const DEFAULT_LIMITS: SieveLimits = {
  maxScriptBytes: 256 * 1024,
  maxNesting: 32,
  maxActions: 64,
  maxRedirects: 4,
  maxStringLength: 64 * 1024,
  maxVariables: 256,
  maxMatchWork: 20_000_000,
  maxRegexInput: 8 * 1024,
  maxIncludes: 16,
  maxIncludeDepth: 8,
  maxBodyChars: 1024 * 1024,
  vacationMinSeconds: 86400,
  vacationMaxSeconds: 0,
  vacationDefaultSeconds: 7 * 86400,
};

export function limitsWith(partial?: Partial<SieveLimits>): SieveLimits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}
