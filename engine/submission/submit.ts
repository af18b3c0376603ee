// The one way an authenticated user's message enters the outbound queue, for SMTP AUTH submission and JMAP
// EmailSubmission alike: the same sender ownership rule (restrict_sender), the same recipient judgement as RCPT,
// the same author check on From:/Sender: (restrict_header_from) that also records the DKIM origin, then the spool
// and queue.receive exactly as SMTP's DATA does. It never signs, delivers or relays anything itself.
import { HeaderLineCount, MAX_HEADER_FIELD_OCTETS, MAX_HEADER_LINES } from '../mime/header-lines.js';
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { parseAddress } from '../policy/address.js';
import { judgeRecipient, type RelayPolicy } from '../policy/relay.js';
import { reject, Refusals, type Refusal } from '../policy/verdict.js';
import type { Queue } from '../queue/queue.js';
import { screenHeaderFrom, type Submitter } from '../smtp/header-from.js';
import { newQueueId, type Envelope, type RecipientEntry } from '../spool/envelope.js';
import type { SendGate } from './send-gate.js';

export interface SubmitDeps {
  config: LoadedConfig;
  directory: AccountDirectory;
  logger: Logger;
  queue: Pick<Queue, 'spool' | 'receive' | 'isFull' | 'beginReceive'>;
  relay: RelayPolicy;
  /** Per-account sending limits ([limits] send_*), counted as for SMTP AUTH. */
  sendGate?: SendGate;
}

export interface SubmissionRequest {
  user: User;
  /** Envelope sender ('' for the null sender). */
  mailFrom: string;
  rcptTo: string[];
  /** The message as it is to be sent (a Bcc: the submitter wants hidden must already be gone). */
  message: Buffer | AsyncIterable<Buffer>;
  /** How it came in, for the Received: field and the logs. */
  client: Envelope['client'];
  /** A trace id for the logs (a JMAP submission id, an SMTP session id). */
  sid: string;
}

export type SubmitOutcome =
  | { kind: 'accepted'; id: string; delivered: boolean; recipients: RecipientEntry[] }
  | { kind: 'refused'; stage: 'busy' | 'sender' | 'recipients' | 'author' | 'size' | 'queue' | 'limit'; refusal: Refusal; recipients?: { address: string; refusal: Refusal }[] };

export type Submit = (s: SubmissionRequest) => Promise<SubmitOutcome>;

/** restrict_sender: may this logged-in user use this envelope sender? (SMTP checks it at MAIL FROM.) */
export function senderRefusal(user: User, sender: string, deps: Pick<SubmitDeps, 'config' | 'directory'>): Refusal | null {
  const { config, directory } = deps;
  const restricted = config.smtp.restrict_sender && !(user.systemAdmin && config.smtp.admins_may_send_as_anyone);
  // the null sender is no one's address: a logged-in user may not send bounces in nobody's name (as at MAIL FROM)
  if (sender === '') return restricted ? Refusals.senderNotOwned('') : null;
  const p = parseAddress(sender);
  if (!p.ok) return reject(501, '5.1.7', `Bad sender address syntax: ${p.reason}`);
  if (!restricted) return null;
  const canonicalDomain = directory.localDomain(p.value.domain);
  const candidate = canonicalDomain ? `${p.value.local.toLowerCase()}@${canonicalDomain}` : p.value.normalized;
  const own = directory.senderAddresses(user);
  return own.has(candidate) || own.has(p.value.normalized) ? null : Refusals.senderNotOwned(sender);
}

