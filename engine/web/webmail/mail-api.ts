// The webmail pages' way into the mail: JMAP method calls run in this process for the signed-in user, through
// the same request runner as /jmap/api (same methods, limits, checks), so a page can do nothing a JMAP client
// of that user could not. It never reads the store or another account directly.
import type { User } from '../../accounts/directory.js';
import { runRequest } from '../../jmap/request.js';
import type { JmapService } from '../../jmap/service.js';
import { accountIdOf } from '../../jmap/capabilities.js';

export const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse'];

/** A method answered with an error (RFC 8620 §3.6.2): its type, e.g. notFound, invalidArguments. */
export class MailError extends Error {
  constructor(readonly type: string, readonly description?: string) {
    super(`${type}${description ? `: ${description}` : ''}`);
  }
}

export type Call = [name: string, args: Record<string, unknown>, id: string];
export type Answer = [name: string, args: Record<string, unknown>, id: string];

export class MailApi {
  readonly accountId: string;

  constructor(readonly svc: JmapService, readonly user: User, private readonly ip: string) {
    this.accountId = accountIdOf(user.address);
  }

  /** Run calls in one request (back-references work); every call gets the accountId. A method error throws. */
  async run(calls: Call[]): Promise<Answer[]> {
    const methodCalls = calls.map(([n, a, id]) => [n, { accountId: this.accountId, ...a }, id]);
    const using = this.svc.deps.submit ? USING : USING.filter((u) => !u.endsWith(':submission'));
    const out = await runRequest({ using, methodCalls }, this.svc, this.user, { submission: !!this.svc.deps.submit, sessionState: '', ip: this.ip });
    if (!out.ok) throw new MailError('request', out.problem.detail);
    const answers = out.body.methodResponses as Answer[];
    const err = answers.find((a) => a[0] === 'error');
    if (err) throw new MailError(String(err[1].type), typeof err[1].description === 'string' ? err[1].description : undefined);
    return answers;
  }

  /** One call; its answer's arguments. */
  async one(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    return (await this.run([[name, args, '0']]))[0][1];
  }

  /** A /set answer's SetError for one id (created, updated or destroyed), or null when it went through. */
  static setError(res: Record<string, unknown>, id: string): { type: string; description?: string } | null {
    for (const k of ['notCreated', 'notUpdated', 'notDestroyed']) {
      const m = res[k] as Record<string, { type: string; description?: string }> | null | undefined;
      if (m && m[id]) return m[id];
    }
    return null;
  }
}

export interface Mailbox {
  id: string;
  name: string;
  parentId: string | null;
  role: string | null;
  totalEmails: number;
  unreadEmails: number;
  sortOrder: number;
}

export interface Address {
  name: string | null;
  email: string;
}

/** Every mailbox of the account, special-use ones first (inbox, drafts, sent, junk, trash), then by name. */
export async function mailboxes(api: MailApi): Promise<Mailbox[]> {
  const r = await api.one('Mailbox/get', { ids: null, properties: ['id', 'name', 'parentId', 'role', 'totalEmails', 'unreadEmails', 'sortOrder'] });
  const order = ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash'];
  const rank = (m: Mailbox) => (m.role && order.includes(m.role) ? order.indexOf(m.role) : order.length);
  return (r.list as Mailbox[]).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export const byRole = (list: Mailbox[], role: string): Mailbox | undefined => list.find((m) => m.role === role);
