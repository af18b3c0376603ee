// Mailing lists (engine/lists) in the administration: the lists a caller may administer (all for a system
// admin, those of its domains for a host admin, those naming it as moderator for a list admin), a list's
// settings, members (add, remove) and moderation queue (approve, reject: the running server's list housekeeping
// carries the decision out within [lists] check_interval). Creating and deleting a list, and changing its
// moderators, is for the domain's admins. Pages and /api/v1/lists share ListOps.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DMARC_REWRITES, POST_POLICIES, REPLY_POLICIES, type ListSettings, type MailingList } from '../../accounts/list-directory.js';
import type { User } from '../../accounts/directory.js';
import { SqliteActivity, type HeldPost, type ListActivity } from '../../lists/activity.js';
import { ListError } from '../../lists/sqlite-lists.js';
import { html } from '../html.js';
import { formatNumber, type Translate } from '../i18n.js';
import type { Guard, Roles } from '../roles.js';
import type { WebDeps } from '../types.js';
import { apiRoute, checked, domainAdminGuard, errorFor, errorSchema, formBody, invalid, lines, me, notFound, ok, page, pageRoute, refuse, sendOutcomeError, when, type FieldError, type Outcome } from './common.js';
import { buttonForm, checkbox, errorSummary, form, input, notice, select, textarea } from './forms.js';
import type { AdminServices } from './services.js';
import { isAddress } from './users-ops.js';
import { UNPROVEN_AUTHOR } from '../../lists/moderation.js';

const listParam = { type: 'object', required: ['list'], properties: { list: { type: 'string', minLength: 3, maxLength: 320 } } } as const;
const heldParam = { type: 'object', required: ['list', 'id'], properties: { list: { type: 'string', maxLength: 320 }, id: { type: 'string', pattern: '^[a-z2-7]{10}$' } } } as const;

export class ListOps {
  readonly activity: ListActivity;
  constructor(private readonly svc: AdminServices, private readonly roles: Roles) {
    // PostgreSQL: the shared moderation queue (a post held through any node is decided here)
    this.activity = svc.listActivity ?? new SqliteActivity(svc.db);
  }

  private get dir() {
    return this.svc.accounts.lists;
  }

  ref(address: string) {
    return { address: address.toLowerCase(), owners: this.dir.admins(address.toLowerCase()) };
  }

  visible(caller: User): MailingList[] {
    return this.dir.lists().filter((l) => this.roles.canAdminList(caller, this.ref(l.address)));
  }

  create(caller: User, raw: string): Outcome<MailingList> {
    const address = raw.trim().toLowerCase();
    const at = address.lastIndexOf('@');
    if (at <= 0 || !isAddress(address)) return invalid([{ field: 'address', code: 'not-address', values: { value: raw } }]);
    const canonical = this.svc.accounts.localDomain(address.slice(at + 1));
    if (!canonical) return invalid([{ field: 'address', code: 'not-local-domain', values: { domain: address.slice(at + 1) } }]);
    if (!this.roles.canAdminDomain(caller, canonical)) return refuse('address', 'not-your-domain');
    try {
      return ok(this.dir.createList(address));
    } catch (e) {
      if (e instanceof ListError) return invalid([e.code ? { field: 'address', code: e.code, values: e.values } : { field: 'address', code: 'account-error', values: { reason: e.message } }]);
      throw e;
    }
  }

