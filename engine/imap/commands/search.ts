// SEARCH and UID SEARCH (RFC 3501 §6.4.4): text keys match decoded Unicode. CHARSET may name any charset the
// decoder knows (ISO-2022-JP, Shift_JIS and EUC-JP, as Japanese clients send them); search strings are decoded first.
// Answers sequence numbers (UIDs for UID SEARCH), plus (MODSEQ n) when a MODSEQ key was used.
import { SELECTED, bad, no, ok, type CommandDef } from '../command.js';
import type { Token } from '../protocol/tokens.js';
import { decodeBytes, knownCharset, normaliseCharset } from '../../mime/charset.js';
import { cacheFor, MessageCache, type CachedMessage } from '../message-cache.js';
import { answerFromColumns } from '../search-columns.js';
import type { MailboxView } from '../mailbox-view.js';
import type { MessageInfo } from '../../store/mailbox-store.js';
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

/** The message SEARCH's keys are tried on; its info and \\Recent looked up only when a key reads them. */
class Candidates implements Candidate {
  seq = 0;
  uid = 0;
  raw?: Buffer;
  readonly maxSeq: number;
  private made?: MessageInfo;
  private isRecent?: boolean;
  constructor(
    private readonly view: MailboxView,
    readonly maxUid: number,
  ) {
    this.maxSeq = view.uids.length;
  }
  at(seq: number, uid: number, raw: Buffer | undefined): void {
    this.seq = seq;
    this.uid = uid;
    this.raw = raw;
    this.made = undefined;
    this.isRecent = undefined;
  }
  get info(): MessageInfo {
    return (this.made ??= this.view.infoAt(this.seq));
  }
  get recent(): boolean {
    return (this.isRecent ??= this.view.recent.has(this.uid));
  }
}

/** Has the cache every field the keys name decoded for this message? */
function allKnown(cached: CachedMessage | undefined, names: string[]): boolean {
  const fields = cached?.fields;
  if (!fields) return names.length === 0;
  for (let i = 0; i < names.length; i++) if (!fields.has(names[i])) return false;
  return true;
}

/**
 * What a later SEARCH may use without reading the file again: the header block of a message read here (header keys
 * are matched on its bytes), and values decoded here (fields whose bytes could not answer: encoded words, Japanese).
 */
function keep(cache: MessageCache, box: string, uid: number, cached: CachedMessage | undefined, content: Content, fromFile: boolean, wantsDate: boolean): void {
  const head = fromFile && !cached?.head ? content.headBlock() : undefined;
  if (!head && !content.decodedNew && !(wantsDate && fromFile)) return;
  const add: CachedMessage = {};
  if (head) add.head = head;
  if (content.decodedNew) add.fields = content.fields;
  if (wantsDate) add.date = content.date();
  cache.update(box, uid, add);
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
    let names = [...headerNames(tree)];
    const wantsDate = needsDate(tree);
    const cache = cacheFor(view.store);
    const hits: number[] = [];
    let maxModseq = 0;
    const withModseq = usesModseq(tree);
    const maxUid = view.uids.length ? view.uids[view.uids.length - 1] : 0;
    const box = MessageCache.box(view.owner, view.folder, view.uidValidity);
    // the view holds still while SEARCH runs (holdsExpunges): its UIDs read once
    const uids = view.uids;
    // HEADER keys of a search that reads no body: answered from per-mailbox columns before the loop
    const known = needs.body ? null : await answerFromColumns(view, uids, tree, box);
    const test = compileSearch(tree, known ? (n) => known.hits.get(n) : undefined);
    if (known?.all) names = [];
    const skipped = known?.skipped;
    const boxCache = cache.of(box);
    // one candidate and one content, refilled per message
    const cand = new Candidates(view, maxUid);
    const content = new Content(undefined);
    const wantsText = needs.body || wantsDate || (needs.headers && !known?.all);
    for (let i = 0; i < uids.length; i++) {
      if (skipped?.[i]) continue;
      const uid = uids[i];
      let raw: Buffer | undefined;
      let cached: CachedMessage | undefined;
      let fromFile = false;
      if (wantsText) {
        cached = boxCache?.get(uid)?.value;
        // header keys only: the values decoded before, or the header block FETCH kept, spare reading the file
        if (needs.body || (wantsDate && cached?.date === undefined) || !allKnown(cached, names)) {
          if (!needs.body && cached?.head) raw = cached.head;
          else {
            try {
              raw = await view.store.read(view.owner, view.folder, uid);
            } catch {
              continue;
            }
            fromFile = true;
          }
        }
        content.reset(raw, cached, !fromFile);
      }
      cand.at(i + 1, uid, raw);
      if (test(cand, wantsText ? content : undefined)) {
        hits.push(c.uid ? uid : i + 1);
        if (withModseq && cand.info.modseq > maxModseq) maxModseq = cand.info.modseq;
      }
      if (wantsText) keep(cache, box, uid, cached, content, fromFile, wantsDate);
    }
    const modseq = withModseq && hits.length ? ` (MODSEQ ${maxModseq})` : '';
    s.send(`* SEARCH${hits.map((h) => ' ' + h).join('')}${modseq}`);
    return ok(`${c.name} completed`);
  },
};
