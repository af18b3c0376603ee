// The public shapes of the Sieve engine: what a caller passes in (options, environment) and what one evaluation
// hands back (actions, implicit keep, header edits, errors). Only types; the delivery worker, ManageSieve, the
// CLI and the web pages all speak these.
import type { Capability, SieveLimits } from './extensions.js';
import type { Script } from './ir.js';
import type { SieveError } from './lexer.js';

export type { SieveError } from './lexer.js';
export type { SieveMessage, SieveHeader, SieveBodyPart, SieveEnvelope } from './message.js';

export interface SieveOptions {
  /** Capabilities a script may require (default: all but regex). */
  extensions?: readonly Capability[];
  limits?: Partial<SieveLimits>;
}

export type ParseOutcome = { ok: true; script: Script } | { ok: false; errors: SieveError[] };

export type ScriptLocation = 'personal' | 'global';

export interface SieveEnv extends SieveOptions {
  /** The clock for currentdate (and nothing else); default: the real clock. */
  now?: () => Date;
  /** The local zone as "+hhmm" for date tests without :zone; default: this process's zone. */
  zone?: string;
  /** mailboxexists and fileinto :create decide with this; default: only INBOX exists. */
  mailboxExists?: (name: string) => boolean;
  /**
   * The spam verdict for spamtest, from the analysis itself. When given (null = not tested), spamtest ignores the
   * X-IMAIL-SPAM / X-Tegami-Spam-Status headers, which are trustworthy only where our filter wrote (and so stripped)
   * them; the delivery worker should always pass it.
   */
  spam?: { score: number; threshold: number } | null;
  /** include (RFC 6609): the script's text, a parsed script, or null when there is none. */
  loadScript?: (name: string, location: ScriptLocation) => string | Script | null;
}

export interface VacationParams {
  reason: string;
  subject: string | null;
  from: string | null;
  addresses: string[];
  mime: boolean;
  /** The explicit :handle, or one derived from reason, subject, from and mime (as Pigeonhole does). */
  handle: string;
  /** The period between replies to one sender, clamped to the vacation limits. */
  seconds: number;
}

export type SieveAction =
  | { type: 'keep'; flags: string[] }
  | { type: 'fileinto'; mailbox: string; flags: string[]; create: boolean; copy: boolean }
  | { type: 'redirect'; address: string; copy: boolean }
  | { type: 'discard' }
  | { type: 'reject'; reason: string; extended: boolean }
  | ({ type: 'vacation' } & VacationParams);

/** editheader changes in the order made; `index` counts occurrences of `name` (1-based, from the end with last). */
export type HeaderEdit = { op: 'add'; name: string; value: string; last: boolean } | { op: 'delete'; name: string; index: number; fromEnd: boolean };

export interface SieveResult {
  /** Explicit actions, duplicates merged (a second fileinto to one folder, keep and fileinto "INBOX"). */
  actions: SieveAction[];
  /** Implicit keep (store in INBOX with these flags), or null when an action cancelled it. */
  implicitKeep: { flags: string[] } | null;
  headerEdits: HeaderEdit[];
  /** Run-time errors: when any, `actions` is empty and implicitKeep is set (a broken script never loses mail). */
  errors: SieveError[];
  /** Things skipped without failing (a protected header left alone, an include :optional not found). */
  warnings: SieveError[];
  /** The script ended with `stop` (so a caller running several scopes can end there). */
  stopped: boolean;
}
