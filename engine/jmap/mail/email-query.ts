// Email/query's filter and sort (RFC 8621 §4.4) over the account's emails: mailbox, date, size, keyword and
// thread-keyword conditions from the index; from/to/cc/bcc/subject from the header facts kept there; text, body
// and header conditions read the message (decoded, Japanese included). Thread collapsing keeps the first email of
// each thread in sort order. It never changes anything.
import type { EmailRow } from '../../store/mailbox-store.js';
import { baseSubject } from '../../store/message-meta.js';
import { isId, isUint, isUtcDate } from '../args.js';
import { COLLATIONS, EMAIL_SORT_OPTIONS } from '../capabilities.js';
import { invalidArguments, MethodError } from '../errors.js';
import { checkFilter, checkSort, collate, matchFilter, type Comparator, type Filter } from '../methods/standard.js';
import type { MailAccount } from './account.js';
import { emailKeywords, validKeyword } from './keywords.js';
import { bodyText, containsAll, fold, foldedContainsAll, searchTerms } from './search.js';
import { textValue } from './header-forms.js';
import { contentView, topHeaders, viewRequest } from './email-view.js';

const CONDITIONS = new Set([
  'inMailbox', 'inMailboxOtherThan', 'before', 'after', 'minSize', 'maxSize', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword',
  'noneInThreadHaveKeyword', 'hasKeyword', 'notKeyword', 'hasAttachment', 'text', 'from', 'to', 'cc', 'bcc', 'subject', 'body', 'header',
]);

function checkCondition(c: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(c)) {
    if (!CONDITIONS.has(k)) throw new MethodError('unsupportedFilter', `unknown Email filter ${k}`);
    const bad = (what: string) => invalidArguments(`filter ${k} must be ${what}`);
    if (k === 'inMailbox' && !isId(v)) throw bad('an Id');
    if (k === 'inMailboxOtherThan' && !(Array.isArray(v) && v.every(isId))) throw bad('an array of Ids');
    if ((k === 'before' || k === 'after') && !isUtcDate(v)) throw bad('a UTCDate');
    if ((k === 'minSize' || k === 'maxSize') && !isUint(v)) throw bad('an UnsignedInt');
    if (k.endsWith('Keyword') && !(typeof v === 'string' && validKeyword(v))) throw bad('a keyword');
    if (k === 'hasAttachment' && typeof v !== 'boolean') throw bad('a Boolean');
    if (['text', 'from', 'to', 'cc', 'bcc', 'subject', 'body'].includes(k) && typeof v !== 'string') throw bad('a String');
    if (k === 'header' && !(Array.isArray(v) && (v.length === 1 || v.length === 2) && v.every((x) => typeof x === 'string') && /^[\x21-\x39\x3b-\x7e]+$/.test(v[0] as string))) {
      throw bad('[name] or [name, text]');
    }
  }
}

/**
 * A filter's size, bounded: every condition is tried on every email, and each text condition's terms are looked
 * for in up to 2 MB of body text, so a request of 10 MB of conditions would hold the server's one thread for hours.
 */
export const MAX_FILTER_CONDITIONS = 256;
export const MAX_FILTER_TERMS = 64;
const TEXT_KEYS = ['text', 'from', 'to', 'cc', 'bcc', 'subject', 'body'];

function filterSize(f: Filter, n: { conditions: number; terms: number }): void {
  n.conditions++;
  if ('operator' in f && Array.isArray(f.conditions)) {
    for (const c of f.conditions as Filter[]) filterSize(c, n);
    return;
  }
  const c = f as Record<string, unknown>;
  for (const k of TEXT_KEYS) if (typeof c[k] === 'string') n.terms += searchTerms(c[k] as string).length;
  if (Array.isArray(c.header) && typeof c.header[1] === 'string') n.terms += searchTerms(c.header[1]).length;
}

export function readEmailFilter(v: unknown): Filter | null {
  const f = checkFilter(v, checkCondition);
  if (!f) return f;
  const n = { conditions: 0, terms: 0 };
  filterSize(f, n);
  if (n.conditions > MAX_FILTER_CONDITIONS) throw new MethodError('unsupportedFilter', `a filter has at most ${MAX_FILTER_CONDITIONS} conditions and operators (this one ${n.conditions}): simplify the search`);
  if (n.terms > MAX_FILTER_TERMS) throw new MethodError('unsupportedFilter', `a filter searches for at most ${MAX_FILTER_TERMS} words in all (this one ${n.terms}): simplify the search`);
  return f;
}

export function readEmailSort(v: unknown): Comparator[] {
  return checkSort(v, EMAIL_SORT_OPTIONS, COLLATIONS, (c) => {
    if (['hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword'].includes(c.property as string)) {
      if (typeof c.keyword !== 'string' || !validKeyword(c.keyword)) throw invalidArguments(`sorting by ${String(c.property)} needs a keyword`);
      return { keyword: c.keyword.toLowerCase() };
    }
    return {};
  });
}

