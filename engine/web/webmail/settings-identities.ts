// The settings sections for writing: the user's identities (JMAP Identity/get|set: name, From address, Reply-To
// and a text signature each; the server refuses an address the user does not own with forbiddenFrom) and the
// preferences (the pages' language, the charset new messages start with). Only the signed-in user's own objects.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JmapService } from '../../jmap/service.js';
import { boolAttr, html, type SafeHtml } from '../html.js';
import { CSRF_FIELD } from '../csrf.js';
import { hiddenCsrf, type View } from '../layout.js';
import { requireRole } from '../roles.js';
import { LANGS, isLang } from '../i18n.js';
import { parseAddresses } from './addresses.js';
import { apiFor } from './list-page.js';
import { MailApi, type Address } from './mail-api.js';
import { CHARSETS, getPrefs, setPrefs, type SendCharset } from './prefs.js';
import { sendMailError } from './views.js';

const access = { access: { guard: requireRole('signed-in') } };
const csrf = { [CSRF_FIELD]: { type: 'string', maxLength: 100 } } as const;
export const MAX_SIGNATURE = 4000;

export interface Identity {
  id: string;
  name: string;
  email: string;
  replyTo: Address[] | null;
  textSignature: string;
  mayDelete: boolean;
}

export async function listIdentities(api: MailApi): Promise<Identity[]> {
  return (await api.one('Identity/get', { ids: null })).list as Identity[];
}

export type WritingProblem = { form: 'prefs' | 'identity'; message: string; id?: string };

/** The two sections, for the settings page. */
export async function writingSections(v: View, svc: JmapService, api: MailApi, address: string, problem?: WritingProblem, done?: string): Promise<SafeHtml> {
  const ids = await listIdentities(api);
  const prefs = await getPrefs(svc, address);
  const own = [...svc.deps.directory.senderAddresses(api.user)].sort();
  const err = (form: string, id = '') => (problem?.form === form && (problem.id ?? '') === id ? html`<p class="error" role="alert" data-form="${form}">${problem.message}</p>` : '');
  const ok = (form: string) => (done === form ? html`<p class="notice" role="status" data-done="${form}">${v.t(`settings.savedMail.${form}`)}</p>` : '');
  const one = (i: Identity | null) => {
    const key = i?.id ?? 'new';
    return html`<form method="post" action="/settings/identity" class="identity" data-identity="${i?.email ?? ''}">${hiddenCsrf(v)}
      <input type="hidden" name="id" value="${i?.id ?? ''}">
      ${err('identity', i?.id ?? '')}
      <p><label for="i-${key}-email">${v.t('settings.identityEmail')}</label>${i
        ? html`<input id="i-${key}-email" type="text" value="${i.email}" readonly>`
        : html`<input id="i-${key}-email" name="email" type="text" list="own-addresses" maxlength="320" required>`}</p>
      <p><label for="i-${key}-name">${v.t('settings.identityName')}</label><input id="i-${key}-name" name="name" type="text" maxlength="200" value="${i?.name ?? ''}"></p>
      <p><label for="i-${key}-reply">${v.t('settings.replyTo')}</label><input id="i-${key}-reply" name="replyTo" type="text" maxlength="2000" value="${(i?.replyTo ?? []).map((a) => a.email).join(', ')}"></p>
      <p><label for="i-${key}-sig">${v.t('settings.signature')}</label><textarea id="i-${key}-sig" name="signature" rows="4" maxlength="${String(MAX_SIGNATURE)}">${i?.textSignature ?? ''}</textarea></p>
      <p><button type="submit" name="op" value="save">${v.t(i ? 'settings.save' : 'settings.identityAdd')}</button>${i?.mayDelete ? html` <button type="submit" name="op" value="delete" class="danger">${v.t('settings.identityDelete')}</button>` : ''}</p>
    </form>`;
  };
  return html`<section id="identity"><h2>${v.t('settings.identities')}</h2>${ok('identity')}${err('identity', 'none')}
      <p class="hint">${v.t('settings.identitiesHint')}</p>
      <datalist id="own-addresses">${own.map((a) => html`<option value="${a}">`)}</datalist>
      ${ids.map((i) => one(i))}
      <h3>${v.t('settings.identityNew')}</h3>${one(null)}
    </section>
    <section id="prefs"><h2>${v.t('settings.prefs')}</h2>${ok('prefs')}${err('prefs')}
      <form method="post" action="/settings/prefs">${hiddenCsrf(v)}
        <p><label for="p-lang">${v.t('settings.language')}</label><select id="p-lang" name="lang">
          <option value=""${boolAttr('selected', prefs.lang === null)}>${v.t('settings.languageBrowser')}</option>
          ${LANGS.map((l) => html`<option value="${l}" lang="${l}"${boolAttr('selected', prefs.lang === l)}>${v.t(`lang.${l}`)}</option>`)}</select></p>
        <p><label for="p-charset">${v.t('settings.charset')}</label><select id="p-charset" name="charset">
          ${CHARSETS.map((c) => html`<option value="${c}"${boolAttr('selected', prefs.charset === c)}>${v.t(`mail.charsets.${c}`)}</option>`)}</select></p>
        <p class="hint">${v.t('settings.charsetHint')}</p>
        <p><button type="submit">${v.t('settings.save')}</button></p></form>
    </section>`;
}

