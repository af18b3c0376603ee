// Folders: create, rename, delete (only an empty folder; the special-use ones cannot be renamed or deleted)
// and subscribe, each one Mailbox/set as the user — JMAP decides what is allowed and says why not.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { boolAttr, html } from '../html.js';
import { CSRF_FIELD } from '../csrf.js';
import { hiddenCsrf, viewOf } from '../layout.js';
import { requireRole } from '../roles.js';
import type { JmapService } from '../../jmap/service.js';
import { MailApi, MailError, mailboxes } from './mail-api.js';
import { apiFor } from './list-page.js';
import { folderList, mailboxName, mailPage, sendMailError, url } from './views.js';

const access = { access: { guard: requireRole('signed-in') } };
const ID = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' } as const;
const NAME = { type: 'string', minLength: 1, maxLength: 200 } as const;

async function render(req: FastifyRequest, reply: FastifyReply, svc: JmapService, o: { error?: string; done?: string } = {}) {
  const v = viewOf(req, reply, 'webmail');
  const api = apiFor(svc, req);
  const list = await mailboxes(api);
  const subs = (await api.one('Mailbox/get', { ids: null, properties: ['id', 'isSubscribed', 'myRights'] })).list as { id: string; isSubscribed: boolean; myRights: { mayRename: boolean; mayDelete: boolean } }[];
  const info = new Map(subs.map((s) => [s.id, s]));
  const content = html`<h1>${v.t('folders.title')}</h1>
    ${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}${o.done ? html`<p class="notice" role="status">${v.t('folders.saved')}</p>` : ''}
    <form method="post" action="/folders/create" class="folder-create">${hiddenCsrf(v)}
      <label for="f-new">${v.t('folders.new')}</label> <input id="f-new" name="name" type="text" maxlength="200" required> <button type="submit">${v.t('folders.create')}</button>
    </form>
    <table class="folders"><tbody>${list.map((m) => {
      const i = info.get(m.id);
      return html`<tr data-mailbox="${m.id}"><td>${mailboxName(v, m)}</td>
        <td>${i?.myRights.mayRename ? html`<form method="post" action="/folders/rename">${hiddenCsrf(v)}<input type="hidden" name="id" value="${m.id}"><input name="name" type="text" maxlength="200" required value="${m.name}" aria-label="${v.t('folders.rename')}"> <button type="submit">${v.t('folders.rename')}</button></form>` : ''}</td>
        <td><form method="post" action="/folders/subscribe">${hiddenCsrf(v)}<input type="hidden" name="id" value="${m.id}"><label class="inline"><input type="checkbox" name="on" value="1"${boolAttr('checked', !!i?.isSubscribed)}> ${v.t('folders.subscribed')}</label> <button type="submit">${v.t('settings.save')}</button></form></td>
        <td>${i?.myRights.mayDelete ? html`<form method="post" action="/folders/delete">${hiddenCsrf(v)}<input type="hidden" name="id" value="${m.id}"><button type="submit" class="danger">${v.t('folders.delete')}</button></form>` : ''}</td></tr>`;
    })}</tbody></table>`;
  return mailPage(req, reply, v.t('folders.title'), folderList(v, list, null), content, o.error ? 400 : 200);
}

export function registerFoldersPage(app: FastifyInstance, svc: JmapService): void {
  app.get('/folders', { config: access }, async (req, reply) => {
    try {
      return await render(req, reply, svc, { done: (req.query as Record<string, unknown>).done === '1' ? '1' : undefined });
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });

  const change = (path: string, props: Record<string, unknown>, required: string[], call: (b: Record<string, string>) => Record<string, unknown>) =>
    app.post(path, { config: access, schema: { body: { type: 'object', additionalProperties: false, required, properties: { ...props, [CSRF_FIELD]: { type: 'string', maxLength: 100 } } } } }, async (req, reply) => {
      const b = req.body as Record<string, string>;
      const v = viewOf(req, reply, 'webmail');
      try {
        const args = call(b);
        const res = await apiFor(svc, req).one('Mailbox/set', args);
        const id = (args.create ? 'n' : b.id) as string;
        const err = MailApi.setError(res, id);
        if (err) {
          if (err.type === 'notFound') throw new MailError('notFound');
          if (err.type === 'overQuota') return render(req, reply, svc, { error: v.t('folders.error.overQuota', { max: svc.limits.maxMailboxesPerAccount }) });
          return render(req, reply, svc, { error: v.t(`folders.error.${['mailboxHasEmail', 'mailboxHasChild', 'forbidden'].includes(err.type) ? err.type : 'invalid'}`, { reason: err.description ?? err.type }) });
        }
        req.audit = { action: `folder${path.slice('/folders'.length).replace('/', '.')}` };
        return reply.redirect(url('/folders', { done: '1' }), 303);
      } catch (e) {
        return sendMailError(req, reply, e);
      }
    });

  change('/folders/create', { name: NAME }, ['name'], (b) => ({ create: { n: { name: b.name.trim(), parentId: null } } }));
  change('/folders/rename', { id: ID, name: NAME }, ['id', 'name'], (b) => ({ update: { [b.id]: { name: b.name.trim() } } }));
  change('/folders/subscribe', { id: ID, on: { type: 'string', enum: ['1'] } }, ['id'], (b) => ({ update: { [b.id]: { isSubscribed: b.on === '1' } } }));
  change('/folders/delete', { id: ID }, ['id'], (b) => ({ destroy: [b.id], onDestroyRemoveEmails: false }));
}