/** Each recipient judged as RCPT TO judges it for a logged-in client (local mailboxes checked, others relayed). */
export function judgeRecipients(
  rcptTo: string[], ip: string, deps: Pick<SubmitDeps, 'directory' | 'relay'>,
): { accepted: RecipientEntry[]; refused: { address: string; refusal: Refusal }[] } {
  const accepted = new Map<string, RecipientEntry>();
  const refused: { address: string; refusal: Refusal }[] = [];
  for (const address of rcptTo) {
    const j = judgeRecipient(address, { ip, authenticated: true }, deps.directory, deps.relay);
    if (j.verdict.kind !== 'accept') refused.push({ address, refusal: j.verdict });
    else {
      const ok = j as Extract<typeof j, { kind: 'local' | 'remote' }>;
      accepted.set(ok.address, { address: ok.address, kind: ok.kind });
    }
  }
  return { accepted: [...accepted.values()], refused };
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/**
 * The DATA part: read the author off the header section (restrict_header_from, and the origin DKIM may sign
 * for), write the spool file, refuse what is too large or not the sender's own, then hand it to the queue.
 * The envelope's origin is set here and nowhere else.
 */
export async function spoolAndQueue(
  env: Omit<Envelope, 'origin'>, message: AsyncIterable<Buffer>, who: Submitter, deps: Pick<SubmitDeps, 'config' | 'directory' | 'logger' | 'queue' | 'sendGate'>,
  opts: { sizeExceeded?: () => boolean } = {},
): Promise<{ kind: 'accepted'; id: string; delivered: boolean } | { kind: 'refused'; stage: 'author' | 'size' | 'queue' | 'limit'; refusal: Refusal }> {
  const { queue, logger, config } = deps;
  const author = await screenHeaderFrom(message, who, deps);
  const full: Envelope = { ...env, origin: author.origin };
  const w = await queue.spool.create(full);
  let handedOver = false;
  let size = 0;
  const headerLines = new HeaderLineCount();
  try {
    for await (const chunk of author.message) {
      size += chunk.length;
      headerLines.feed(chunk);
      // past the limit the rest is read to its end (an SMTP client is still sending) but no longer stored
      if (size > config.max_message_size) continue;
      w.write(chunk);
      if (w.bodyBytes % (512 * 1024) < chunk.length) await w.drained();
    }
    if (size > config.max_message_size || opts.sizeExceeded?.()) {
      logger.info('smtp', 'data', { sid: who.sid, id: env.id, verdict: 'reject', reason: 'message too big', size, limit: config.max_message_size });
      return { kind: 'refused', stage: 'size', refusal: reject(552, '5.3.4', `Message size exceeds fixed limit of ${config.max_message_size} bytes`) };
    }
    if (headerLines.fieldTooBig) {
      logger.info('smtp', 'data', { sid: who.sid, id: env.id, verdict: 'reject', reason: 'header field too big', limit: MAX_HEADER_FIELD_OCTETS });
      return { kind: 'refused', stage: 'size', refusal: Refusals.headerFieldTooBig(MAX_HEADER_FIELD_OCTETS) };
    }
    if (headerLines.over) {
      logger.info('smtp', 'data', { sid: who.sid, id: env.id, verdict: 'reject', reason: 'header too long', lines: headerLines.lines, limit: MAX_HEADER_LINES });
      return { kind: 'refused', stage: 'size', refusal: Refusals.headerTooLong(MAX_HEADER_LINES) };
    }
    if (author.refusal) return { kind: 'refused', stage: 'author', refusal: author.refusal };
    const hand = () => {
      handedOver = true;
      return queue.receive(w, full);
    };
    const gated = who.user && deps.sendGate ? await deps.sendGate.counted(who.user.address, env.id, env.rcptTo.length, who.sid, hand, env.client.listener) : { outcome: await hand() };
    if ('refusal' in gated) return { kind: 'refused', stage: 'limit', refusal: gated.refusal };
    const outcome = gated.outcome;
    if (outcome.kind === 'accepted') {
      logger.info('smtp', 'queued', { sid: who.sid, id: env.id, from: env.mailFrom, rcpts: env.rcptTo.length, size: w.bodyBytes, delivered: outcome.delivered, via: env.client.listener });
      return { kind: 'accepted', id: outcome.id, delivered: outcome.delivered };
    }
    logger.info('smtp', 'data', { sid: who.sid, id: env.id, verdict: outcome.kind, reply: `${outcome.code} ${outcome.status} ${outcome.text}` });
    const refusal: Refusal = outcome.kind === 'rejected' ? reject(outcome.code, outcome.status, outcome.text) : { ...outcome, kind: 'tempfail' };
    return { kind: 'refused', stage: 'queue', refusal };
  } finally {
    if (!handedOver) {
      await w.finish().catch(() => {});
      await queue.spool.discard(w);
    }
  }
}

/** A whole submission by a logged-in user, in the order SMTP applies the same checks. */
export function submitter(deps: SubmitDeps): Submit {
  return async (s) => {
    const { logger, config } = deps;
    const done = deps.queue.beginReceive();
    try {
      if (deps.queue.isFull()) return { kind: 'refused', stage: 'busy', refusal: Refusals.queueFull() };
      const sender = senderRefusal(s.user, s.mailFrom, deps);
      if (sender) {
        logger.info('smtp', 'mail-from', { sid: s.sid, ip: s.client.ip, user: s.user.address, from: s.mailFrom, verdict: 'reject', reason: 'sender not owned', via: s.client.listener });
        return { kind: 'refused', stage: 'sender', refusal: sender };
      }
      if (s.rcptTo.length > config.smtp.max_recipients) {
        return { kind: 'refused', stage: 'recipients', refusal: reject(452, '4.5.3', 'Too many recipients') };
      }
      const r = judgeRecipients(s.rcptTo, s.client.ip, deps);
      if (r.refused.length || !r.accepted.length) {
        return { kind: 'refused', stage: 'recipients', refusal: r.refused[0]?.refusal ?? reject(554, '5.5.1', 'No valid recipients'), recipients: r.refused };
      }
      const env: Omit<Envelope, 'origin'> = { id: newQueueId(), time: Date.now(), mailFrom: s.mailFrom, rcptTo: r.accepted, client: { ...s.client, user: s.user.address } };
      const stream = Buffer.isBuffer(s.message) ? once(s.message) : s.message;
      const out = await spoolAndQueue(env, stream, { sid: s.sid, ip: s.client.ip, user: s.user }, deps);
      return out.kind === 'accepted' ? { ...out, recipients: r.accepted } : out;
    } finally {
      done();
    }
  };
}