type Render = (req: FastifyRequest, reply: FastifyReply, o: { done?: string; writing?: WritingProblem }) => Promise<FastifyReply>;
const done = (reply: FastifyReply, what: string) => reply.redirect(`/settings?done=${what}#${what}`, 303);

export function registerWritingSettings(app: FastifyInstance, svc: JmapService, render: Render): void {
  app.post('/settings/prefs', {
    config: access,
    schema: { body: { type: 'object', additionalProperties: false, required: ['charset'], properties: { lang: { type: 'string', enum: ['', ...LANGS] }, charset: { type: 'string', enum: [...CHARSETS] }, ...csrf } } },
  }, async (req, reply) => {
    const b = req.body as { lang?: string; charset: SendCharset };
    await setPrefs(svc, req.caller!.user.address, { lang: isLang(b.lang) ? b.lang : null, charset: b.charset });
    req.audit = { action: 'prefs.set', detail: { lang: b.lang || 'browser', charset: b.charset } };
    return done(reply, 'prefs');
  });

  app.post('/settings/identity', {
    config: access,
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['op'],
        properties: {
          id: { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9_-]*$' }, email: { type: 'string', maxLength: 320 }, name: { type: 'string', maxLength: 200 },
          replyTo: { type: 'string', maxLength: 2000 }, signature: { type: 'string', maxLength: MAX_SIGNATURE }, op: { type: 'string', enum: ['save', 'delete'] }, ...csrf,
        },
      },
    },
  }, async (req, reply) => {
    const v = { t: req.t };
    const b = req.body as { id?: string; email?: string; name?: string; replyTo?: string; signature?: string; op: 'save' | 'delete' };
    const fail = (message: string) => render(req, reply, { writing: { form: 'identity', message, id: b.id || '' } });
    const api = apiFor(svc, req);
    try {
      const rt = parseAddresses(b.replyTo ?? '');
      if (!rt.ok) return await fail(v.t('mail.badAddress', { address: rt.bad }));
      const fields = { name: (b.name ?? '').replace(/[\r\n]+/g, ' ').trim(), replyTo: rt.list.length ? rt.list.map((a) => ({ name: null, email: a.email })) : null, textSignature: (b.signature ?? '').replace(/\r\n?/g, '\n').replace(/\s+$/, '') };
      let args: Record<string, unknown>;
      if (b.op === 'delete') {
        if (!b.id) return await fail(v.t('settings.identityMissing'));
        args = { destroy: [b.id] };
      } else if (b.id) args = { update: { [b.id]: fields } };
      else {
        const email = (b.email ?? '').trim();
        if (!email) return await fail(v.t('settings.identityEmailNeeded'));
        args = { create: { n: { email, ...fields } } };
      }
      const res = await api.one('Identity/set', args);
      const bad = MailApi.setError(res, b.id || 'n');
      if (bad) {
        req.audit = { action: 'identity.set', result: 'denied', detail: { type: bad.type } };
        return await fail(bad.type === 'forbiddenFrom' ? v.t('settings.identityForbidden', { address: b.email ?? '' }) : bad.type === 'notFound' ? v.t('settings.identityMissing') : (bad.description ?? bad.type));
      }
      req.audit = { action: 'identity.set', detail: { op: b.op } };
      return done(reply, 'identity');
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });
}
