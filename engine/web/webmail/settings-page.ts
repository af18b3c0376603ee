// The user's own settings (A2): password change (the current password checked through the shared login flow,
// refused when the account may not change it), forwarding with "keep a copy", and the vacation reply as the
// JMAP VacationResponse (the same object a JMAP client sets; the Sieve vacation is made from it), identities with
// their signatures and the preferences (settings-identities.ts), a link to the rules page. Nothing here changes
// another account or any admin-only field.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SqliteDirectory } from '../../accounts/sqlite-directory.js';
import type { JmapService } from '../../jmap/service.js';
import { boolAttr, html } from '../html.js';
import { CSRF_FIELD } from '../csrf.js';
import { SECRET_COOKIE, sessionCookie } from '../cookies.js';
import { hiddenCsrf, viewOf, type View } from '../layout.js';
import { requireRole } from '../roles.js';
import { clientIp } from '../app.js';
import { sendError } from '../errors.js';
import type { TokenInfo, TokenStore } from '../token-store.js';
import type { WebDeps } from '../types.js';
import { parseAddresses } from './addresses.js';
import { apiFor } from './list-page.js';
import { mailboxes } from './mail-api.js';
import { folderList, mailPage, sendMailError, url } from './views.js';
import { registerWritingSettings, writingSections, type WritingProblem } from './settings-identities.js';

export type Accounts = Pick<SqliteDirectory, 'setPassword' | 'updateUser'>;
const access = { access: { guard: requireRole('signed-in') } };
const MAX_FORWARD = 10;
const DATE = /^(\d{4}-\d{2}-\d{2})?$/;
const csrf = { [CSRF_FIELD]: { type: 'string', maxLength: 100 } } as const;

type Done = 'password' | 'password-tokens' | 'forward' | 'vacation' | 'identity' | 'prefs';
const DONE: readonly string[] = ['password', 'password-tokens', 'forward', 'vacation', 'identity', 'prefs'];
type Problem = { form: Done; message: string };

interface Vacation {
  isEnabled: boolean;
  fromDate: string | null;
  toDate: string | null;
  subject: string | null;
  textBody: string | null;
}

/** The account's bearer tokens of both kinds: the admin API's and JMAP app tokens (engine/web/token-store.ts). */
function tokensOf(svc: JmapService, adminTokens: TokenStore, address: string): TokenInfo[] {
  return [...adminTokens.list(address), ...svc.tokens.list(address)];
}

