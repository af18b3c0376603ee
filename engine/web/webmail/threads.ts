// The message list as conversations: Email/query with collapseThreads (one email per thread, the list's own sort
// and paging), Thread/get for each thread's emails, and one Email/get of those emails for the count, the newest
// date and the unread state; an expanded thread shows its emails. The list-or-threads choice is a cookie.
// Nothing here reads the store: JMAP calls as the user only, each within maxObjectsInGet.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MailApi, Address } from './mail-api.js';

export type ListView = 'threads' | 'messages';
export const VIEW_COOKIE = '__Host-tegami-list-view';
/** Emails read to summarise a page of threads; a thread past this shows its count and newest listed email only. */
const MAX_MEMBERS = 500;

export interface Row {
  id: string;
  threadId: string;
  subject: string | null;
  from: Address[] | null;
  receivedAt: string;
  keywords: Record<string, boolean>;
  size: number;
  hasAttachment: boolean;
  preview: string;
}

export const ROW_PROPERTIES = ['id', 'threadId', 'subject', 'from', 'receivedAt', 'keywords', 'size', 'hasAttachment', 'preview'];

export interface ThreadRow {
  /** The email the query chose for the thread (its place in the sort). */
  lead: Row;
  threadId: string;
  count: number;
  newest: string;
  unread: boolean;
  /** The senders of the thread, first seen first (names, at most 3). */
  senders: string[];
  /** The thread's emails, oldest first (only for an expanded thread). */
  members: Row[];
}

/** The view asked for in the URL (and remembered), else the remembered one, else messages. */
export function listView(req: FastifyRequest, reply: FastifyReply): ListView {
  const asked = (req.query as Record<string, unknown>).view;
  if (asked === 'threads' || asked === 'messages') {
    reply.setCookie(VIEW_COOKIE, asked, { path: '/', secure: true, httpOnly: true, sameSite: 'strict', maxAge: 365 * 86_400 });
    return asked;
  }
  return req.cookies?.[VIEW_COOKIE] === 'threads' ? 'threads' : 'messages';
}

/** One page of threads: the query's total counts threads. */
export async function threadPage(
  api: MailApi,
  query: { filter: Record<string, unknown>; sort: Record<string, unknown>[]; position: number; limit: number },
  expand: string | null,
): Promise<{ total: number; threads: ThreadRow[] }> {
  const answers = await api.run([
    ['Email/query', { ...query, collapseThreads: true, calculateTotal: true }, 'q'],
    ['Email/get', { '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ROW_PROPERTIES }, 'g'],
    ['Thread/get', { '#ids': { resultOf: 'g', name: 'Email/get', path: '/list/*/threadId' } }, 't'],
  ]);
  const total = Number(answers[0][1].total ?? 0);
  const leads = new Map((answers[1][1].list as Row[]).map((r) => [r.id, r]));
  const members = new Map((answers[2][1].list as { id: string; emailIds: string[] }[]).map((t) => [t.id, t.emailIds]));
  const wanted: string[] = [];
  for (const ids of members.values()) for (const id of ids) if (wanted.length < MAX_MEMBERS) wanted.push(id);
  const got = new Map<string, Row>();
  if (wanted.length) {
    const r = await api.one('Email/get', { ids: wanted, properties: ROW_PROPERTIES });
    for (const e of r.list as Row[]) got.set(e.id, e);
  }
  const threads: ThreadRow[] = [];
  for (const id of answers[0][1].ids as string[]) {
    const lead = leads.get(id);
    if (!lead) continue;
    const ids = members.get(lead.threadId) ?? [lead.id];
    const rows = ids.map((m) => got.get(m) ?? (m === lead.id ? lead : undefined)).filter((r): r is Row => !!r);
    const newest = rows.reduce((a, r) => (Date.parse(r.receivedAt) > Date.parse(a) ? r.receivedAt : a), lead.receivedAt);
    const senders: string[] = [];
    for (const r of rows) {
      const a = r.from?.[0];
      const name = a ? a.name || a.email : '';
      if (name && !senders.includes(name) && senders.length < 3) senders.push(name);
    }
    threads.push({
      lead,
      threadId: lead.threadId,
      count: ids.length,
      newest,
      unread: rows.some((r) => !r.keywords.$seen),
      senders,
      members: expand === lead.threadId ? [...rows].sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt)) : [],
    });
  }
  return { total, threads };
}
