// What a fuzz session is made of: steps (bytes to write, and what the step should be answered with when it
// went out unmutated and in sequence), grouped into units that reordering keeps together (an APPEND line
// and its literal). Pure data; no I/O.
export type Protocol = 'smtp' | 'pop3' | 'imap';
export const PROTOCOLS: readonly Protocol[] = ['smtp', 'pop3', 'imap'];

/** How a step's reply is recognised as complete. */
export type Wait =
  | { kind: 'none' }
  /** SMTP: a final reply line (code + space); POP3: a status line, and the whole block when `multi`. */
  | { kind: 'reply'; multi?: boolean }
  /** IMAP: the tagged completion for this tag (a continuation also ends the wait). */
  | { kind: 'tag'; tag: string }
  /** IMAP/POP3/SMTP: a continuation request ("+ ..." / "334 ..."). */
  | { kind: 'cont' };

export interface Step {
  bytes: Buffer;
  wait: Wait;
  /** The final reply must match this when the step went out unmutated and nothing before it was off. */
  accept?: RegExp;
  /** Name of the mutation(s) applied, if any. */
  mutated?: string;
  /** Unless the final reply matches this, what follows is not framed as planned (DATA refused): waits stop. */
  unless?: RegExp;
  /** If the final reply matches this, what follows is not framed as planned (a DATA that got 354 alone). */
  desyncIf?: RegExp;
  /** After this step the framing is unknown (a literal that lies about its size, STARTTLS): waits stop. */
  desync?: boolean;
  /** Close the connection abruptly instead of (or right after) writing. */
  close?: boolean;
}

export interface Unit {
  steps: Step[];
  /** Order matters for this unit's expectations (its accept patterns assume the units before it). */
  ordered?: boolean;
}

export interface Plan {
  protocol: Protocol;
  seed: number;
  steps: Step[];
  /** The mutations applied, for the transcript. */
  mutations: string[];
}

/** What the generator knows about the target (from a preflight CAPA/EHLO/CAPABILITY). */
export interface Offers {
  chunking: boolean;
  literalPlus: boolean;
}

export interface Accounts {
  /** The mailbox fuzz sessions log in to (POP3/IMAP) and authenticate as (SMTP). */
  user: string;
  password: string;
  /** Where fuzz SMTP sessions send their mail (never read by the POP3/IMAP fuzzers). */
  sink: string;
  domain: string;
}

export const line = (s: string): Buffer => Buffer.from(s + '\r\n', 'latin1');
export const step = (s: string, wait: Wait, more: Partial<Step> = {}): Step => ({ bytes: line(s), wait, ...more });
export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
