// The webmail server's first page: a signed-in shell (who, language, logout) that the mailbox pages of
// issue 14 replace. Webmail sessions need the account's "web access" right, checked on every request.
import type { FastifyInstance } from 'fastify';
import { html } from '../html.js';
import { layout, sendPage, viewOf } from '../layout.js';
import { requireRole } from '../roles.js';
import type { WebDeps } from '../types.js';

export function registerWebmailPages(app: FastifyInstance, _deps: WebDeps): void {
  app.get('/', { config: { access: { guard: requireRole('signed-in') } } }, async (req, reply) => {
    const v = viewOf(req, reply, 'webmail');
    const user = req.caller!.user;
    const main = html`<h1>${v.t('webmail.title')}</h1>
      <p class="welcome">${user.fullName ? v.t('webmail.welcome', { name: user.fullName, address: user.address }) : v.t('webmail.welcomeAddress', { address: user.address })}</p>`;
    return sendPage(reply, layout(v, v.t('webmail.title'), main));
  });
}
