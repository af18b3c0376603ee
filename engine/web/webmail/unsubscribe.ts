// RFC 8058 one-click unsubscribe for mailing lists, on the webmail listener: each member's copy names
// /lists/unsubscribe/LIST/TOKEN (engine/lists/verp.ts withOneClick), the token an HMAC over the list, the member's
// id and address. POST with "List-Unsubscribe=One-Click" removes the member; a GET only shows a page with that
// button (link scanners and prefetchers follow GETs). The URL is the only credential: no session, no cookie read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ListDirectory } from '../../accounts/list-directory.js';
import type { Logger } from '../../log/logger.js';
import { macMatches, parseUnsubscribeToken } from '../../lists/tokens.js';
import { unsubscribePath } from '../../lists/verp.js';
import { html } from '../html.js';
import { layout, sendPage, viewOf } from '../layout.js';

export interface Unsubscribe {
  lists: Pick<ListDirectory, 'list' | 'memberById' | 'removeMember'>;
  /** The list token key (engine/lists/tokens.ts listKey). */
  key: Buffer;
  logger?: Logger;
}

const access = { access: { guard: 'public' as const, csrf: false as const } };
type Found = { kind: 'member'; list: string; address: string } | { kind: 'gone' } | { kind: 'invalid' };

function find(u: Unsubscribe, listParam: string, token: string): Found {
  const list = listParam.toLowerCase();
  const t = parseUnsubscribeToken(token);
  if (!t || list.length > 320) return { kind: 'invalid' };
  const m = u.lists.memberById(t.id);
  // no member with that id: unsubscribed already (a second click, the provider's POST after the user's), or a link
  // made up. Its MAC cannot be checked (it covers the address, now unknown), so both answer alike, whether the list
  // exists or not, and without naming it: a made-up link told strangers which lists exist (security review 12)
  if (!m) return { kind: 'gone' };
  if (!u.lists.list(list) || m.list.toLowerCase() !== list || !macMatches(u.key, t.mac, 'unsubscribe', list, String(t.id), m.address)) return { kind: 'invalid' };
  return { kind: 'member', list, address: m.address };
}

/** RFC 8058 §3.1: the body is "List-Unsubscribe=One-Click", form-encoded or as a multipart/form-data field. */
function isOneClick(body: unknown): boolean {
  if (typeof body === 'string') return /name="?List-Unsubscribe"?[\s\S]{0,200}?\r?\n\r?\nOne-Click\b/i.test(body.slice(0, 4096));
  return !!body && typeof body === 'object' && (body as Record<string, unknown>)['List-Unsubscribe'] === 'One-Click';
}

function page(req: FastifyRequest, reply: FastifyReply, status: number, body: ReturnType<typeof html>) {
  const v = viewOf(req, reply, 'webmail');
  return sendPage(reply, layout(v, v.t('unsubscribe.title'), html`<section class="unsubscribe">${body}</section>`), status);
}

export async function registerUnsubscribe(app: FastifyInstance, u: Unsubscribe): Promise<void> {
  await app.register(async (scope) => {
    // a multipart/form-data POST (allowed by RFC 8058) is read as text, at most 4 KiB
    scope.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => done(null, body));

    scope.get('/lists/unsubscribe/:list/:token', { config: access }, async (req, reply) => {
      const { list, token } = req.params as { list: string; token: string };
      const t = req.t;
      const f = find(u, list, token);
      if (f.kind === 'invalid') return page(req, reply, 404, html`<h1>${t('unsubscribe.title')}</h1><p class="error">${t('unsubscribe.invalid')}</p>`);
      if (f.kind === 'gone') return page(req, reply, 200, html`<h1>${t('unsubscribe.title')}</h1><p>${t('unsubscribe.notMember')}</p>`);
      return page(req, reply, 200, html`<h1>${t('unsubscribe.title')}</h1>
        <p>${t('unsubscribe.confirm', { address: f.address, list: f.list })}</p>
        <form method="post" action="${unsubscribePath(f.list, token)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${t('unsubscribe.button')}</button></form>`);
    });

    scope.post('/lists/unsubscribe/:list/:token', { config: access, bodyLimit: 4096 }, async (req, reply) => {
      const { list, token } = req.params as { list: string; token: string };
      const t = req.t;
      if (!isOneClick(req.body)) return page(req, reply, 400, html`<h1>${t('unsubscribe.title')}</h1><p class="error">${t('unsubscribe.badRequest')}</p>`);
      const f = find(u, list, token);
      if (f.kind === 'invalid') {
        req.audit = { action: 'list.unsubscribe', result: 'denied', detail: { list: list.slice(0, 100), reason: 'bad token' } };
        return page(req, reply, 404, html`<h1>${t('unsubscribe.title')}</h1><p class="error">${t('unsubscribe.invalid')}</p>`);
      }
      if (f.kind === 'member') {
        u.lists.removeMember(f.list, f.address);
        u.logger?.info('delivery', 'list-unsubscribed', { list: f.list, address: f.address, via: 'one-click' });
        req.audit = { action: 'list.unsubscribe', who: f.address, detail: { list: f.list } };
      }
      const said = f.kind === 'member' ? t('unsubscribe.done', { list: f.list }) : t('unsubscribe.notMember');
      return page(req, reply, 200, html`<h1>${t('unsubscribe.title')}</h1><p class="notice" role="status">${said}</p>`);
    });
  });
}
