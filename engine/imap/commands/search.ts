// SEARCH and UID SEARCH (RFC 3501 §6.4.4): CHARSET UTF-8/US-ASCII; text keys match decoded Unicode.
// Answers sequence numbers (UIDs for UID SEARCH), plus (MODSEQ n) when a MODSEQ key was used.
import { SELECTED, bad, no, ok, type CommandDef } from '../command.js';
import type { Token } from '../protocol/tokens.js';
import { matches, needsContent, parseSearch, type SearchNode } from '../search-query.js';

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
      if (!/^(utf-8|us-ascii)$/i.test(name)) return no('Unsupported charset', 'BADCHARSET (UTF-8 US-ASCII)');
      tokens = tokens.slice(2);
    }
    const tree = parseSearch(tokens);
    if (typeof tree === 'string') return bad(tree);
    const content = needsContent(tree);
    const hits: number[] = [];
    let maxModseq = 0;
    const maxUid = view.uids.length ? view.uids[view.uids.length - 1] : 0;
    for (let i = 0; i < view.uids.length; i++) {
      const uid = view.uids[i];
      const info = view.info.get(uid)!;
      let raw: Buffer | undefined;
      if (content) {
        try {
          raw = await s.store.read(s.owner, view.folder, uid);
        } catch {
          continue;
        }
      }
      if (matches(tree, { seq: i + 1, maxSeq: view.uids.length, maxUid, info, recent: view.recent.has(uid), raw })) {
        hits.push(c.uid ? uid : i + 1);
        if (info.modseq > maxModseq) maxModseq = info.modseq;
      }
    }
    const modseq = usesModseq(tree) && hits.length ? ` (MODSEQ ${maxModseq})` : '';
    s.send(`* SEARCH${hits.map((h) => ' ' + h).join('')}${modseq}`);
    return ok(`${c.name} completed`);
  },
};