/** An email as the filter and sort see it: mailboxes, keywords, thread mates' keywords, lazily its text. */
interface Candidate {
  row: EmailRow;
  mailboxes: Set<string>;
  keywords: Set<string>;
  thread: Set<string>[];
}

/**
 * Reads message text for the conditions that need it, once per email per query: the body decoded and folded once
 * for all the conditions, and only the email being tested kept (a query over a large mailbox holds one body).
 */
class TextLoader {
  private head1?: { id: string; head: Buffer; fields: ReturnType<typeof topHeaders> };
  private body1?: { id: string; folded: string };
  constructor(readonly acct: MailAccount) {}

  /** hasAttachment, from the index's cache or from the message (then cached). */
  async hasAttachment(e: EmailRow): Promise<boolean> {
    if (e.extra) return e.extra.hasAttachment;
    const v = viewRequest(['hasAttachment'], null, [], { fetchTextBodyValues: false, fetchHTMLBodyValues: false, fetchAllBodyValues: false, maxBodyValueBytes: 0 });
    const out = contentView(await this.acct.raw(e), v, () => null, null);
    if (out.derived) await this.acct.ctx.svc.store.setEmailExtra(this.acct.owner, e.id, out.derived);
    return out.derived?.hasAttachment ?? false;
  }

  async head(e: EmailRow): Promise<{ head: Buffer; fields: ReturnType<typeof topHeaders> }> {
    if (this.head1?.id !== e.id) {
      const head = await this.acct.head(e);
      this.head1 = { id: e.id, head, fields: topHeaders(head) };
    }
    return this.head1;
  }

  /** The body text, folded (search.ts fold). */
  async foldedBody(e: EmailRow): Promise<string> {
    if (this.body1?.id !== e.id) this.body1 = { id: e.id, folded: fold(bodyText(await this.acct.raw(e))) };
    return this.body1.folded;
  }
}

function needsText(f: Filter | null): boolean {
  if (!f) return false;
  if ('operator' in f && Array.isArray(f.conditions)) return (f.conditions as Filter[]).some(needsText);
  return ['text', 'body', 'header', 'hasAttachment'].some((k) => k in f);
}

/** Conditions that need the message are checked here, asynchronously, for one email. */
async function textConditions(c: Record<string, unknown>, e: EmailRow, load: TextLoader): Promise<boolean> {
  const meta = e.meta;
  const addr = meta?.addresses ?? { from: '', to: '', cc: '', bcc: '' };
  for (const k of ['from', 'to', 'cc', 'bcc'] as const) if (typeof c[k] === 'string' && !containsAll(addr[k], searchTerms(c[k] as string))) return false;
  if (typeof c.subject === 'string' && !containsAll(meta?.subject ?? '', searchTerms(c.subject))) return false;
  if (typeof c.hasAttachment === 'boolean' && (await load.hasAttachment(e)) !== c.hasAttachment) return false;
  if (Array.isArray(c.header)) {
    const [name, text] = c.header as string[];
    const { head, fields: all } = await load.head(e);
    const fields = all.filter((h) => h.name === name.toLowerCase());
    if (!fields.length) return false;
    if (text !== undefined && !fields.some((f) => containsAll(textValue(head, f), searchTerms(text)))) return false;
  }
  if (typeof c.body === 'string' && !foldedContainsAll(await load.foldedBody(e), searchTerms(c.body))) return false;
  if (typeof c.text === 'string') {
    const terms = searchTerms(c.text);
    const headerText = `${meta?.subject ?? ''}\n${addr.from}\n${addr.to}\n${addr.cc}\n${addr.bcc}`;
    // each term may be found in the header fields or in the body
    const f = fold(headerText);
    const missing = terms.filter((t) => !f.includes(t));
    if (missing.length && !foldedContainsAll(await load.foldedBody(e), missing)) return false;
  }
  return true;
}

function quickCondition(c: Record<string, unknown>, x: Candidate): boolean {
  const e = x.row;
  if (typeof c.inMailbox === 'string' && !x.mailboxes.has(c.inMailbox)) return false;
  if (Array.isArray(c.inMailboxOtherThan) && ![...x.mailboxes].some((m) => !(c.inMailboxOtherThan as string[]).includes(m))) return false;
  if (typeof c.before === 'string' && !(e.receivedAt < Date.parse(c.before))) return false;
  if (typeof c.after === 'string' && !(e.receivedAt >= Date.parse(c.after))) return false;
  if (typeof c.minSize === 'number' && e.size < c.minSize) return false;
  if (typeof c.maxSize === 'number' && e.size >= c.maxSize) return false;
  if (typeof c.hasKeyword === 'string' && !x.keywords.has(c.hasKeyword.toLowerCase())) return false;
  if (typeof c.notKeyword === 'string' && x.keywords.has(c.notKeyword.toLowerCase())) return false;
  if (typeof c.allInThreadHaveKeyword === 'string' && !x.thread.every((k) => k.has((c.allInThreadHaveKeyword as string).toLowerCase()))) return false;
  if (typeof c.someInThreadHaveKeyword === 'string' && !x.thread.some((k) => k.has((c.someInThreadHaveKeyword as string).toLowerCase()))) return false;
  if (typeof c.noneInThreadHaveKeyword === 'string' && x.thread.some((k) => k.has((c.noneInThreadHaveKeyword as string).toLowerCase()))) return false;
  return true;
}

