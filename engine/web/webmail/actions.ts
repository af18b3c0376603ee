// POST /mail/act: what the list's and the reading page's buttons do to the checked messages — mark read or
// unread, flag, move, delete (to Trash; from Trash for good), spam / not spam (a move into or out of the junk
// mailbox, which trains the Bayes filter as IMAP's moves do). One Email/set for all of them: ids that are not
// the user's are refused by JMAP (notFound), never touched.
import type { FastifyInstance } from 'fastify';
import { CSRF_FIELD } from '../csrf.js';
import { safePath } from '../layout.js';
import { requireRole } from '../roles.js';
import type { JmapService } from '../../jmap/service.js';
import { byRole, MailApi, MailError, mailboxes } from './mail-api.js';
import { apiFor } from './list-page.js';
import { sendMailError } from './views.js';

const OPS = ['read', 'unread', 'flag', 'unflag', 'move', 'delete', 'spam', 'notspam'] as const;
type Op = (typeof OPS)[number];

const idSchema = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' } as const;
const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['op'],
  properties: {
    id: { anyOf: [idSchema, { type: 'array', items: idSchema, maxItems: 500 }] },
    // the threads view's checkboxes: every email of each conversation
    thread: { anyOf: [idSchema, { type: 'array', items: idSchema, maxItems: 100 }] },
    op: { type: 'string', enum: [...OPS] },
    to: idSchema,
    back: { type: 'string', maxLength: 500 },
    [CSRF_FIELD]: { type: 'string', maxLength: 100 },
  },
} as const;

interface Body {
  id?: string | string[];
  thread?: string | string[];
  op: Op;
  to?: string;
  back?: string;
}

export function registerActions(app: FastifyInstance, svc: JmapService): void {
  app.post('/mail/act', { config: { access: { guard: requireRole('signed-in') } }, schema: { body: bodySchema } }, async (req, reply) => {
    const b = req.body as Body;
    const ids = b.id === undefined ? [] : Array.isArray(b.id) ? b.id : [b.id];
    const threads = b.thread === undefined ? [] : Array.isArray(b.thread) ? b.thread : [b.thread];
    const back = safePath(b.back ?? '/mail');
    if (!ids.length && !threads.length) return reply.redirect(back, 303);
    const api = apiFor(svc, req);
    try {
      if (threads.length) {
        const t = await api.one('Thread/get', { ids: threads });
        if ((t.notFound as string[]).length) throw new MailError('notFound');
        for (const th of t.list as { emailIds: string[] }[]) for (const id of th.emailIds) if (!ids.includes(id)) ids.push(id);
        if (ids.length > 500) throw new MailError('invalidArguments', 'too many messages at once');
      }
      const update = await patchFor(api, b, ids);
      const res = await api.one('Email/set', update.destroy ? { destroy: ids } : { update: Object.fromEntries(ids.map((id) => [id, update.patch])) });
      const failed = ids.map((id) => MailApi.setError(res, id)).find(Boolean);
      if (failed) throw new MailError(failed.type === 'notFound' ? 'notFound' : 'invalidArguments', failed.description);
      req.audit = { action: `mail.${b.op}`, detail: { count: ids.length } };
      // a message moved away or deleted cannot be shown again: back to its list
      return reply.redirect(update.leaves && back.startsWith('/mail/message/') ? '/mail' : back, 303);
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });
}

/** The Email/set patch for an operation (or destroy, for a delete inside Trash). */
async function patchFor(api: MailApi, b: Body, ids: string[]): Promise<{ patch: Record<string, unknown>; destroy?: boolean; leaves: boolean }> {
  switch (b.op) {
    case 'read':
      return { patch: { 'keywords/$seen': true }, leaves: false };
    case 'unread':
      return { patch: { 'keywords/$seen': null }, leaves: false };
    case 'flag':
      return { patch: { 'keywords/$flagged': true }, leaves: false };
    case 'unflag':
      return { patch: { 'keywords/$flagged': null }, leaves: false };
    default:
      break;
  }
  const list = await mailboxes(api);
  const role = b.op === 'delete' ? 'trash' : b.op === 'spam' ? 'junk' : b.op === 'notspam' ? 'inbox' : null;
  const target = role ? byRole(list, role) : list.find((m) => m.id === b.to);
  if (!target) throw new MailError('invalidArguments', 'no such folder');
  if (b.op === 'delete') {
    // already in Trash: gone for good
    const got = await api.one('Email/get', { ids, properties: ['mailboxIds'] });
    const all = got.list as { mailboxIds: Record<string, boolean> }[];
    if ((got.notFound as string[]).length) throw new MailError('notFound');
    if (all.every((e) => Object.keys(e.mailboxIds).length === 1 && e.mailboxIds[target.id])) return { patch: {}, destroy: true, leaves: true };
  }
  return { patch: { mailboxIds: { [target.id]: true } }, leaves: true };
}
