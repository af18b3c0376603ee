// Login, logout and the language switch, the same on both web servers. A login checks the credentials
// through the injected Authenticate (the shared throttle), then issues a brand-new session id (any id the
// browser brought is destroyed, never adopted); logout destroys the session on the server.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientIp } from '../app.js';
import { LANG_COOKIE, LANG_COOKIE_OPTIONS, preLoginCsrfCookie, SECRET_COOKIE, sessionCookie } from '../cookies.js';
import { CSRF_FIELD } from '../csrf.js';
import { html } from '../html.js';
import { LANGS, translator, type Lang } from '../i18n.js';
import { hiddenCsrf, layout, safePath, sendPage, viewOf } from '../layout.js';
import { requireRole } from '../roles.js';
import type { WebDeps, WebKind } from '../types.js';

const PUBLIC = { access: { guard: 'public' as const } };

const loginBody = {
  type: 'object',
  required: ['login', 'password'],
  additionalProperties: false,
  properties: {
    login: { type: 'string', minLength: 1, maxLength: 320 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    [CSRF_FIELD]: { type: 'string', maxLength: 100 },
  },
} as const;

const langBody = {
  type: 'object',
  required: ['lang'],
  additionalProperties: false,
  properties: {
    lang: { type: 'string', enum: [...LANGS] },
    back: { type: 'string', maxLength: 500 },
    [CSRF_FIELD]: { type: 'string', maxLength: 100 },
  },
} as const;

type LoginError = 'invalid' | 'blocked' | 'forbidden';

function loginPage(req: FastifyRequest, reply: FastifyReply, kind: WebKind, o: { login?: string; error?: LoginError; status?: number }): FastifyReply {
  const v = viewOf(req, reply, kind);
  const t = v.t;
  const bye = (req.query as Record<string, unknown>).bye === '1';
  const main = html`<section class="login">
    <h1>${t('login.title')}</h1>
    ${bye && !o.error ? html`<p class="notice" role="status">${t('logout.done')}</p>` : ''}
    ${o.error ? html`<p class="error" role="alert" data-error="${o.error}">${t(o.error === 'forbidden' ? `login.forbidden.${kind}` : `login.${o.error}`)}</p>` : ''}
    <form method="post" action="/login" class="login-form">
      ${hiddenCsrf(v)}
      <p><label for="login">${t('login.login')}</label>
        <input id="login" name="login" type="text" autocomplete="username" required maxlength="320" value="${o.login ?? ''}" autofocus></p>
      <p><label for="password">${t('login.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></p>
      <p><button type="submit">${t('login.submit')}</button></p>
    </form>
    <p class="hint">${t('login.hint')}</p>
  </section>`;
  return sendPage(reply, layout(v, t('login.title'), main), o.status ?? 200);
}

export function registerAuthRoutes(app: FastifyInstance, kind: WebKind, deps: WebDeps): void {
  app.get('/login', { config: PUBLIC }, async (req, reply) => {
    if (req.caller?.via === 'session') return reply.redirect('/', 303);
    return loginPage(req, reply, kind, {});
  });

  app.post<{ Body: { login: string; password: string } }>('/login', { config: PUBLIC, schema: { body: loginBody } }, async (req, reply) => {
    const login = req.body.login.trim();
    const ip = clientIp(req);
    const r = await deps.authenticate(login, req.body.password, ip, kind);
    req.audit = { action: 'login', who: login.toLowerCase(), result: r.ok ? 'ok' : r.reason === 'invalid' ? 'failed' : 'denied', detail: r.ok ? {} : { reason: r.reason } };
    if (!r.ok) {
      if (r.reason === 'blocked') reply.header('retry-after', '60');
      return loginPage(req, reply, kind, { login, error: r.reason, status: r.reason === 'blocked' ? 429 : 403 });
    }
    // whatever session id the browser brought (stale, stolen, planted) is destroyed; the new one is fresh
    const old = req.cookies[sessionCookie(kind)];
    if (old) await deps.sessions.destroy(old);
    const { id } = await deps.sessions.create(kind, r.user.address, ip);
    req.audit.who = r.user.address;
    reply.setCookie(sessionCookie(kind), id, SECRET_COOKIE);
    reply.clearCookie(preLoginCsrfCookie(kind), SECRET_COOKIE);
    return reply.redirect('/', 303);
  });

  app.post('/logout', { config: { access: { guard: requireRole('signed-in') } } }, async (req, reply) => {
    req.audit = { action: 'logout' };
    if (req.caller?.via === 'session') await deps.sessions.destroyRecord(req.caller.session);
    reply.clearCookie(sessionCookie(kind), SECRET_COOKIE);
    return reply.redirect('/login?bye=1', 303);
  });

  app.post<{ Body: { lang: Lang; back?: string } }>('/lang', { config: PUBLIC, schema: { body: langBody } }, async (req, reply) => {
    reply.setCookie(LANG_COOKIE, req.body.lang, LANG_COOKIE_OPTIONS);
    req.t = translator(req.body.lang);
    return reply.redirect(safePath(req.body.back), 303);
  });
}