  /** Settings from form-like input; each checked before the one write. */
  update(caller: User, address: string, s: Partial<ListSettings>, moderators?: string[]): Outcome<MailingList> {
    const l = this.dir.list(address);
    if (!l) return notFound('list');
    const errors: FieldError[] = [];
    if (s.post !== undefined && !POST_POLICIES.includes(s.post)) errors.push({ field: 'post', code: 'setting-choice', values: { detail: POST_POLICIES.join(', ') } });
    if (s.replyTo !== undefined && !REPLY_POLICIES.includes(s.replyTo)) errors.push({ field: 'replyTo', code: 'setting-choice', values: { detail: REPLY_POLICIES.join(', ') } });
    if (s.dmarcRewrite !== undefined && !DMARC_REWRITES.includes(s.dmarcRewrite)) errors.push({ field: 'dmarcRewrite', code: 'setting-choice', values: { detail: DMARC_REWRITES.join(', ') } });
    if (s.subjectPrefix !== undefined && (s.subjectPrefix.length > 100 || /[\x00-\x1f\x7f]/.test(s.subjectPrefix))) errors.push({ field: 'subjectPrefix', code: 'too-long', values: { max: 100 } });
    if (s.maxSize !== undefined && (!Number.isSafeInteger(s.maxSize) || s.maxSize < 0)) errors.push({ field: 'maxSize', code: 'setting-type', values: { detail: String(s.maxSize) } });
    if (moderators !== undefined) {
      if (!this.roles.canAdminDomain(caller, l.domain)) return refuse('moderators', 'cannot-grant');
      const bad = moderators.find((m) => !isAddress(m));
      if (bad) errors.push({ field: 'moderators', code: 'not-address', values: { value: bad } });
    }
    if (errors.length) return invalid(errors);
    try {
      this.svc.db.transaction(() => {
        this.dir.updateList(l.address, s);
        if (moderators) {
          const want = new Set(moderators.map((m) => m.toLowerCase()));
          for (const a of this.dir.admins(l.address)) if (!want.has(a)) this.dir.removeAdmin(l.address, a);
          for (const a of want) this.dir.addAdmin(l.address, a);
        }
      })();
    } catch (e) {
      if (e instanceof ListError) return invalid([e.code ? { field: 'list', code: e.code, values: e.values } : { field: 'list', code: 'account-error', values: { reason: e.message } }]);
      throw e;
    }
    return ok(this.dir.list(l.address)!);
  }

  remove(caller: User, address: string): Outcome<null> {
    const l = this.dir.list(address);
    if (!l) return notFound('list');
    if (!this.roles.canAdminDomain(caller, l.domain)) return refuse('list', 'not-your-domain');
    this.dir.deleteList(l.address);
    return ok(null);
  }

  /** Add members (one transaction: a bad address adds none). */
  addMembers(address: string, addresses: string[], digest: boolean): Outcome<{ added: number }> {
    const l = this.dir.list(address);
    if (!l) return notFound('list');
    const bad = addresses.find((a) => !isAddress(a));
    if (bad) return invalid([{ field: 'members', code: 'not-address', values: { value: bad } }]);
    if (addresses.length > 10_000) return invalid([{ field: 'members', code: 'too-many', values: { max: 10_000 } }]);
    try {
      let added = 0;
      this.svc.db.transaction(() => {
        for (const a of addresses) if (this.dir.addMember(l.address, a, { digest })) added++;
      })();
      return ok({ added });
    } catch (e) {
      if (e instanceof ListError) return invalid([e.code ? { field: 'members', code: e.code, values: e.values } : { field: 'members', code: 'account-error', values: { reason: e.message } }]);
      throw e;
    }
  }

  removeMember(address: string, member: string): Outcome<null> {
    if (!this.dir.list(address)) return notFound('list');
    return this.dir.removeMember(address.toLowerCase(), member) ? ok(null) : notFound('member');
  }

  async held(address: string): Promise<HeldPost[]> {
    return (await this.activity.heldPosts(address.toLowerCase())).filter((h) => h.state === 'held');
  }

  async decide(address: string, id: string, action: 'approve' | 'reject'): Promise<Outcome<HeldPost>> {
    const h = await this.activity.heldById(id);
    if (!h || h.list !== address.toLowerCase()) return notFound('held');
    if (!(await this.activity.setHeldState(h.id, action === 'approve' ? 'approved' : 'rejected'))) return { ok: false, status: 409, errors: [{ field: 'held', code: 'held-decided' }] };
    return ok(h);
  }
}

