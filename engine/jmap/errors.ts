// JMAP's three levels of refusal as values (RFC 8620 §3.6): request-level problem details (notJSON, notRequest,
// limit, unknownCapability), method-level errors (a MethodError thrown by a handler becomes ["error", {...}]) and
// per-object SetErrors. It never decides anything; handlers pick the error, this names and shapes it.

/** Request-level problem types (RFC 8620 §3.6.1). */
export type ProblemType = 'notJSON' | 'notRequest' | 'limit' | 'unknownCapability';

export interface Problem {
  type: `urn:ietf:params:jmap:error:${ProblemType}` | 'about:blank';
  status: number;
  detail: string;
  limit?: string;
}

export function problem(type: ProblemType, status: number, detail: string, limit?: string): Problem {
  return { type: `urn:ietf:params:jmap:error:${type}`, status, detail, ...(limit ? { limit } : {}) };
}

/** Method-level error types (RFC 8620 §3.6.2, §5; RFC 8621). */
export type MethodErrorType =
  | 'serverUnavailable'
  | 'serverFail'
  | 'serverPartialFail'
  | 'unknownMethod'
  | 'invalidArguments'
  | 'invalidResultReference'
  | 'forbidden'
  | 'accountNotFound'
  | 'accountNotSupportedByMethod'
  | 'accountReadOnly'
  | 'requestTooLarge'
  | 'stateMismatch'
  | 'cannotCalculateChanges'
  | 'anchorNotFound'
  | 'unsupportedSort'
  | 'unsupportedFilter'
  | 'tooManyChanges'
  | 'fromAccountNotFound'
  | 'fromAccountNotSupportedByMethod';

/** Thrown by a method handler; the dispatcher answers ["error", { type, description }] for that call only. */
export class MethodError extends Error {
  constructor(
    readonly type: MethodErrorType,
    readonly description?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(description ?? type);
  }

  toJSON(): Record<string, unknown> {
    return { type: this.type, ...(this.description ? { description: this.description } : {}), ...this.extra };
  }
}

export const invalidArguments = (description: string): MethodError => new MethodError('invalidArguments', description);

/** SetError types (RFC 8620 §5.3, RFC 8621). */
export type SetErrorType =
  | 'forbidden'
  | 'overQuota'
  | 'tooLarge'
  | 'rateLimit'
  | 'notFound'
  | 'invalidPatch'
  | 'willDestroy'
  | 'invalidProperties'
  | 'singleton'
  | 'alreadyExists'
  | 'mailboxHasChild'
  | 'mailboxHasEmail'
  | 'blobNotFound'
  | 'tooManyKeywords'
  | 'tooManyMailboxes'
  | 'invalidEmail'
  | 'tooManyRecipients'
  | 'noRecipients'
  | 'invalidRecipients'
  | 'forbiddenMailFrom'
  | 'forbiddenFrom'
  | 'forbiddenToSend'
  | 'cannotUnsend';

export interface SetError {
  type: SetErrorType;
  description?: string;
  properties?: string[];
  [extra: string]: unknown;
}

export function setError(type: SetErrorType, description?: string, extra: Record<string, unknown> = {}): SetError {
  return { type, ...(description ? { description } : {}), ...extra };
}

export const invalidProperties = (properties: string[], description?: string): SetError => setError('invalidProperties', description, { properties });

/** A SetError thrown inside the handling of one object (caught per object by the /set helpers). */
export class SetFailure extends Error {
  constructor(readonly error: SetError) {
    super(error.description ?? error.type);
  }
}
