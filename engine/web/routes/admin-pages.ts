// The admin server's first pages: the dashboard shell (who is signed in, with which rights, the server's
// version and uptime, the domains in reach) and the domain list. Later rounds add the other pages
// (issue 13) beside these, each route with its own guard.
import type { FastifyInstance } from 'fastify';
import type { User } from '../../accounts/directory.js';
import { visibleDomains } from '../domains.js';
import { html, type SafeHtml } from '../html.js';
import { formatDateTime, i18n, type Translate } from '../i18n.js';
import { layout, sendPage, viewOf, type View } from '../layout.js';
import { requireRole, type Roles } from '../roles.js';
import { serverStatus, uptimeParts } from '../status.js';
import type { WebDeps } from '../types.js';

function roleLabels(t: Translate, user: User, roles: Roles): string[] {
  const out: string[] = [];
  if (roles.isSystemAdmin(user)) out.push(t('role.system'));
  for (const domain of user.hostAdminOf) out.push(t('role.host', { domain }));
  if (user.listAdmin) out.push(t('role.list'));
  return out;
}

function domainTable(v: View, deps: WebDeps, user: User): SafeHtml {
  const list = visibleDomains(deps.directory, deps.roles, user);
  if (!list.length) return html`<p class="empty">${v.t('domains.none')}</p>`;
  return html`<table class="domains">
    <thead><tr><th scope="col">${v.t('domains.name')}</th><th scope="col">${v.t('domains.aliasOf')}</th></tr></thead>
    <tbody>${list.map((d) => html`<tr data-domain="${d.name}"><td>${d.name}</td><td>${d.aliasOf ?? ''}</td></tr>`)}</tbody>
  </table>`;
}

export function registerAdminPages(app: FastifyInstance, deps: WebDeps): void {
  const anyAdmin = { access: { guard: requireRole('any-admin') } };

  app.get('/', { config: anyAdmin }, async (req, reply) => {
    const v = viewOf(req, reply, 'admin');
    const { t } = v;
    const user = req.caller!.user;
    const st = serverStatus(deps);
    const uptimeTemplate = String(i18n().getResource(v.lang, 'translation', 'dashboard.uptime') ?? '');
    const main = html`<h1>${t('dashboard.title')}</h1>
      <p class="welcome">${user.fullName ? t('dashboard.welcome', { name: user.fullName, address: user.address }) : t('dashboard.welcomeAddress', { address: user.address })}</p>
      <ul class="roles">${roleLabels(t, user, deps.roles).map((r) => html`<li>${r}</li>`)}</ul>
      <section class="status" aria-labelledby="status-h">
        <h2 id="status-h">${t('dashboard.status')}</h2>
        <dl>
          <dt>${t('dashboard.version')}</dt><dd id="version">${st.version}</dd>
          <dt>${t('dashboard.started')}</dt><dd id="started"><time datetime="${st.startedAt}">${formatDateTime(deps.startedAt, v.locale)}</time></dd>
          <dt>${t('dashboard.uptimeLabel')}</dt><dd id="uptime" data-template="${uptimeTemplate}" data-refresh="/api/v1/status">${t('dashboard.uptime', uptimeParts(st.uptimeSeconds))}</dd>
        </dl>
      </section>
      <section class="domains" aria-labelledby="domains-h">
        <h2 id="domains-h">${t('domains.title')}</h2>
        ${domainTable(v, deps, user)}
      </section>`;
    return sendPage(reply, layout(v, t('dashboard.title'), main));
  });

  app.get('/domains', { config: anyAdmin }, async (req, reply) => {
    const v = viewOf(req, reply, 'admin');
    const main = html`<h1>${v.t('domains.title')}</h1>${domainTable(v, deps, req.caller!.user)}`;
    return sendPage(reply, layout(v, v.t('domains.title'), main));
  });
}
