// The store's expected refusals, as values with a code the protocol layers map to their own replies.

export type StoreErrorCode = 'NONEXISTENT' | 'ALREADYEXISTS' | 'CANNOT';

/** An expected refusal (no such folder, folder exists, name not allowed); IMAP maps the code to a response code. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
