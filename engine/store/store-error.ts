// The store's expected refusals, as values with a code the protocol layers map to their own replies.

/** UNAVAILABLE: the store's backend (the database) cannot be reached now; try again later. */
export type StoreErrorCode = 'NONEXISTENT' | 'ALREADYEXISTS' | 'CANNOT' | 'UNAVAILABLE';

/** An expected refusal (no such folder, folder exists, name not allowed); IMAP maps the code to a response code. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The store cannot be reached now (IMAP: NO [UNAVAILABLE], POP3: -ERR [SYS/TEMP]). */
export function isUnavailable(e: unknown): boolean {
  return e instanceof StoreError && e.code === 'UNAVAILABLE';
}