/**
 * A held post's reason in the reader's language. The list engine stores its reason as an English sentence
 * (engine/lists/post.ts holdReason); the known ones are matched whole and translated, anything else is
 * shown as stored (as text).
 */
export function heldReason(t: Translate, reason: string): string {
  // a forged author of our own domains is added to the reason (engine/lists/post.ts): its base and the addition each translated
  const forged = `; ${UNPROVEN_AUTHOR}`;
  if (reason.endsWith(forged)) return `${heldReason(t, reason.slice(0, -forged.length))} ${t('lists.reasons.unprovenAuthor')}`;
  const size = /^larger than the list's limit \((\d+) > (\d+) bytes\)$/.exec(reason);
  if (size) return t('lists.reasons.size', { size: size[1], max: size[2] });
  const key = HELD_REASONS[reason];
  return key ? t(`lists.reasons.${key}`) : reason;
}
const HELD_REASONS: Record<string, string> = {
  'classified as spam': 'spam',
  'only moderators post to this list': 'moderators',
  'the sender is not a member': 'member',
  'the list is moderated': 'moderated',
  'the sender is of our own domains but did not log in to send': 'unproven',
};

const listJson = (l: MailingList, members: number) => ({ ...l, created: new Date(l.created).toISOString(), members });
const listSchema = {
  type: 'object',
  properties: {
    address: { type: 'string' }, name: { type: 'string' }, domain: { type: 'string' }, post: { type: 'string' }, moderated: { type: 'boolean' }, subjectPrefix: { type: 'string' }, replyTo: { type: 'string' },
    maxSize: { type: 'integer' }, digest: { type: 'boolean' }, archive: { type: 'boolean' }, dmarcRewrite: { type: 'string' }, private: { type: 'boolean' }, created: { type: 'string' }, members: { type: 'integer' },
  },
};

