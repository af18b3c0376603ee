// What every admin page module shares: route configs (page or API, with their guard), the error and
// field-error shapes of the API, sending a page in the frame, paging, and the one error vocabulary that
// operations return (FieldError: a field, a catalogue code and its values). It decides no rights itself.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../accounts/directory.js';
import type { SafeHtml } from '../html.js';
import { formatDateTime, type Translate } from '../i18n.js';
import { layout, sendPage, viewOf, type View } from '../layout.js';
import { visibleDomains } from '../domains.js';
import { requireRole, type Guard, type RoleSpec } from '../roles.js';
import type { WebDeps } from '../types.js';

const guardOf = (spec: RoleSpec | Guard): Guard => (typeof spec === 'object' && 'allows' in spec ? spec : requireRole(spec));
/** A page route's config: its guard (a refusal is a 403 page; no caller, the login page). */
export const pageRoute = (spec: RoleSpec | Guard) => ({ access: { guard: guardOf(spec) } });
/** An API route's config: JSON refusals (401/403), bearer tokens accepted. */
export const apiRoute = (spec: RoleSpec | Guard) => ({ access: { guard: guardOf(spec), api: true } });

/**
 * For the pages and forms about domains, users, aliases and rules that take their domain from the form or the
 * query: a system admin or the admin of some domain. A list admin administers lists only, so it is refused
 * here (403) rather than shown an empty page; each operation still checks the domain it is given.
 */
export const domainAdminGuard = (directory: WebDeps['directory']): Guard => ({
  name: 'domain-admin',
  allows: (u, _req, roles) => roles.isSystemAdmin(u) || visibleDomains(directory, roles, u).length > 0,
});

/** An expected refusal of one input: `code` is a catalogue key under `field.`, `values` fill its placeholders. */
export interface FieldError {
  field: string;
  code: string;
  values?: Record<string, string | number>;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: 400 | 403 | 404 | 409; errors: FieldError[] };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const invalid = (errors: FieldError[]): Outcome<never> => ({ ok: false, status: 400, errors });
export const refuse = (field: string, code = 'forbidden'): Outcome<never> => ({ ok: false, status: 403, errors: [{ field, code }] });
export const notFound = (field: string, code = 'not-found'): Outcome<never> => ({ ok: false, status: 404, errors: [{ field, code }] });

/** The sentence for a field error in the request's language. */
export function fieldMessage(t: Translate, e: FieldError): string {
  return t(`field.${e.code}`, e.values);
}

export const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    detail: { type: 'string' },
    fields: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

const ERROR_NAMES: Record<number, string> = { 400: 'invalid', 403: 'forbidden', 404: 'not-found', 409: 'conflict' };

/** An API refusal: { error, message, fields: [{ field, code, message }] } in the caller's language. */
export function sendOutcomeError(req: FastifyRequest, reply: FastifyReply, o: Extract<Outcome<unknown>, { ok: false }>): FastifyReply {
  const fields = o.errors.map((e) => ({ field: e.field, code: e.code, message: fieldMessage(req.t, e) }));
  if (o.status === 403) req.audit = { ...req.audit, result: 'denied', detail: { ...req.audit?.detail, reason: o.errors.map((e) => `${e.field} ${e.code}`).join(', ') } };
  return reply.code(o.status).send({ error: ERROR_NAMES[o.status], message: fields.map((f) => f.message).join(' '), fields });
}

/** The errors of one field, for the page (the first only: one sentence next to the field). */
export function errorFor(errors: FieldError[] | undefined, field: string): FieldError | undefined {
  return errors?.find((e) => e.field === field);
}

export function page(req: FastifyRequest, reply: FastifyReply, title: string, main: (v: View) => SafeHtml, status = 200): FastifyReply {
  const v = viewOf(req, reply, 'admin');
  return sendPage(reply, layout(v, title, main(v)), status);
}

export const me = (req: FastifyRequest): User => req.caller!.user;

/** Paging: 1-based page of `size` from a query value; never below 1, never a huge offset. */
export function pageOf(raw: unknown, size: number, total: number): { page: number; offset: number; pages: number } {
  const pages = Math.max(1, Math.ceil(total / size));
  const n = Math.min(pages, Math.max(1, Math.floor(Number(raw) || 1)));
  return { page: n, offset: (n - 1) * size, pages };
}

/** A query string from parameters, without empty ones. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const when = (ms: number | null | undefined, locale: string): string => (ms ? formatDateTime(ms, locale) : '');

/** The text of a form's textarea as a list: one entry per line, trimmed, empty lines dropped. */
export function lines(s: unknown): string[] {
  return typeof s === 'string' ? s.split(/\r?\n/).map((x) => x.trim()).filter(Boolean) : [];
}

/** A checkbox in an urlencoded form: present ("on", "1", "true") or absent. */
export const checked = (v: unknown): boolean => v === 'on' || v === '1' || v === 'true' || v === true;

/** Schema of a page form body: the named string fields (bounded) and the CSRF token; nothing else. */
export function formBody(fields: Record<string, number>, required: string[] = []): object {
  const properties: Record<string, object> = { _csrf: { type: 'string', maxLength: 100 } };
  for (const [name, max] of Object.entries(fields)) properties[name] = { type: 'string', maxLength: max };
  return { type: 'object', additionalProperties: false, required, properties };
}
