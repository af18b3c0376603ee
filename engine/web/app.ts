// Builds the Fastify application of one web server (admin or webmail): body limits, the security headers,
// the language, the caller (session cookie or bearer token), the route guard every route must declare,
// CSRF on state-changing requests, the audit line, and errors as JSON (API) or as a page. It never
// listens: server.ts puts it on HTTPS, tests call inject().
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import { unmapV4 } from '../policy/cidr.js';
import { mayUse } from './authenticate.js';
import { LANG_COOKIE, sessionCookie } from './cookies.js';
import { checkCsrf, isUnsafeMethod } from './csrf.js';
import { installErrorHandlers, sendDenied, sendError } from './errors.js';
import { clientErrorHandler, NO_STORE, securityHeaders } from './headers.js';
import { DEFAULT_LANG, isLang, negotiate, translator } from './i18n.js';
import type { Access } from './roles.js';
import type { Caller, WebDeps, WebKind } from './types.js';
import { installValidation } from './validation.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerStatic } from './routes/static.js';
import { registerAdminPages } from './routes/admin-pages.js';
import { registerApiV1 } from './routes/api-v1.js';
import { registerWebmailPages } from './routes/webmail-pages.js';
import { registerAdmin } from './admin/register.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

export interface WebAppOptions {
  kind: WebKind;
  deps: WebDeps;
  /** server.ts passes an HTTPS server factory; inject() tests leave it out. */
  serverFactory?: FastifyServerFactory;
  /** More routes (later rounds' pages), registered after the foundation's own. */
  routes?: (app: FastifyInstance) => void | Promise<void>;
  /** The webmail's signed-in shell at / (default on); off when the routes bring the mail pages. */
  shell?: boolean;
}

export async function buildWebApp(opts: WebAppOptions): Promise<FastifyInstance> {
  const { kind, deps } = opts;
  const app = Fastify({
    logger: false,
    trustProxy: false,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    return503OnClosing: true,
    // what the HTTP parser refuses (bad framing, headers too large, too slow) carries the security headers too
    clientErrorHandler: clientErrorHandler(kind),
    routerOptions: { maxParamLength: 200 },
    ...(opts.serverFactory ? { serverFactory: opts.serverFactory } : {}),
  });

  app.decorateRequest('caller', null);
  app.decorateRequest('lang', DEFAULT_LANG);
  app.decorateRequest('locale', DEFAULT_LANG);
  app.decorateRequest('t', null as never);
  app.decorateRequest('audit', null);
  app.decorateRequest('nav', null);

  // every route says who may call it; a route without an access declaration is a bug caught at start-up
  app.addHook('onRoute', (route) => {
    if (!route.config?.access) throw new Error(`web route ${String(route.method)} ${route.url} declares no access (config.access)`);
  });

  installValidation(app);
  await app.register(fastifyCookie);
  app.removeContentTypeParser('text/plain');
  await app.register(fastifyFormbody, { bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT });

  const headers = securityHeaders(kind);
  app.addHook('onSend', async (req, reply, payload) => {
    reply.headers(headers);
    // answered before its body came in whole (a refusal: 401, 403, 413…): the connection ends with the answer, or Node
    // would read and discard the rest, at the client's pace, until requestTimeout (security review 12)
    if (!req.raw.complete) reply.header('connection', 'close');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', NO_STORE);
    return payload;
  });

  app.addHook('onRequest', async (req, reply) => {
    chooseLanguage(req);
    const access = req.routeOptions.config?.access;
    if (kind === 'webmail' && access?.api && req.headers.authorization !== undefined) {
      // the webmail's API (JMAP): Basic or Bearer, resolved by its module; never replaced by the cookie
      const r = deps.apiAuth ? await deps.apiAuth(req.headers.authorization, clientIp(req)) : ({ ok: false, status: 401, reason: 'unsupported authorization' } as const);
      if (!r.ok) {
        if (r.status === 429) {
          req.audit = { result: 'denied', detail: { reason: r.reason } };
          return sendError(req, reply.header('retry-after', '60'), kind, 429, r.reason);
        }
        return sendDenied(req, reply, kind, r.status, access, r.reason);
      }
      req.caller = r.caller;
    }
    const refused = req.caller ? null : await resolveCaller(req, kind, deps, access);
    if (refused) return sendDenied(req, reply, kind, 401, access, refused);
    if (!access || access.guard === 'public') return;
    if (!req.caller) {
      if (access.api) return sendDenied(req, reply, kind, 401, access, 'no credentials');
      return reply.redirect('/login', 303);
    }
    if (!access.guard.allows(req.caller.user, req, deps.roles)) return sendDenied(req, reply, kind, 403, access, `role ${access.guard.name}`);
  });

  app.addHook('preValidation', async (req, reply) => {
    if (!isUnsafeMethod(req.method)) return;
    const access = req.routeOptions.config?.access;
    if (access?.csrf === false && access.guard === 'public') return;
    const v = checkCsrf(req, kind);
    if (!v.ok) return sendDenied(req, reply, kind, 403, req.routeOptions.config?.access, `csrf ${v.reason}`, 'csrf');
  });

  app.addHook('onResponse', async (req, reply) => auditResponse(req, reply, kind, deps));

  installErrorHandlers(app, kind, deps);
  registerStatic(app);
  registerAuthRoutes(app, kind, deps);
  if (kind === 'admin') {
    // with the running server's services, the full administration; without (foundation tests), the shell
    if (deps.admin) registerAdmin(app, deps, deps.admin);
    else registerAdminPages(app, deps);
    registerApiV1(app, deps);
  } else if (opts.shell !== false) registerWebmailPages(app, deps);
  if (opts.routes) await opts.routes(app);
  await app.ready();
  return app;
}

