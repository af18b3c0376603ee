// The page frame both web servers share: <head> with the static CSS/JS (no inline script or style), the
// top bar with the navigation, the language switch and the logout button, each form with its CSRF token.
// Pages hand in their <main> as SafeHtml built with html``.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfTokenFor, CSRF_FIELD } from './csrf.js';
import { boolAttr, html, type SafeHtml } from './html.js';
import { LANGS, translator, type Lang, type Translate } from './i18n.js';
import { assetUrl } from './routes/static.js';
import type { Caller, WebKind } from './types.js';

/** What a page template needs to know about the request. */
export interface View {
  kind: WebKind;
  t: Translate;
  lang: Lang;
  locale: string;
  csrf: string;
  caller: Caller | null;
  /** The path of this page (for the language switch to come back to). */
  path: string;
  /** The caller's navigation when the admin pages set one (by role); else the kind's default. */
  nav: NavItem[] | null;
}

export function viewOf(req: FastifyRequest, reply: FastifyReply, kind: WebKind): View {
  return {
    kind,
    t: req.t ?? translator(req.lang),
    lang: req.lang,
    locale: req.locale,
    csrf: csrfTokenFor(req, reply, kind),
    caller: req.caller,
    path: safePath(req.url),
    nav: req.nav,
  };
}

/** A same-site path to come back to: one leading slash, no scheme, no "//" or "/\" (no open redirect). */
export function safePath(p: unknown): string {
  if (typeof p !== 'string' || p.length > 500 || !/^\/(?![/\\])[\x21-\x7e]*$/.test(p)) return '/';
  return p;
}

export interface NavItem {
  href: string;
  label: string;
}

/** The navigation of each kind; later rounds add their pages here. */
function navItems(v: View): NavItem[] {
  if (v.nav) return v.nav;
  if (v.kind === 'admin') return [
    { href: '/', label: v.t('nav.dashboard') },
    { href: '/domains', label: v.t('nav.domains') },
  ];
  return [
    { href: '/mail', label: v.t('nav.mail') },
    { href: '/compose', label: v.t('mail.compose') },
    { href: '/settings', label: v.t('settings.title') },
  ];
}

/** A nav entry is current on its own page and the pages under it (/users on /users/x@y and /users?page=2). */
function isCurrent(href: string, p: string): boolean {
  if (href === p) return true;
  return href !== '/' && (p.startsWith(`${href}/`) || p.startsWith(`${href}?`));
}

export const hiddenCsrf = (v: View): SafeHtml => html`<input type="hidden" name="${CSRF_FIELD}" value="${v.csrf}">`;

function languageSwitch(v: View): SafeHtml {
  return html`<form class="lang-switch" method="post" action="/lang">
      ${hiddenCsrf(v)}<input type="hidden" name="back" value="${v.path}">
      <span class="label">${v.t('lang.label')}</span>
      ${LANGS.map((l) => html`<button type="submit" name="lang" value="${l}" lang="${l}" data-lang="${l}"${boolAttr('disabled', l === v.lang)}>${v.t(`lang.${l}`)}</button>`)}
    </form>`;
}

export function layout(v: View, title: string, main: SafeHtml): SafeHtml {
  const signedIn = v.caller?.via === 'session';
  return html`<!doctype html>
<html lang="${v.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${v.csrf}">
<title>${title} · ${v.t(`app.name.${v.kind}`)}</title>
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assetUrl('web.css')}">
<script src="${assetUrl('web.js')}" defer></script>
</head>
<body class="${v.kind}">
<header class="top">
  <a class="brand" href="/">${v.t(`app.name.${v.kind}`)}</a>
  ${signedIn ? html`<nav aria-label="${v.t('nav.main')}"><ul>${navItems(v).map((n) => html`<li><a href="${n.href}" aria-current="${isCurrent(n.href, v.path) ? 'page' : 'false'}">${n.label}</a></li>`)}</ul></nav>` : ''}
  ${languageSwitch(v)}
  ${signedIn ? html`<form class="logout" method="post" action="/logout">${hiddenCsrf(v)}<span class="who">${v.caller!.user.fullName || v.caller!.user.address}</span> <button type="submit">${v.t('logout.submit')}</button></form>` : ''}
</header>
<main id="main">
${main}
</main>
</body>
</html>
`;
}

export function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}
