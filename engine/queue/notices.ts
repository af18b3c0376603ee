// Delivery status notices about queued mail (RFC 3464): a recipient's entry in a notice, the notice for a
// message assembled from its spool file and addressed back to its sender, and the Notifier that injects it
// as new mail and logs it. The bytes come from engine/outbound/dsn.ts; it never notifies the null sender.
import fsp from 'node:fs/promises';
import type { Logger } from '../log/logger.js';
import type { Envelope } from '../spool/envelope.js';
import { buildDsn, type DsnAction, type DsnRecipient } from '../outbound/dsn.js';
import type { RecipientState } from './state.js';

/** One recipient's entry; `remoteMta` set means `reply` was said by that server. */
export function dsnRecipient(r: RecipientState, action: DsnAction, status: string, reply: string, remoteMta: string | undefined, now: number): DsnRecipient {
  return { address: r.address, orcpt: r.orcpt, action, status: /^[245]\.\d+\.\d+$/.test(status) ? status : action === 'failed' ? '5.0.0' : '4.0.0', remoteMta: remoteMta?.replace(/\[.*$/, ''), diagnostic: reply, fromRemote: !!remoteMta, lastAttempt: now };
}

export interface NoticeInput {
  action: DsnAction;
  hostname: string;
  /** The original message's envelope and its spool file (null when it is gone: the notice has no copy). */
  envelope: Envelope;
  spooled: { file: string; bodyOffset: number } | null;
  recipients: DsnRecipient[];
  /** Is this address delivered here? (a local sender's notice stays local) */
  isLocal(address: string): boolean;
}

/** The notice and the envelope it travels in, to the original sender; null for the null sender. */
export async function assembleNotice(i: NoticeInput): Promise<{ envelope: Envelope; raw: Buffer } | null> {
  const original = i.spooled ? (await fsp.readFile(i.spooled.file)).subarray(i.spooled.bodyOffset) : Buffer.alloc(0);
  const dsn = buildDsn({ action: i.action, hostname: i.hostname, envelope: i.envelope, recipients: i.recipients, original });
  if (!dsn) return null;
  dsn.envelope.rcptTo = [{ address: i.envelope.mailFrom, kind: i.isLocal(i.envelope.mailFrom) ? 'local' : 'remote' }];
  return dsn;
}

export interface NotifierOptions {
  hostname: string;
  logger: Logger;
  isLocal(address: string): boolean;
  /** The spool file of a queued message, or null. */
  open(id: string): Promise<{ file: string; bodyOffset: number } | null>;
  /** Spool a new message durably and dispatch it (Queue.inject). */
  inject(env: Envelope, raw: Buffer): Promise<void>;
}

export class Notifier {
  constructor(private readonly o: NotifierOptions) {}

  /** Build a notice about `recipients` of a message and inject it as new mail (never to the null sender). */
  async send(action: DsnAction, envelope: Envelope, recipients: DsnRecipient[]): Promise<void> {
    const { logger } = this.o;
    const dsn = await assembleNotice({ action, hostname: this.o.hostname, envelope, spooled: await this.o.open(envelope.id), recipients, isLocal: this.o.isLocal });
    if (!dsn) {
      logger.info('delivery', 'dsn-suppressed', { id: envelope.id, action, reason: 'null sender' });
      return;
    }
    await this.o.inject(dsn.envelope, dsn.raw);
    logger.info('delivery', 'dsn', { id: envelope.id, dsn_id: dsn.envelope.id, action, to: envelope.mailFrom, recipients: recipients.map((r) => r.address) });
  }

  /** Send every kind that has recipients: failures, then delay warnings, then relay notices. */
  async sendAll(envelope: Envelope, notices: Record<DsnAction, DsnRecipient[]>): Promise<void> {
    for (const action of ['failed', 'delayed', 'relayed'] as const) {
      if (notices[action].length) await this.send(action, envelope, notices[action]);
    }
  }
}