/** The remembered choice (cookie), else Accept-Language, else English. */
function chooseLanguage(req: FastifyRequest): void {
  const chosen = req.cookies[LANG_COOKIE];
  const negotiated = negotiate(req.headers['accept-language']);
  if (isLang(chosen)) {
    req.lang = chosen;
    req.locale = negotiated?.lang === chosen ? negotiated.locale : chosen;
  } else if (negotiated) {
    req.lang = negotiated.lang;
    req.locale = negotiated.locale;
  }
  req.t = translator(req.lang);
}

export const clientIp = (req: FastifyRequest): string => unmapV4(req.socket.remoteAddress ?? req.ip ?? '');

/**
 * Who is calling. On API routes of the admin server a bearer token, when present, is the only credential
 * looked at (a bad one is refused, never replaced by the cookie); elsewhere the kind's session cookie.
 * Returns a reason when the request must be refused with 401.
 */
async function resolveCaller(req: FastifyRequest, kind: WebKind, deps: WebDeps, access: Access | undefined): Promise<string | null> {
  const auth = req.headers.authorization;
  if (access?.api && auth !== undefined) {
    const m = /^Bearer +(\S+)$/i.exec(auth);
    if (!m || kind !== 'admin') return 'unsupported authorization';
    const info = deps.tokens.verify(m[1]);
    const user = info ? deps.directory.user(info.address) : undefined;
    if (!info || !user || !mayUse(kind, user, deps.roles)) return 'bad token';
    req.caller = { user, via: 'token', tokenId: info.id };
    return null;
  }
  const id = req.cookies[sessionCookie(kind)];
  if (!id) return null;
  const session = await deps.sessions.find(kind, id);
  if (!session) return null;
  const user = deps.directory.user(session.address);
  if (!user || !mayUse(kind, user, deps.roles)) {
    // the account was disabled, deleted or lost its right: its sessions end now
    await deps.sessions.destroyRecord(session);
    return null;
  }
  req.caller = { user, via: 'session', session } satisfies Caller;
  return null;
}

/** One audit line per admin action (every state-changing request), per refusal, and per login/logout. */
function auditResponse(req: FastifyRequest, reply: FastifyReply, kind: WebKind, deps: WebDeps): void {
  const status = reply.statusCode;
  const refused = status === 401 || status === 403;
  const action = kind === 'admin' && isUnsafeMethod(req.method);
  if (!req.audit && !refused && !action) return;
  const note = req.audit ?? {};
  deps.audit.write({
    who: note.who ?? req.caller?.user.address ?? '-',
    action: note.action ?? `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`,
    ip: clientIp(req),
    result: note.result ?? (status < 400 ? 'ok' : refused ? 'denied' : status >= 500 ? 'error' : 'failed'),
    status,
    detail: { via: req.caller?.via, ...note.detail },
  });
}
