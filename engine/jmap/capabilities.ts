// What the JMAP server offers: the capability URNs, the limits it enforces (advertised in the Session resource
// exactly as enforced) and the Session object itself, with URLs built from the request's Host (or relative),
// never from the configured hostname. It never reads mail.
import crypto from 'node:crypto';

export const CORE = 'urn:ietf:params:jmap:core';
export const MAIL = 'urn:ietf:params:jmap:mail';
export const SUBMISSION = 'urn:ietf:params:jmap:submission';
export const VACATION = 'urn:ietf:params:jmap:vacationresponse';

export interface JmapLimits {
  maxSizeUpload: number;
  maxConcurrentUpload: number;
  maxSizeRequest: number;
  maxConcurrentRequests: number;
  maxCallsInRequest: number;
  maxObjectsInGet: number;
  maxObjectsInSet: number;
  /** Largest Email/query result window (limit is clamped to it). */
  maxQueryLimit: number;
  /** Most ids one /changes answers (a client's maxChanges is lowered to it). */
  maxChanges: number;
  /** Open event-source connections per account. */
  maxEventSources: number;
  /** Unreferenced uploads kept per account (bytes); the oldest go first when a new upload needs room. */
  uploadQuota: number;
  /** How long an unreferenced upload is kept (ms; RFC 8620 asks for at least an hour). */
  uploadTtlMs: number;
  /** Keywords per email (tooManyKeywords above it). */
  maxKeywords: number;
  /**
   * Decoded body-value octets one request's answer may carry, over all its Email/get and Email/parse calls (not
   * advertised: RFC 8620 has no response limit). Past it a value is cut with isTruncated: true, as a client's
   * maxBodyValueBytes cuts it; the whole text stays available by download.
   */
  maxBodyValueBytesPerRequest: number;
  /** Octets of Email objects (as JSON) one request's answer may carry; the call that passes it is requestTooLarge. */
  maxResponseBytes: number;
  /** Folders one account may have ([accounts] max_folders): a Mailbox/set create past it is overQuota. */
  maxMailboxesPerAccount: number;
  /** Octets of uploads and downloads held in memory on this node at once ([web] jmap_memory; engine/jmap/memory-budget.ts). */
  nodeMemory: number;
}

export const DEFAULT_LIMITS: JmapLimits = {
  maxSizeUpload: 50_000_000,
  maxConcurrentUpload: 4,
  maxSizeRequest: 10_000_000,
  maxConcurrentRequests: 4,
  maxCallsInRequest: 16,
  maxObjectsInGet: 500,
  maxObjectsInSet: 500,
  maxQueryLimit: 1000,
  maxChanges: 5000,
  maxEventSources: 8,
  uploadQuota: 200_000_000,
  uploadTtlMs: 24 * 3600_000,
  maxKeywords: 64,
  maxBodyValueBytesPerRequest: 16_000_000,
  maxResponseBytes: 40_000_000,
  maxMailboxesPerAccount: 1000,
  nodeMemory: 256 * 1024 * 1024,
};

export const COLLATIONS = ['i;ascii-numeric', 'i;ascii-casemap', 'i;unicode-casemap'];

export const EMAIL_SORT_OPTIONS = ['receivedAt', 'size', 'from', 'to', 'subject', 'sentAt', 'hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword'];

/** Mailbox names are at most this many UTF-8 octets (IMAP folder names: 255 characters). */
export const MAX_MAILBOX_NAME = 255;

/** The account id of an address: stable, and no address characters in it. */
export function accountIdOf(address: string): string {
  return 'a' + crypto.createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 20);
}

export interface SessionInput {
  address: string;
  limits: JmapLimits;
  /** Submission is offered only when there is a queue to submit to. */
  submission: boolean;
  maxMessageSize: number;
  /** "https://host:port" from the request's Host header, or '' for relative URLs. */
  origin: string;
}

/** The capabilities this server supports for this session. */
export function capabilities(s: Pick<SessionInput, 'limits' | 'submission'>): Record<string, Record<string, unknown>> {
  const l = s.limits;
  const caps: Record<string, Record<string, unknown>> = {
    [CORE]: {
      maxSizeUpload: l.maxSizeUpload,
      maxConcurrentUpload: l.maxConcurrentUpload,
      maxSizeRequest: l.maxSizeRequest,
      maxConcurrentRequests: l.maxConcurrentRequests,
      maxCallsInRequest: l.maxCallsInRequest,
      maxObjectsInGet: l.maxObjectsInGet,
      maxObjectsInSet: l.maxObjectsInSet,
      collationAlgorithms: COLLATIONS,
    },
    [MAIL]: {},
    [VACATION]: {},
  };
  if (s.submission) caps[SUBMISSION] = {};
  return caps;
}

export function sessionObject(s: SessionInput): Record<string, unknown> {
  const accountId = accountIdOf(s.address);
  const mail = {
    maxMailboxesPerEmail: null,
    maxMailboxDepth: null,
    maxSizeMailboxName: MAX_MAILBOX_NAME,
    // base64 makes an attachment 4/3 as large; leave room for the text and the header
    maxSizeAttachmentsPerEmail: Math.max(0, Math.floor(((s.maxMessageSize - 64 * 1024) * 3) / 4)),
    emailQuerySortOptions: EMAIL_SORT_OPTIONS,
    mayCreateTopLevelMailbox: true,
  };
  const accountCapabilities: Record<string, unknown> = { [MAIL]: mail, [VACATION]: {} };
  const primaryAccounts: Record<string, string> = { [MAIL]: accountId, [VACATION]: accountId };
  if (s.submission) {
    accountCapabilities[SUBMISSION] = { maxDelayedSend: 0, submissionExtensions: {} };
    primaryAccounts[SUBMISSION] = accountId;
  }
  const session: Record<string, unknown> = {
    capabilities: capabilities(s),
    accounts: {
      [accountId]: { name: s.address, isPersonal: true, isReadOnly: false, accountCapabilities },
    },
    primaryAccounts,
    username: s.address,
  };
  // the state covers what the account may do, not the URLs (they follow the Host the client used)
  const state = crypto.createHash('sha256').update(JSON.stringify(session)).digest('hex').slice(0, 12);
  Object.assign(session, {
    apiUrl: `${s.origin}/jmap/api`,
    downloadUrl: `${s.origin}/jmap/download/{accountId}/{blobId}/{name}?type={type}`,
    uploadUrl: `${s.origin}/jmap/upload/{accountId}`,
    eventSourceUrl: `${s.origin}/jmap/eventsource?types={types}&closeafter={closeafter}&ping={ping}`,
    state,
  });
  return session;
}

/** "https://" + the Host header when it is a plain host[:port]; otherwise '' (URLs stay relative). */
export function originOf(host: string | undefined): string {
  if (!host || host.length > 300) return '';
  const ok = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/.test(host);
  return ok ? `https://${host.toLowerCase()}` : '';
}
