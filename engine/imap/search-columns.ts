// A SEARCH without BODY/TEXT keys answers its HEADER keys (SUBJECT, FROM, HEADER name …) from per-mailbox columns of
// decoded, folded values (header-columns.ts) before its loop, so the loop reads no header per message. Values of
// messages a column lacks come from the message cache (decoded values, or the header block FETCH kept), else
// from the file, whose header block is then kept too. Decoding is the same as the per-message path's
// (Content.values: RFC 2047 words, ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8, folded with fold()).
import { ColumnCache, columnKey, columnsFor, covers, fedIndex, makeColumn, type HeaderColumn } from './header-columns.js';
import type { MailboxView } from './mailbox-view.js';
import { cacheFor } from './message-cache.js';
import { fieldValues, scannableName } from '../mime/header-scan.js';
import { foldedHeaderValue } from '../mime/text-decode.js';
import { Content } from './search-content.js';
import type { SearchNode } from './search-query.js';

type HeaderNode = SearchNode & { op: 'header' };

/** A message without the field (read only). */
const NONE: string[] = [];

function headerNodes(n: SearchNode, out: HeaderNode[] = []): HeaderNode[] {
  if (n.op === 'header') out.push(n);
  else if (n.op === 'and') for (const x of n.items) headerNodes(x, out);
  else if (n.op === 'or') {
    headerNodes(n.a, out);
    headerNodes(n.b, out);
  } else if (n.op === 'not') headerNodes(n.a, out);
  return out;
}

export interface ColumnAnswers {
  /** Per HEADER node answered: 1 per message (index = sequence number - 1) that matches. */
  hits: Map<SearchNode, Uint8Array>;
  /** Every HEADER node of the tree is answered. */
  all: boolean;
  /** 1 for the messages that could not be read (expunged meanwhile): SEARCH skips them. */
  skipped: Uint8Array | null;
}

/**
 * The answers of the tree's HEADER keys over `uids` (the view's, read once by the caller), or null when the tree
 * has none a column can answer.
 */
export async function answerFromColumns(view: MailboxView, uids: readonly number[], tree: SearchNode, box: string): Promise<ColumnAnswers | null> {
  const all = headerNodes(tree);
  const nodes = all.filter((n) => columnKey(n.value));
  if (!nodes.length) return null;
  const columns = columnsFor(view.store);
  const messages = cacheFor(view.store);
  const content = new Content(undefined);
  const byName = new Map<string, HeaderColumn>();
  let skipped: Uint8Array | null = null;
  for (const n of nodes) {
    if (byName.has(n.name)) continue;
    const key = ColumnCache.key(box, n.name);
    let col = columns.get(key);
    if (!col || !covers(col, uids)) {
      const name = n.name;
      const scannable = scannableName(name);
      const f = fedIndex(name);
      const feed = f >= 0 ? columns.feedOf(box) : undefined;
      const fed = feed?.lookup(f);
      const made = await makeColumn(uids, col, (uid) => {
        // values FETCH parsed (decoded here, as from any other source)
        const raw = fed?.(uid);
        if (raw !== undefined) return raw === null ? NONE : typeof raw === 'string' ? foldedHeaderValue(raw) : raw.map(foldedHeaderValue);
        const entry = messages.get(box, uid);
        const known = entry?.fields?.get(name);
        if (known) return known;
        const head = entry?.head;
        if (head) {
          if (!scannable) {
            content.reset(head, undefined, true);
            return content.values(name);
          }
          // what Content.values does on a kept header block, without refilling it
          const vs = fieldValues(head, 0, head.length, name);
          for (let i = 0; i < vs.length; i++) vs[i] = foldedHeaderValue(vs[i]);
          return vs;
        }
        return view.store.read(view.owner, view.folder, uid).then(
          (raw) => {
            content.reset(raw, undefined, false);
            const vs = content.values(name);
            const head = content.headBlock();
            if (head && !messages.get(box, uid)?.head) messages.update(box, uid, { head });
            return vs;
          },
          () => null,
        );
      });
      col = made.column;
      // the feed's values of this field are in the column now (a column made later carries them over)
      if (made.complete) {
        columns.set(key, col);
        if (fed && feed!.take(f)) columns.dropFeed(box);
      } else if (skipped) for (let i = 0; i < skipped.length; i++) skipped[i] |= made.skipped[i];
      else skipped = made.skipped;
    }
    byName.set(n.name, col);
  }
  const hits = new Map<SearchNode, Uint8Array>();
  for (const n of nodes) hits.set(n, byName.get(n.name)!.hits(n.value));
  return { hits, all: nodes.length === all.length, skipped };
}