async function render(req: FastifyRequest, reply: FastifyReply, svc: JmapService, adminTokens: TokenStore, o: { done?: Done; problem?: Problem; writing?: WritingProblem } = {}): Promise<FastifyReply> {
  const v = viewOf(req, reply, 'webmail');
  const user = req.caller!.user;
  const api = apiFor(svc, req);
  const vac = (await api.one('VacationResponse/get', { ids: ['singleton'] })).list as Vacation[];
  const vr = vac[0];
  const err = (form: Done) => (o.problem?.form === form ? html`<p class="error" role="alert" data-form="${form}">${o.problem.message}</p>` : '');
  const ok = (form: Done) => (o.done === form ? html`<p class="notice" role="status" data-done="${form}">${v.t(`settings.savedMail.${form}`)}</p>` : '');
  const tokens = tokensOf(svc, adminTokens, user.address);
  const newest = Math.max(0, ...tokens.map((t) => t.created));
  const day = (iso: string | null, less = 0) => (iso && Number.isFinite(Date.parse(iso)) ? new Date(Date.parse(iso) - less).toISOString().slice(0, 10) : '');
  const content = html`<h1>${v.t('settings.title')}</h1>
    <section id="password"><h2>${v.t('settings.password')}</h2>${ok('password')}${ok('password-tokens')}${err('password')}
      ${user.cannotChangePassword
        ? html`<p class="hint" data-locked="true">${v.t('settings.passwordLocked')}</p>`
        : html`<form method="post" action="/settings/password">${hiddenCsrf(v)}
          <p><label for="p-cur">${v.t('settings.current')}</label><input id="p-cur" name="current" type="password" autocomplete="current-password" required maxlength="1024"></p>
          <p><label for="p-new">${v.t('settings.new')}</label><input id="p-new" name="password" type="password" autocomplete="new-password" required maxlength="1024"></p>
          <p><label for="p-again">${v.t('settings.again')}</label><input id="p-again" name="again" type="password" autocomplete="new-password" required maxlength="1024"></p>
          ${tokens.length
            ? html`<p><label class="inline"><input type="checkbox" name="revokeTokens" value="1"> ${v.t('settings.revokeTokens', { count: tokens.length, newest: new Date(newest).toISOString().slice(0, 10) })}</label></p>
              <p class="hint">${v.t('settings.revokeTokensHint')}</p>`
            : ''}
          <p><button type="submit">${v.t('settings.save')}</button></p></form>`}
    </section>
    <section id="forward"><h2>${v.t('settings.forward')}</h2>${ok('forward')}${err('forward')}
      <form method="post" action="/settings/forward">${hiddenCsrf(v)}
        <p><label for="f-to">${v.t('settings.forwardTo')}</label><input id="f-to" name="forward" type="text" value="${user.forward.join(', ')}"></p>
        <p><label class="inline"><input type="checkbox" name="keepCopy" value="1"${boolAttr('checked', user.keepCopy)}> ${v.t('settings.keepCopy')}</label></p>
        <p class="hint">${v.t('settings.forwardHint')}</p>
        <p><button type="submit">${v.t('settings.save')}</button></p></form>
    </section>
    <section id="vacation"><h2>${v.t('settings.vacation')}</h2>${ok('vacation')}${err('vacation')}
      <form method="post" action="/settings/vacation">${hiddenCsrf(v)}
        <p><label class="inline"><input type="checkbox" name="enabled" value="1"${boolAttr('checked', vr.isEnabled)}> ${v.t('settings.vacationOn')}</label></p>
        <p><label for="v-from">${v.t('settings.fromDate')}</label><input id="v-from" name="fromDate" type="date" value="${day(vr.fromDate)}"></p>
        <p><label for="v-to">${v.t('settings.toDate')}</label><input id="v-to" name="toDate" type="date" value="${day(vr.toDate, 86_400_000)}"></p>
        <p><label for="v-subject">${v.t('mail.subject')}</label><input id="v-subject" name="subject" type="text" maxlength="500" value="${vr.subject ?? ''}"></p>
        <p><label for="v-text">${v.t('settings.vacationText')}</label><textarea id="v-text" name="text" rows="6" maxlength="20000">${vr.textBody ?? ''}</textarea></p>
        <p><button type="submit">${v.t('settings.save')}</button></p></form>
    </section>
    ${await writingSections(v, svc, api, user.address, o.writing, o.done)}
    <section id="rules-link"><h2>${v.t('settings.rules')}</h2><p><a href="/settings/rules">${v.t('settings.rulesLink')}</a></p></section>`;
  return mailPage(req, reply, v.t('settings.title'), folderList(v, await mailboxes(api), null), content, o.problem || o.writing ? 400 : 200);
}

const done = (reply: FastifyReply, what: Done) => reply.redirect(url('/settings', { done: what }) + `#${what === 'password-tokens' ? 'password' : what}`, 303);

