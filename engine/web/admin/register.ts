// Registers the administration on the admin server: the navigation each caller gets (by role: a system admin
// everything, a host admin its domains' pages, a list admin its lists), then every page module with its API.
// The menu only hides what a caller cannot use; every route checks the caller's rights itself. Each admin's
// own API tokens are linked from the dashboard.
import type { FastifyInstance } from 'fastify';
import type { User } from '../../accounts/directory.js';
import type { NavItem } from '../layout.js';
import type { Translate } from '../i18n.js';
import type { WebDeps } from '../types.js';
import { registerAliases } from './aliases.js';
import { registerBackup } from './backup.js';
import { registerDashboard } from './dashboard.js';
import { registerDomains } from './domains.js';
import { registerLists } from './lists.js';
import { registerLogs } from './logs.js';
import { registerMetrics } from './metrics.js';
import { registerQueue } from './queue.js';
import { registerRules } from './rules.js';
import type { AdminServices } from './services.js';
import { registerSendLimits } from './send-limits.js';
import { registerSettings } from './settings-pages.js';
import { registerTokens } from './tokens.js';
import { UserQuery } from './user-query.js';
import { registerUsersApi } from './users-api.js';
import { UserOps } from './users-ops.js';
import { registerUsersPages } from './users-pages.js';

function navFor(t: Translate, user: User, deps: WebDeps): NavItem[] {
  const sys = deps.roles.isSystemAdmin(user);
  const host = sys || deps.directory.domains().some((d) => !d.aliasOf && deps.roles.canAdminDomain(user, d.name));
  const items: NavItem[] = [{ href: '/', label: t('nav.dashboard') }];
  if (host) items.push({ href: '/domains', label: t('nav.domains') }, { href: '/users', label: t('nav.users') }, { href: '/aliases', label: t('nav.aliases') });
  items.push({ href: '/lists', label: t('nav.lists') });
  if (host) items.push({ href: '/rules', label: t('nav.rules') });
  if (sys) items.push({ href: '/settings', label: t('nav.settings') }, { href: '/queue', label: t('nav.queue') }, { href: '/logs', label: t('nav.logs') }, { href: '/backup', label: t('nav.backup') });
  return items;
}

export function registerAdmin(app: FastifyInstance, deps: WebDeps, svc: AdminServices): void {
  app.addHook('preHandler', async (req) => {
    if (req.caller) req.nav = navFor(req.t, req.caller.user, deps);
  });
  const users = new UserQuery(svc.db);
  const ops = new UserOps(svc, deps.roles, deps.sessions);
  registerDashboard(app, deps, svc, users);
  registerDomains(app, deps, svc);
  registerUsersPages(app, deps, svc, ops, users);
  registerUsersApi(app, deps, svc, ops, users);
  registerSendLimits(app, deps, svc);
  registerAliases(app, deps, svc);
  registerLists(app, deps, svc);
  registerRules(app, deps, svc);
  registerSettings(app, deps, svc);
  registerQueue(app, deps, svc);
  registerLogs(app, deps, svc);
  registerBackup(app, deps, svc);
  registerMetrics(app, svc);
  registerTokens(app, deps);
}