export function registerLists(app: FastifyInstance, deps: WebDeps, svc: AdminServices): void {
  const ops = new ListOps(svc, deps.roles);
  const listGuard: Guard = { name: 'list-admin', allows: (u, req, roles) => roles.canAdminList(u, ops.ref((req.params as { list?: string }).list ?? '')) };
  const hostish = domainAdminGuard(deps.directory);

  const indexPage = async (req: FastifyRequest, reply: FastifyReply, o: { errors?: FieldError[]; value?: string; status?: number; done?: string } = {}) => {
    const lists = ops.visible(me(req));
    const heldCounts = await Promise.all(lists.map(async (l) => (await ops.held(l.address)).length));
    const mayCreate = hostish.allows(me(req), req, deps.roles);
    return page(req, reply, req.t('lists.title'), (v) => html`<h1>${v.t('lists.title')}</h1>${notice(o.done ? v.t(`lists.done.${o.done === 'deleted' ? 'deleted' : 'created'}`) : null)}${errorSummary(v, o.errors)}
      ${lists.length ? html`<table class="lists"><thead><tr><th scope="col">${v.t('lists.address')}</th><th scope="col">${v.t('lists.members')}</th><th scope="col">${v.t('lists.held')}</th></tr></thead>
        <tbody>${lists.map((l, i) => html`<tr data-list="${l.address}"><td><a href="/lists/${l.address}">${l.address}</a></td><td>${formatNumber(svc.accounts.lists.members(l.address).length, v.locale)}</td><td>${formatNumber(heldCounts[i], v.locale)}</td></tr>`)}</tbody></table>`
        : html`<p class="empty">${v.t('lists.none')}</p>`}
      ${mayCreate ? html`<section aria-labelledby="new-h"><h2 id="new-h">${v.t('lists.create')}</h2>${form(v, '/lists', input(v, { name: 'address', label: v.t('lists.address'), value: o.value ?? '', required: true, maxlength: 320, error: errorFor(o.errors, 'address') }), { submit: v.t('lists.create') })}</section>` : ''}`, o.status ?? 200);
  };

  const listPage = async (req: FastifyRequest<{ Params: { list: string } }>, reply: FastifyReply, o: { errors?: FieldError[]; status?: number; done?: string } = {}) => {
    const l = svc.accounts.lists.list(req.params.list);
    if (!l) return page(req, reply, req.t('error.title', { status: 404 }), (v) => html`<h1>${v.t('error.title', { status: 404 })}</h1><p>${v.t('field.not-found')}</p>`, 404);
    const members = svc.accounts.lists.members(l.address);
    const held = await ops.held(l.address);
    const domainAdmin = deps.roles.canAdminDomain(me(req), l.domain);
    const base = `/lists/${l.address}`;
    const done = o.done && ['saved', 'added', 'removed', 'approve', 'reject'].includes(o.done) ? req.t(`lists.done.${o.done}`) : null;
    return page(req, reply, l.address, (v) => html`<h1>${l.address}</h1>${notice(done)}${errorSummary(v, o.errors)}<p><a href="/lists">${v.t('lists.back')}</a></p>
      <section aria-labelledby="held-h"><h2 id="held-h">${v.t('lists.moderation')}</h2>
        ${held.length ? html`<table class="held"><thead><tr><th scope="col">${v.t('lists.sender')}</th><th scope="col">${v.t('lists.subject')}</th><th scope="col">${v.t('lists.reason')}</th><th scope="col">${v.t('lists.received')}</th><th scope="col">${v.t('queue.actions')}</th></tr></thead>
          <tbody>${held.map((h) => html`<tr data-held="${h.id}"><td>${h.sender}</td><td>${h.subject}</td><td class="reason" data-reason="${h.reason}">${heldReason(v.t, h.reason)}</td><td>${when(h.created, v.locale)}</td>
            <td>${buttonForm(v, `${base}/held/${h.id}/approve`, v.t('lists.approve'))}${buttonForm(v, `${base}/held/${h.id}/reject`, v.t('lists.reject'), { cls: 'danger' })}</td></tr>`)}</tbody></table>` : html`<p class="empty">${v.t('lists.noHeld')}</p>`}</section>
      <section aria-labelledby="members-h"><h2 id="members-h">${v.t('lists.membersCount', { count: formatNumber(members.length, v.locale) })}</h2>
        ${members.length ? html`<table class="members"><tbody>${members.map((m) => html`<tr data-member="${m.address}"><td>${m.address}</td><td>${m.digest ? v.t('lists.digest') : ''}${m.disabled ? v.t('lists.disabled') : ''}</td><td>${buttonForm(v, `${base}/members/remove`, v.t('lists.remove'), { name: 'address', value: m.address })}</td></tr>`)}</tbody></table>` : ''}
        ${form(v, `${base}/members`, html`${textarea(v, { name: 'members', label: v.t('lists.addMembers'), value: '', rows: 3, hint: v.t('users.hint.forward'), error: errorFor(o.errors, 'members') })}${checkbox(v, { name: 'digest', label: v.t('lists.digestMembers'), checked: false })}`, { submit: v.t('lists.add') })}</section>
      <section aria-labelledby="settings-h"><h2 id="settings-h">${v.t('users.settings')}</h2>
        ${form(v, base, html`${select(v, { name: 'post', label: v.t('lists.post'), value: l.post, options: POST_POLICIES.map((p) => ({ value: p, label: v.t(`lists.posts.${p}`) })), error: errorFor(o.errors, 'post') })}
          ${checkbox(v, { name: 'moderated', label: v.t('lists.moderated'), checked: l.moderated })}
          ${input(v, { name: 'subjectPrefix', label: v.t('lists.subjectPrefix'), value: l.subjectPrefix, maxlength: 100, error: errorFor(o.errors, 'subjectPrefix') })}
          ${select(v, { name: 'replyTo', label: v.t('lists.replyTo'), value: l.replyTo, options: REPLY_POLICIES.map((p) => ({ value: p, label: v.t(`lists.replies.${p}`) })) })}
          ${input(v, { name: 'maxSize', label: v.t('lists.maxSize'), value: l.maxSize, type: 'number', maxlength: 12, error: errorFor(o.errors, 'maxSize') })}
          ${checkbox(v, { name: 'digest', label: v.t('lists.digestOffered'), checked: l.digest })}
          ${checkbox(v, { name: 'archive', label: v.t('lists.archive'), checked: l.archive })}
          ${select(v, { name: 'dmarcRewrite', label: v.t('lists.dmarc'), value: l.dmarcRewrite, options: DMARC_REWRITES.map((p) => ({ value: p, label: v.t(`lists.dmarcs.${p}`) })) })}
          ${checkbox(v, { name: 'private', label: v.t('lists.private'), checked: l.private })}
          ${textarea(v, { name: 'moderators', label: v.t('lists.moderators'), value: svc.accounts.lists.admins(l.address).join('\n'), rows: 3, disabled: !domainAdmin, error: errorFor(o.errors, 'moderators') })}`, { submit: v.t('form.save') })}</section>
      ${domainAdmin ? html`<section class="danger"><h2>${v.t('lists.delete')}</h2>${buttonForm(v, `${base}/delete`, v.t('lists.delete'), { confirm: v.t('lists.deleteConfirm', { address: l.address }), cls: 'danger' })}</section>` : ''}`, o.status ?? 200);
  };

  const settingsFromForm = (b: Record<string, string>): Partial<ListSettings> => ({
    post: b.post as ListSettings['post'],
    moderated: checked(b.moderated),
    subjectPrefix: (b.subjectPrefix ?? '').trim(),
    replyTo: b.replyTo as ListSettings['replyTo'],
    maxSize: /^\d{1,12}$/.test((b.maxSize ?? '').trim()) ? Number(b.maxSize) : Number.NaN,
    digest: checked(b.digest),
    archive: checked(b.archive),
    dmarcRewrite: b.dmarcRewrite as ListSettings['dmarcRewrite'],
    private: checked(b.private),
  });

  app.get<{ Querystring: { done?: string } }>('/lists', { config: pageRoute('any-admin') }, async (req, reply) => indexPage(req, reply, { done: req.query.done }));
  app.post<{ Body: { address?: string } }>('/lists', { config: pageRoute(hostish), schema: { body: formBody({ address: 320 }) } }, async (req, reply) => {
    const r = ops.create(me(req), req.body.address ?? '');
    req.audit = { action: 'list.create', detail: { list: req.body.address } };
    if (!r.ok) return indexPage(req, reply, { errors: r.errors, value: req.body.address, status: r.status });
    return reply.redirect(`/lists/${r.value.address}?done=saved`, 303);
  });
  app.get<{ Params: { list: string }; Querystring: { done?: string } }>('/lists/:list', { config: pageRoute(listGuard), schema: { params: listParam } }, async (req, reply) => listPage(req, reply, { done: req.query.done }));
  app.post<{ Params: { list: string }; Body: Record<string, string> }>('/lists/:list', {
    config: pageRoute(listGuard),
    schema: { params: listParam, body: formBody({ post: 20, moderated: 10, subjectPrefix: 200, replyTo: 20, maxSize: 20, digest: 10, archive: 10, dmarcRewrite: 20, private: 10, moderators: 20_000 }) },
  }, async (req, reply) => {
    const mods = deps.roles.canAdminDomain(me(req), svc.accounts.lists.list(req.params.list)?.domain ?? '') && req.body.moderators !== undefined ? lines(req.body.moderators) : undefined;
    const r = ops.update(me(req), req.params.list, settingsFromForm(req.body), mods);
    req.audit = { action: 'list.update', detail: { list: req.params.list } };
    if (!r.ok) return listPage(req, reply, { errors: r.errors, status: r.status });
    return reply.redirect(`/lists/${r.value.address}?done=saved`, 303);
  });
  app.post<{ Params: { list: string } }>('/lists/:list/delete', { config: pageRoute(listGuard), schema: { params: listParam, body: formBody({}) } }, async (req, reply) => {
    const r = ops.remove(me(req), req.params.list);
    req.audit = { action: 'list.delete', detail: { list: req.params.list } };
    if (!r.ok) return listPage(req, reply, { errors: r.errors, status: r.status });
    return reply.redirect('/lists?done=deleted', 303);
  });
  app.post<{ Params: { list: string }; Body: { members?: string; digest?: string } }>('/lists/:list/members', { config: pageRoute(listGuard), schema: { params: listParam, body: formBody({ members: 400_000, digest: 10 }) } }, async (req, reply) => {
    const r = ops.addMembers(req.params.list, lines(req.body.members).flatMap((l) => l.split(/[,;\s]+/)).filter(Boolean), checked(req.body.digest));
    req.audit = { action: 'list.members.add', detail: { list: req.params.list, added: r.ok ? r.value.added : 0 } };
    if (!r.ok) return listPage(req, reply, { errors: r.errors, status: r.status });
    return reply.redirect(`/lists/${req.params.list.toLowerCase()}?done=added`, 303);
  });
  app.post<{ Params: { list: string }; Body: { address?: string } }>('/lists/:list/members/remove', { config: pageRoute(listGuard), schema: { params: listParam, body: formBody({ address: 320 }) } }, async (req, reply) => {
    const r = ops.removeMember(req.params.list, req.body.address ?? '');
    req.audit = { action: 'list.members.remove', detail: { list: req.params.list, member: req.body.address } };
    if (!r.ok) return listPage(req, reply, { errors: r.errors, status: r.status });
    return reply.redirect(`/lists/${req.params.list.toLowerCase()}?done=removed`, 303);
  });
  for (const action of ['approve', 'reject'] as const) {
    app.post<{ Params: { list: string; id: string } }>(`/lists/:list/held/:id/${action}`, { config: pageRoute(listGuard), schema: { params: heldParam, body: formBody({}) } }, async (req, reply) => {
      const r = await ops.decide(req.params.list, req.params.id, action);
      req.audit = { action: `list.${action}`, detail: { list: req.params.list, held: req.params.id } };
      if (!r.ok) return listPage(req, reply, { errors: r.errors, status: r.status });
      return reply.redirect(`/lists/${req.params.list.toLowerCase()}?done=${action}`, 303);
    });
    app.post<{ Params: { list: string; id: string } }>(`/api/v1/lists/:list/held/:id/${action}`, { config: apiRoute(listGuard), schema: { params: heldParam, response: { '4xx': errorSchema } } }, async (req, reply) => {
      const r = await ops.decide(req.params.list, req.params.id, action);
      req.audit = { action: `list.${action}`, detail: { list: req.params.list, held: req.params.id } };
      if (!r.ok) return sendOutcomeError(req, reply, r);
      return { id: r.value.id, state: action === 'approve' ? 'approved' : 'rejected' };
    });
  }

  // ---- API ----
  app.get('/api/v1/lists', { config: apiRoute('any-admin'), schema: { response: { 200: { type: 'object', properties: { lists: { type: 'array', items: listSchema } } }, '4xx': errorSchema } } }, async (req) => ({
    lists: ops.visible(me(req)).map((l) => listJson(l, svc.accounts.lists.members(l.address).length)),
  }));
  app.post<{ Body: { address: string } }>('/api/v1/lists', { config: apiRoute(hostish), schema: { body: { type: 'object', additionalProperties: false, required: ['address'], properties: { address: { type: 'string', maxLength: 320 } } }, response: { 201: listSchema, '4xx': errorSchema } } }, async (req, reply) => {
    const r = ops.create(me(req), req.body.address);
    req.audit = { action: 'list.create', detail: { list: req.body.address } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(201).send(listJson(r.value, 0));
  });
  app.get<{ Params: { list: string } }>('/api/v1/lists/:list', { config: apiRoute(listGuard), schema: { params: listParam, response: { 200: { ...listSchema, properties: { ...listSchema.properties, moderators: { type: 'array', items: { type: 'string' } } } }, '4xx': errorSchema } } }, async (req, reply) => {
    const l = svc.accounts.lists.list(req.params.list);
    if (!l) return sendOutcomeError(req, reply, { ok: false, status: 404, errors: [{ field: 'list', code: 'not-found' }] });
    return { ...listJson(l, svc.accounts.lists.members(l.address).length), moderators: svc.accounts.lists.admins(l.address) };
  });
  const settingsProps = {
    post: { type: 'string', enum: [...POST_POLICIES] }, moderated: { type: 'boolean' }, subjectPrefix: { type: 'string', maxLength: 200 }, replyTo: { type: 'string', enum: [...REPLY_POLICIES] },
    maxSize: { type: 'integer', minimum: 0 }, digest: { type: 'boolean' }, archive: { type: 'boolean' }, dmarcRewrite: { type: 'string', enum: [...DMARC_REWRITES] }, private: { type: 'boolean' },
    moderators: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 320 } },
  };
  app.patch<{ Params: { list: string }; Body: Partial<ListSettings> & { moderators?: string[] } }>('/api/v1/lists/:list', { config: apiRoute(listGuard), schema: { params: listParam, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: settingsProps }, response: { 200: listSchema, '4xx': errorSchema } } }, async (req, reply) => {
    const { moderators, ...s } = req.body;
    const r = ops.update(me(req), req.params.list, s, moderators);
    req.audit = { action: 'list.update', detail: { list: req.params.list } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return listJson(r.value, svc.accounts.lists.members(r.value.address).length);
  });
  app.delete<{ Params: { list: string } }>('/api/v1/lists/:list', { config: apiRoute(listGuard), schema: { params: listParam, response: { '4xx': errorSchema } } }, async (req, reply) => {
    const r = ops.remove(me(req), req.params.list);
    req.audit = { action: 'list.delete', detail: { list: req.params.list } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(204).send();
  });
  app.get<{ Params: { list: string } }>('/api/v1/lists/:list/members', { config: apiRoute(listGuard), schema: { params: listParam, response: { '4xx': errorSchema } } }, async (req) => ({
    members: svc.accounts.lists.members(req.params.list.toLowerCase()).map((m) => ({ address: m.address, digest: m.digest, disabled: m.disabled, disabledReason: m.disabledReason ?? null, added: new Date(m.added).toISOString() })),
  }));
  app.post<{ Params: { list: string }; Body: { addresses: string[]; digest?: boolean } }>('/api/v1/lists/:list/members', { config: apiRoute(listGuard), schema: { params: listParam, body: { type: 'object', additionalProperties: false, required: ['addresses'], properties: { addresses: { type: 'array', maxItems: 10_000, items: { type: 'string', maxLength: 320 } }, digest: { type: 'boolean' } } }, response: { '4xx': errorSchema } } }, async (req, reply) => {
    const r = ops.addMembers(req.params.list, req.body.addresses, !!req.body.digest);
    req.audit = { action: 'list.members.add', detail: { list: req.params.list } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return r.value;
  });
  app.delete<{ Params: { list: string; address: string } }>('/api/v1/lists/:list/members/:address', { config: apiRoute(listGuard), schema: { response: { '4xx': errorSchema } } }, async (req, reply) => {
    const r = ops.removeMember(req.params.list, req.params.address);
    req.audit = { action: 'list.members.remove', detail: { list: req.params.list, member: req.params.address } };
    if (!r.ok) return sendOutcomeError(req, reply, r);
    return reply.code(204).send();
  });
  app.get<{ Params: { list: string } }>('/api/v1/lists/:list/held', { config: apiRoute(listGuard), schema: { params: listParam, response: { '4xx': errorSchema } } }, async (req) => ({
    held: (await ops.held(req.params.list)).map((h) => ({ id: h.id, sender: h.sender, subject: h.subject, reason: h.reason, size: h.size, received: new Date(h.created).toISOString(), expires: new Date(h.expires).toISOString() })),
  }));
}