export function registerSettingsPage(app: FastifyInstance, svc: JmapService, deps: WebDeps, accounts: Accounts): void {
  const show = (req: FastifyRequest, reply: FastifyReply, o: Parameters<typeof render>[4] = {}) => render(req, reply, svc, deps.tokens, o);
  app.get('/settings', { config: access }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const d = typeof q.done === 'string' && DONE.includes(q.done) ? (q.done as Done) : undefined;
    try {
      return await show(req, reply, { done: d });
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });

  registerWritingSettings(app, svc, async (req, reply, o) => {
    try {
      return await show(req, reply, { done: o.done as Done | undefined, writing: o.writing });
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });

  const pw = { type: 'string', minLength: 1, maxLength: 1024 } as const;
  app.post('/settings/password', {
    config: access,
    schema: { body: { type: 'object', additionalProperties: false, required: ['current', 'password', 'again'], properties: { current: pw, password: pw, again: pw, revokeTokens: { type: 'string', enum: ['1'] }, ...csrf } } },
  }, async (req, reply) => {
    const v: View = viewOf(req, reply, 'webmail');
    const b = req.body as { current: string; password: string; again: string; revokeTokens?: '1' };
    const user = req.caller!.user;
    const fail = (message: string) => show(req, reply, { problem: { form: 'password', message } });
    if (user.cannotChangePassword) {
      req.audit = { action: 'password.change', result: 'denied' };
      return sendError(req, reply, 'webmail', 403, 'this account may not change its password');
    }
    const check = await deps.authenticate(user.address, b.current, clientIp(req), 'webmail');
    if (!check.ok) {
      req.audit = { action: 'password.change', result: 'failed', detail: { reason: check.reason } };
      if (check.reason === 'blocked') return sendError(req, reply.header('retry-after', '60'), 'webmail', 429, 'too many failed sign-ins');
      return fail(v.t('settings.wrongCurrent'));
    }
    if (b.password !== b.again) return fail(v.t('settings.mismatch'));
    try {
      await accounts.setPassword(user.address, b.password);
    } catch (e) {
      return fail(v.t('settings.badPassword', { reason: (e as Error).message }));
    }
    // whoever is signed in with the old password (a stolen session, another browser, the admin pages) is
    // signed out on every node; this browser goes on with a fresh session
    await deps.sessions.destroyFor(user.address);
    const { id } = await deps.sessions.create('webmail', user.address, clientIp(req));
    reply.setCookie(sessionCookie('webmail'), id, SECRET_COOKIE);
    // tokens outlive a password change by decision (docs/security-review-3.md): only the owner's own choice here
    // ends them, both kinds (the admin API's and JMAP app tokens), e.g. after a session was stolen
    if (b.revokeTokens === '1') {
      const revoked = deps.tokens.revokeAll(user.address) + svc.tokens.revokeAll(user.address);
      req.audit = { action: 'password.change', detail: { tokens_revoked: revoked } };
      return done(reply, 'password-tokens');
    }
    req.audit = { action: 'password.change' };
    return done(reply, 'password');
  });

  app.post('/settings/forward', {
    config: access,
    schema: { body: { type: 'object', additionalProperties: false, properties: { forward: { type: 'string', maxLength: 5000 }, keepCopy: { type: 'string', enum: ['1'] }, ...csrf } } },
  }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const b = req.body as { forward?: string; keepCopy?: '1' };
    const user = req.caller!.user;
    const p = parseAddresses(b.forward ?? '');
    if (!p.ok) return show(req, reply, { problem: { form: 'forward', message: v.t('mail.badAddress', { address: p.bad }) } });
    const list = [...new Set(p.list.map((a) => a.email.toLowerCase()))];
    if (list.length > MAX_FORWARD) return show(req, reply, { problem: { form: 'forward', message: v.t('settings.tooMany', { n: MAX_FORWARD }) } });
    if (list.includes(user.address.toLowerCase())) return show(req, reply, { problem: { form: 'forward', message: v.t('settings.forwardSelf') } });
    accounts.updateUser(user.address, { forward: list, keepCopy: b.keepCopy === '1' });
    req.audit = { action: 'forward.set', detail: { count: list.length } };
    return done(reply, 'forward');
  });

  app.post('/settings/vacation', {
    config: access,
    schema: {
      body: {
        type: 'object', additionalProperties: false,
        properties: { enabled: { type: 'string', enum: ['1'] }, fromDate: { type: 'string', maxLength: 10 }, toDate: { type: 'string', maxLength: 10 }, subject: { type: 'string', maxLength: 500 }, text: { type: 'string', maxLength: 20_000 }, ...csrf },
      },
    },
  }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const b = req.body as { enabled?: '1'; fromDate?: string; toDate?: string; subject?: string; text?: string };
    const dates = [b.fromDate ?? '', b.toDate ?? ''];
    if (!dates.every((d) => DATE.test(d) && (!d || Number.isFinite(Date.parse(d))))) return show(req, reply, { problem: { form: 'vacation', message: v.t('settings.badDate') } });
    if (dates[0] && dates[1] && dates[0] > dates[1]) return show(req, reply, { problem: { form: 'vacation', message: v.t('settings.badDate') } });
    try {
      const res = await apiFor(svc, req).one('VacationResponse/set', {
        update: {
          singleton: {
            isEnabled: b.enabled === '1',
            fromDate: dates[0] ? `${dates[0]}T00:00:00Z` : null,
            // the last day counts whole
            toDate: dates[1] ? new Date(Date.parse(`${dates[1]}T00:00:00Z`) + 86_400_000).toISOString().replace('.000Z', 'Z') : null,
            subject: b.subject?.trim() || null,
            textBody: b.text?.replace(/\r\n?/g, '\n') || null,
          },
        },
      });
      const bad = (res.notUpdated as Record<string, { description?: string }> | null)?.singleton;
      if (bad) return show(req, reply, { problem: { form: 'vacation', message: bad.description ?? 'invalid' } });
      req.audit = { action: 'vacation.set', detail: { enabled: b.enabled === '1' } };
      return done(reply, 'vacation');
    } catch (e) {
      return sendMailError(req, reply, e);
    }
  });
}
