// Expected outcomes are values: a Verdict says accept, refuse for good, or refuse for now.
// This is the one place that turns verdicts into SMTP replies (code + enhanced status code).

export type Verdict =
  | { kind: 'accept' }
  | { kind: 'reject'; code: number; status: string; text: string }
  | { kind: 'tempfail'; code: number; status: string; text: string };

export type Accept = Extract<Verdict, { kind: 'accept' }>;
export type Refusal = Exclude<Verdict, { kind: 'accept' }>;

export const accept: Accept = { kind: 'accept' };

export const reject = (code: number, status: string, text: string): Refusal => ({ kind: 'reject', code, status, text });
export const tempfail = (code: number, status: string, text: string): Refusal => ({ kind: 'tempfail', code, status, text });

/** The catalogue of refusals tegami gives, so the same case always gets the same words. */
export const Refusals = {
  relayDenied: () => reject(550, '5.7.1', 'Relaying denied'),
  unknownUser: (addr: string) => reject(550, '5.1.1', `<${addr}>: Recipient address rejected: User unknown`),
  badSrs: (addr: string, why: 'invalid' | 'expired') => reject(550, '5.1.1', `<${addr}>: Recipient address rejected: ${why === 'expired' ? 'expired' : 'invalid'} SRS address`),
  srsBounceCap: (addr: string) => reject(450, '4.7.1', `<${addr}>: too many bounces for this sender today; try again later`),
  srsCopyBounceCap: (addr: string) => reject(450, '4.7.1', `<${addr}>: too many bounces for this forwarded message today; try again later`),
  srsBouncesOnly: (addr: string) => reject(550, '5.7.1', `<${addr}>: Recipient address rejected: an SRS address takes bounces only (MAIL FROM:<>)`),
  badSyntax: (what: string) => reject(501, '5.1.3', `Bad address syntax: ${what}`),
  routingTrick: () => reject(550, '5.7.1', 'Source routing, percent hack and bang paths are not supported: relaying denied'),
  /** engine/mime/header-lines.ts: a header section past MAX_HEADER_LINES. */
  headerTooLong: (max: number) => reject(552, '5.3.4', `Message header section exceeds ${max} lines`),
  /** engine/mime/header-lines.ts: one header field (with its folded lines) past MAX_HEADER_FIELD_OCTETS. */
  headerFieldTooBig: (max: number) => reject(552, '5.3.4', `Message header field exceeds ${max} octets`),
  /** engine/mime/header-lines.ts: MAX_HOPS or more Received: fields, a mail loop (Postfix: 554 5.4.0 too many hops). */
  tooManyHops: (hops: number) => reject(554, '5.4.6', `Too many hops (${hops} Received: fields): mail forwarding loop`),
  authRequired: () => reject(530, '5.7.0', 'Authentication required'),
  senderNotOwned: (addr: string) => reject(553, '5.7.1', `Sender address <${addr}> not owned by the authenticated user`),
  queueFull: () => tempfail(451, '4.3.2', 'System busy, queue full: try again later'),
  localError: () => tempfail(451, '4.3.0', 'Local error in processing; try again later'),
  /** An address the node's copy of the accounts does not know while the database cannot be asked (like Postfix's "Temporary lookup failure"). */
  recipientUnverifiable: (addr: string) => tempfail(451, '4.3.0', `<${addr}>: Recipient address cannot be verified now (account database unavailable); try again later`),
  authBlocked: () => reject(535, '5.7.8', 'Too many authentication failures from your address; try again later'),
  tooManyConnections: () => tempfail(421, '4.7.0', 'Too many connections from your address'),
  tooManyClients: () => tempfail(421, '4.3.2', 'Too many connections; try again later'),
} as const;

/**
 * Reply text as it may go on the wire: client bytes echoed in it (addresses, parameter names) masked to printable
 * ASCII and cut, so a reply line stays 7-bit and within RFC 5321's 512 octets (4.5.3.1.5) whatever was sent.
 */
export function replyText(text: string): string {
  const t = text.replace(/[^\x20-\x7e]/g, '?');
  return t.length > 400 ? `${t.slice(0, 400)}...` : t;
}

/** An Error the SMTP session layer turns into a reply; the text carries our enhanced code, which the reply keeps. */
export function toSmtpError(v: Refusal): Error & { responseCode: number } {
  const e = new Error(`${v.status} ${replyText(v.text)}`) as Error & { responseCode: number };
  e.responseCode = v.code;
  return e;
}
