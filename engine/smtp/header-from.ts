// The author check at DATA: reads the header section off the front of the message as it streams (bounded),
// and decides from From: and Sender: whether the sender may write as that author. A logged-in user may use
// only his own addresses and aliases (`[smtp] restrict_header_from`, else 550 5.7.1 once the message is in);
// the answer also says which domain may sign the message (the envelope's `origin`). It never reads past the
// header section before the spool has the bytes, and never signs anything itself.
import type { AccountDirectory, User } from '../accounts/directory.js';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { mailboxesOf, type Mailbox } from '../mime/address-list.js';
import { asciiReadings, hasBareCr } from '../mime/author-readings.js';
import { IpList } from '../policy/cidr.js';
import { reject, type Refusal } from '../policy/verdict.js';
import type { Origin } from '../spool/envelope.js';
import { replyToField, withField } from '../accounts/reply-to.js';

/** The header section is read up to this (as Postfix's header_size_limit); a longer one cannot be checked. */
export const HEADER_LIMIT = 100 * 1024;

export interface HeaderSection {
  /** The header section (through its blank line), or the first HEADER_LIMIT bytes when it is longer. */
  head: Buffer;
  /** The whole header section was read (it ended, or the message did). */
  complete: boolean;
  /** The message from its first byte: what was read here, then the rest of the stream. */
  message: AsyncIterable<Buffer>;
}

/** Read until the blank line that ends the header section, at most `limit` bytes (plus one chunk). */
export async function readHeaderSection(stream: AsyncIterable<Buffer>, limit = HEADER_LIMIT): Promise<HeaderSection> {
  const it = stream[Symbol.asyncIterator]();
  const read: Buffer[] = [];
  let size = 0;
  let end: number | null = null;
  let ended = false;
  // scanned incrementally: the line state carries over between chunks, so dripped bytes cost no rescans
  let lineStart = true;
  while (end === null && size < limit) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const chunk = r.value;
    read.push(chunk);
    for (let i = 0; i < chunk.length && size + i < limit; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        if (lineStart) {
          end = size + i + 1;
          break;
        }
        lineStart = true;
      } else if (b !== 0x0d) lineStart = false;
    }
    size += chunk.length;
  }
  const all = Buffer.concat(read);
  const head = all.subarray(0, end ?? Math.min(all.length, limit));
  async function* message(): AsyncGenerator<Buffer> {
    let done = ended;
    try {
      yield* read;
      while (!done) {
        const r = await it.next();
        if (r.done) done = true;
        else yield r.value;
      }
    } finally {
      // the reader stopped early (an error downstream): end the stream as a for-await over it would
      if (!done) await it.return?.();
    }
  }
  return { head, complete: end !== null || ended, message: message() };
}

export interface Submitter {
  sid: string;
  ip: string;
  user?: User;
}

export interface ScreenDeps {
  config: LoadedConfig;
  directory: AccountDirectory;
  logger: Logger;
}

export interface Screened {
  /** The whole message, to be spooled as it is. */
  message: AsyncIterable<Buffer>;
  /** Who stands behind it (goes into the envelope). */
  origin: Origin;
  /** Set when the message must be refused once it has been read. */
  refusal?: Refusal;
}

const relayHosts = new WeakMap<object, IpList>();

/** A host that `[relay] allow_ips` lets send through us (an application server of ours). */
function isRelayHost(ip: string, config: LoadedConfig): boolean {
  if (config.relay.mode === 'none' || !config.relay.allow_ips.length) return false;
  let list = relayHosts.get(config.relay);
  if (!list) relayHosts.set(config.relay, (list = new IpList(config.relay.allow_ips)));
  return list.has(ip);
}

/**
 * Called at DATA, before the message is spooled: who wrote it. Unauthenticated mail from anywhere else
 * passes through unread (origin "relayed"); for a logged-in user or an allow_ips host the header section is
 * read and judged.
 */
