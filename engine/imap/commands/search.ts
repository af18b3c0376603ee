// SEARCH and UID SEARCH (RFC 3501 §6.4.4): text keys match decoded Unicode. CHARSET may name any charset the
// decoder knows (ISO-2022-JP, Shift_JIS and EUC-JP, as Japanese clients send them); search strings are decoded first.
// Answers sequence numbers (UIDs for UID SEARCH), plus (MODSEQ n) when a MODSEQ key was used.
import { SELECTED, bad, no, ok, type CommandDef } from '../command.js';
import type { Token } from '../protocol/tokens.js';
import { decodeBytes, knownCharset, normaliseCharset } from '../../mime/charset.js';
import { cacheFor, MessageCache } from '../message-cache.js';
import { compileSearch, Content, contentNeeds, headerNames, MAX_SEARCH_KEYS, MAX_TEXT_SEARCH_KEYS, needsDate, parseSearch, searchKeyCount, type Candidate, type SearchNode } from '../search-query.js';

/** Search strings given in another charset, re-encoded as the UTF-8 the search keys are parsed from. */
function toUtf8(tokens: Token[], charset: string): Token[] {
  const cs = normaliseCharset(charset);
  if (cs === 'utf-8' || cs === 'us-ascii') return tokens;
  return tokens.map((t): Token => {
    if (t.t === 'string') return { ...t, v: Buffer.from(decodeBytes(t.v, cs).text, 'utf8') };
    if (t.t === 'list') return { ...t, v: toUtf8(t.v, charset) };
    return t;
  });
}

function usesModseq(n: SearchNode): boolean {
  if (n.op === 'modseq') return true;
  if (n.op === 'and') return n.items.some(usesModseq);
  if (n.op === 'or') return usesModseq(n.a) || usesModseq(n.b);
  if (n.op === 'not') return usesModseq(n.a);
  return false;
}

export const search: CommandDef = {
  names: ['SEARCH', 'UID SEARCH'],
  states: SELECTED,
  holdsExpunges: true,
  args: [{ name: 'keys', type: 'token', rest: true }],
  async handle(s, a, c) {
    const view = s.selected!;
    let tokens = a.keys as Token[];
    const first = tokens[0];
    if (first?.t === 'atom' && first.v.toUpperCase() === 'CHARSET') {
      const cs = tokens[1];
      const name = cs?.t === 'atom' ? cs.v : cs?.t === 'string' ? cs.v.toString('latin1') : '';
      if (!knownCharset(name)) return no('Unsupported charset', 'BADCHARSET (UTF-8 US-ASCII ISO-2022-JP SHIFT_JIS EUC-JP)');
      tokens = toUtf8(tokens.slice(2), name);
    }
    const tree = parseSearch(tokens);
    if (typeof tree === 'string') return bad(tree);
    const count = searchKeyCount(tree);
    if (count.keys > MAX_SEARCH_KEYS || count.text > MAX_TEXT_SEARCH_KEYS) {
      return no(`Search too large: at most ${MAX_SEARCH_KEYS} keys, ${MAX_TEXT_SEARCH_KEYS} of them searching text`, 'LIMIT');
    }
    const needs = contentNeeds(tree);
    const names = [...headerNames(tree)];
    const wantsDate = needsDate(tree);
    const cache = cacheFor(view.store);
    const hits: number[] = [];
    let maxModseq = 0;
    const maxUid = view.uids.length ? view.uids[view.uids.length - 1] : 0;
    const box = MessageCache.box(view.owner, view.folder, view.uidValidity);
    const boxCache = cache.of(box);
    const test = compileSearch(tree);
    // one candidate, refilled per message
    const cand: Candidate = { seq: 0, maxSeq: view.uids.length, maxUid, info: view.uids.length ? view.infoAt(1) : (undefined as never), recent: false, raw: undefined };
    for (let i = 0; i < view.uids.length; i++) {
      const uid = view.uids[i];
      const info = view.infoAt(i + 1);
      let raw: Buffer | undefined;
      let content: Content | undefined;
      if (needs.headers || needs.body) {
        const cached = boxCache?.get(uid)?.value;
        // header keys only: the values decoded before, or the header block FETCH kept, spare reading the file
        const known = !needs.body && (!wantsDate || cached?.date !== undefined) && names.every((n) => cached?.fields?.has(n));
        if (!known) {
          if (!needs.body && cached?.head) raw = cached.head;
          else {
            try {
              raw = await view.store.read(view.owner, view.folder, uid);
            } catch {
              continue;
            }
          }
        }
        content = new Content(raw, cached);
        if (!known) {
          for (const n of names) content.header(n);
          cache.update(box, uid, { fields: content.fields, date: content.date() });
        }
      }
      cand.seq = i + 1;
      cand.info = info;
      cand.recent = view.recent.has(uid);
      cand.raw = raw;
      if (test(cand, content ?? (raw ? new Content(raw) : undefined))) {
        hits.push(c.uid ? uid : i + 1);
        if (info.modseq > maxModseq) maxModseq = info.modseq;
      }
    }
    const modseq = usesModseq(tree) && hits.length ? ` (MODSEQ ${maxModseq})` : '';
    s.send(`* SEARCH${hits.map((h) => ' ' + h).join('')}${modseq}`);
    return ok(`${c.name} completed`);
  },
};
