// How the web servers say no: JSON ({ error, message }) on API routes, a page in the user's language
// elsewhere. Covers refusals (401/403 from the guards and CSRF), schema validation (400), body limits
// (413), unknown routes (404), PostgreSQL away (503, sessions and JMAP objects live there) and failures (500,
// logged without details to the client).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { html } from './html.js';
import { translator } from './i18n.js';
import { layout, sendPage, viewOf } from './layout.js';
import type { Access } from './roles.js';
import { isConnectionError } from '../db/pg/replica.js';
import type { WebDeps, WebKind } from './types.js';

const CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  413: 'too-large',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
  500: 'internal',
  503: 'unavailable',
};

/** API routes (and anything under /api/) answer in JSON. */
export function isApi(req: FastifyRequest, access?: Access): boolean {
  return !!(access ?? req.routeOptions.config?.access)?.api || req.url.startsWith('/api/');
}

function messageKey(status: number, csrf = false): string {
  if (csrf) return 'error.csrf';
  return `error.${status in CODES ? status : status >= 500 ? 500 : 400}`;
}

/** A field named by a schema error, with what is wrong with it in the caller's language. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/**
 * Render or send an error in the request's form. JSON clients get `message` in their language and, for 4xx,
 * `detail` (the technical reason, in English) and the `fields` a schema refusal names.
 */
export function sendError(req: FastifyRequest, reply: FastifyReply, kind: WebKind, status: number, detail?: string, csrf = false, fields?: FieldError[]): FastifyReply {
  const t = req.t ?? translator('en');
  if (isApi(req)) {
    return reply.code(status).type('application/json; charset=utf-8').send({
      error: csrf ? 'csrf' : (CODES[status] ?? (status >= 500 ? 'internal' : 'invalid')),
      message: fields?.length ? fields[0].message : t(messageKey(status, csrf)),
      ...(status < 500 && detail ? { detail } : {}),
      ...(fields?.length ? { fields } : {}),
    });
  }
  const v = viewOf(req, reply, kind);
  const main = html`<section class="error" data-status="${status}">
    <h1>${t('error.title', { status })}</h1>
    <p class="message">${t(messageKey(status, csrf))}</p>
    <p><a href="/">${t('error.back')}</a></p>
  </section>`;
  return sendPage(reply, layout(v, t('error.title', { status }), main), status);
}

/** A refusal by a guard or the CSRF check: noted for the audit line, then answered. */
export function sendDenied(
  req: FastifyRequest,
  reply: FastifyReply,
  kind: WebKind,
  status: 401 | 403,
  access: Access | undefined,
  reason: string,
  action?: string,
): FastifyReply {
  req.audit = { ...req.audit, result: 'denied', ...(action ? { action } : {}), detail: { ...req.audit?.detail, reason } };
  if (status === 401 && isApi(req, access)) reply.header('www-authenticate', 'Bearer realm="tegami"');
  return sendError(req, reply, kind, status, reason.startsWith('csrf') ? 'missing or stale CSRF token' : reason, reason.startsWith('csrf'));
}

type SchemaError = NonNullable<FastifyError['validation']>[number];

/** The first schema error as a field error: the missing, unknown or malformed field, said in the caller's language. */
function schemaFields(req: FastifyRequest, errors: SchemaError[], detail: string): FieldError[] {
  const t = req.t ?? translator('en');
  const e = errors[0];
  if (!e) return [];
  const p = e.params as Record<string, unknown>;
  const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const join = (name: unknown) => [at, String(name)].filter(Boolean).join('.');
  if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
    const field = join(p.missingProperty);
    return [{ field, code: 'required', message: t('error.field-required', { field }) }];
  }
  if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
    const field = join(p.additionalProperty);
    return [{ field, code: 'unknown-field', message: t('error.field-unknown', { field }) }];
  }
  if (!at) return [{ field: '', code: e.keyword, message: t('error.request-invalid', { detail }) }];
  if (e.keyword === 'type') return [{ field: at, code: 'type', message: t('error.field-type', { field: at, type: String(p.type) }) }];
  if (e.keyword === 'maxLength') return [{ field: at, code: 'maxLength', message: t('error.field-too-long', { field: at, limit: Number(p.limit) }) }];
  if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) return [{ field: at, code: 'enum', message: t('error.field-one-of', { field: at, values: p.allowedValues.map(String).join(', ') }) }];
  return [{ field: at, code: e.keyword, message: t('error.field-invalid', { field: at, detail: e.message ?? e.keyword }) }];
}

export function installErrorHandlers(app: FastifyInstance, kind: WebKind, deps: WebDeps): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const detail = `${err.validationContext ?? 'request'} ${err.validation[0]?.instancePath ?? ''} ${err.validation[0]?.message ?? ''}`.replace(/\s+/g, ' ').trim();
      return sendError(req, reply, kind, 400, detail, false, schemaFields(req, err.validation, detail));
    }
    // [storage] backend = "postgres" with the database away: try again shortly, as SMTP's 451 and IMAP's UNAVAILABLE say
    const away = isConnectionError(err);
    if (away) reply.header('retry-after', '5');
    const status = away ? 503 : typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) deps.logger?.error('web', 'web.error', { kind, route: req.routeOptions.url, error: err.message });
    return sendError(req, reply, kind, status, status < 500 ? err.message : undefined);
  });
  app.setNotFoundHandler((req, reply) => sendError(req, reply, kind, 404, 'no such route'));
}