export async function screenHeaderFrom(stream: AsyncIterable<Buffer>, who: Submitter, deps: ScreenDeps): Promise<Screened> {
  const relayHost = !who.user && isRelayHost(who.ip, deps.config);
  if (!who.user && !relayHost) return { message: stream, origin: { kind: 'relayed' } };
  const section = await readHeaderSection(stream);
  const v = judgeAuthor(section, who, deps);
  if (v.refusal) deps.logger.warn('smtp', 'header-from', { sid: who.sid, ip: who.ip, user: who.user?.address, verdict: 'reject', reason: v.reason });
  // the account's reply-to setting, on its mail without a Reply-To: of its own (engine/accounts/reply-to.ts)
  const replyTo = v.refusal ? null : replyToField(who.user, section.head, section.complete);
  return { message: replyTo ? withField(replyTo, section.message) : section.message, origin: v.origin, refusal: v.refusal };
}

export interface AuthorVerdict {
  origin: Origin;
  refusal?: Refusal;
  reason?: string;
}

/** The decision on a read header section (exported for tests of the rules themselves). */
export function judgeAuthor(section: Pick<HeaderSection, 'head' | 'complete'>, who: Submitter, deps: ScreenDeps): AuthorVerdict {
  const { config, directory } = deps;
  const relayed: Origin = { kind: 'relayed' };
  const user = who.user;
  const restrict = !!user && config.smtp.restrict_header_from && !(user.systemAdmin && config.smtp.admins_may_send_as_anyone);
  const refuse = (code: number, status: string, text: string, reason: string): AuthorVerdict =>
    restrict ? { origin: relayed, refusal: reject(code, status, text), reason } : { origin: relayed, reason };

  if (!section.complete) {
    return refuse(552, '5.3.4', `Header section over ${HEADER_LIMIT} bytes: the author in From: cannot be checked`, 'header section too large');
  }
  const from = mailboxesOf(section.head, 'from');
  const sender = mailboxesOf(section.head, 'sender');
  for (const [field, r] of [['From', from], ['Sender', sender]] as const) {
    if (!r.ok) return refuse(550, '5.7.1', `${field}: header cannot be read (${r.reason}); it must name your own address`, `${field}: ${r.reason}`);
  }
  const authors = from.ok ? from.mailboxes : [];
  const senders = sender.ok ? sender.mailboxes : [];

  if (user) {
    const own = directory.senderAddresses(user);
    const owned = (m: Mailbox) => {
      const local = m.local.toLowerCase();
      const canonical = directory.localDomain(m.domain);
      return own.has(`${local}@${m.domain}`) || (!!canonical && own.has(`${local}@${canonical}`));
    };
    const foreign = [...authors, ...senders].find((m) => !owned(m));
    if (foreign) {
      const field = authors.includes(foreign) ? 'From' : 'Sender';
      return refuse(550, '5.7.1', `${field}: address <${foreign.address}> not owned by the authenticated user`, `${field}: <${foreign.address}> not owned by ${user.address}`);
    }
    // what readers that do not decode Japanese bytes, or that break lines at a lone CR, take for the author
    // (engine/mime/author-readings.ts): every address they would see must be the user's too
    if (hasBareCr(section.head)) return refuse(550, '5.7.1', 'The header section has a CR without LF; the author cannot be checked', 'bare CR in the header section');
    for (const field of ['From', 'Sender'] as const) {
      const hidden = asciiReadings(section.head, field).find((a) => {
        const at = a.lastIndexOf('@');
        return !owned({ local: a.slice(0, at), domain: a.slice(at + 1) } as Mailbox);
      });
      if (hidden) {
        const shown = /^[\x21-\x7e]{1,200}$/.test(hidden) ? ` <${hidden}>` : '';
        return refuse(550, '5.7.1', `${field}: read as ASCII, the field names an address${shown} not owned by the authenticated user; encode the name (RFC 2047)`, `${field}: raw bytes hide <${hidden}> for ${user.address}`);
      }
    }
    const domain = singleDomain(authors);
    return { origin: domain ? { kind: 'author', domain, by: 'login' } : relayed };
  }
  // an allow_ips host writes for the organisation: it may sign as one of our own domains, nothing else
  const domain = singleDomain(authors);
  return { origin: domain && directory.localDomain(domain) ? { kind: 'author', domain, by: 'relay-host' } : relayed };
}

function singleDomain(ms: Mailbox[]): string | null {
  const domains = new Set(ms.map((m) => m.domain));
  return domains.size === 1 ? [...domains][0] : null;
}