/** Evaluate a filter tree where some conditions are asynchronous. */
async function matchAsync(f: Filter | null, x: Candidate, load: TextLoader): Promise<boolean> {
  if (!f) return true;
  if ('operator' in f && Array.isArray(f.conditions)) {
    const subs = f.conditions as Filter[];
    if (f.operator === 'AND') {
      for (const s of subs) if (!(await matchAsync(s, x, load))) return false;
      return true;
    }
    let any = false;
    for (const s of subs) if (await matchAsync(s, x, load)) {
      any = true;
      break;
    }
    return f.operator === 'OR' ? any : !any;
  }
  const c = f as Record<string, unknown>;
  return quickCondition(c, x) && (await textConditions(c, x.row, load));
}

function sortValue(cmp: Comparator, x: Candidate): string | number | boolean {
  const e = x.row;
  switch (cmp.property) {
    case 'receivedAt':
      return e.receivedAt;
    case 'size':
      return e.size;
    case 'from':
      return e.meta?.from ?? '';
    case 'to':
      return e.meta?.to ?? '';
    case 'subject':
      return baseSubject(e.meta?.subject ?? '');
    case 'sentAt':
      return e.meta?.sentAt?.ms ?? e.receivedAt;
    case 'hasKeyword':
      return x.keywords.has(cmp.keyword!);
    case 'allInThreadHaveKeyword':
      return x.thread.every((k) => k.has(cmp.keyword!));
    default:
      return x.thread.some((k) => k.has(cmp.keyword!));
  }
}

/** The ids of an Email/query in order (collapsed to one per thread when asked). */
export async function queryEmails(acct: MailAccount, filter: Filter | null, sort: Comparator[], collapseThreads: boolean): Promise<string[]> {
  const rows = await acct.emails();
  const folderIds = await acct.folderIdMap();
  const threadKeywords = new Map<string, Set<string>[]>();
  const cands: Candidate[] = rows.map((row) => {
    const keywords = new Set(Object.keys(emailKeywords(row)));
    const tid = row.threadId ?? row.id;
    let t = threadKeywords.get(tid);
    if (!t) threadKeywords.set(tid, (t = []));
    t.push(keywords);
    return { row, mailboxes: new Set(Object.keys(acct.mailboxIdsOf(row, folderIds))), keywords, thread: t };
  });
  const load = new TextLoader(acct);
  let matched: Candidate[];
  if (needsText(filter) || containsTextCondition(filter)) {
    matched = [];
    for (const x of cands) if (await matchAsync(filter, x, load)) matched.push(x);
  } else matched = cands.filter((x) => matchFilter(filter, x, quickCondition));
  matched.sort((a, b) => {
    for (const c of sort) {
      const va = sortValue(c, a);
      const vb = sortValue(c, b);
      let r = 0;
      if (typeof va === 'string' && typeof vb === 'string') r = collate(va, vb, c.collation);
      else r = Number(va) - Number(vb);
      if (r) return c.isAscending ? r : -r;
    }
    // stable server order when the comparators tie: newest first, then id
    return b.row.receivedAt - a.row.receivedAt || (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0);
  });
  if (!collapseThreads) return matched.map((x) => x.row.id);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const x of matched) {
    const tid = x.row.threadId ?? x.row.id;
    if (seen.has(tid)) continue;
    seen.add(tid);
    out.push(x.row.id);
  }
  return out;
}

function containsTextCondition(f: Filter | null): boolean {
  if (!f) return false;
  if ('operator' in f && Array.isArray(f.conditions)) return (f.conditions as Filter[]).some(containsTextCondition);
  return ['from', 'to', 'cc', 'bcc', 'subject'].some((k) => k in f);
}

/** Every search string of text/subject/body conditions in a filter (for snippets). */
export function filterTerms(f: Filter | null, kinds: string[]): string[] {
  if (!f) return [];
  if ('operator' in f && Array.isArray(f.conditions)) {
    if (f.operator === 'NOT') return [];
    return (f.conditions as Filter[]).flatMap((c) => filterTerms(c, kinds));
  }
  return kinds.flatMap((k) => (typeof (f as Record<string, unknown>)[k] === 'string' ? searchTerms((f as Record<string, string>)[k]) : []));
}

