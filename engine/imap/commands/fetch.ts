// FETCH and UID FETCH (RFC 3501 §6.4.5, CHANGEDSINCE from RFC 7162): renders the requested items per
// message, streaming with backpressure; BODY[...] without PEEK, RFC822 and RFC822.TEXT set \Seen first.
import { SELECTED, bad, ok, type CommandDef } from '../command.js';
import type { MessageInfo } from '../../store/mailbox-store.js';
import { needsContent, parseFetchItems, renderFetch, type FetchItem } from '../fetch-items.js';
import { parseMime } from '../mime/mime-tree.js';
import type { SeqRange } from '../protocol/sequence.js';
import type { Token } from '../protocol/tokens.js';

export const fetch: CommandDef = {
  names: ['FETCH', 'UID FETCH'],
  states: SELECTED,
  holdsExpunges: true,
  args: [
    { name: 'set', type: 'seqset' },
    { name: 'items', type: 'token' },
    { name: 'modifiers', type: 'list', optional: true },
  ],
  async handle(s, a, c) {
    const view = s.selected!;
    const parsed = parseFetchItems(a.items as Token);
    if (typeof parsed === 'string') return bad(parsed);
    const items: FetchItem[] = [...parsed];
    let changedSince: number | undefined;
    const mods = (a.modifiers as Token[] | undefined) ?? [];
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i];
      const v = mods[i + 1];
      if (m.t === 'atom' && m.v.toUpperCase() === 'CHANGEDSINCE' && v?.t === 'atom' && /^\d+$/.test(v.v)) {
        changedSince = Number(v.v);
        s.enabled.add('CONDSTORE');
        i++;
      } else return bad('Unknown FETCH modifier');
    }
    if (changedSince !== undefined && !items.some((i) => i.kind === 'MODSEQ')) items.push({ kind: 'MODSEQ' });
    if (c.uid && !items.some((i) => i.kind === 'UID')) items.unshift({ kind: 'UID' });
    let seqs = view.resolve(a.set as SeqRange[], c.uid);
    if (changedSince !== undefined) seqs = seqs.filter((n) => view.info.get(view.uids[n - 1])!.modseq > changedSince!);

    if (!view.readOnly && items.some((i) => i.kind === 'section' && i.setsSeen)) {
      const unseen = seqs.map((n) => view.uids[n - 1]).filter((u) => !view.info.get(u)!.flags.includes('\\Seen'));
      if (unseen.length) {
        const r = await s.store.updateFlags(s.owner, view.folder, unseen, 'add', ['\\Seen']);
        view.applyUpdated(r.updated);
        if (!items.some((i) => i.kind === 'FLAGS')) items.push({ kind: 'FLAGS' });
      }
    }
    const content = needsContent(items);
    let n = 0;
    for (const seq of seqs) {
      const uid = view.uids[seq - 1];
      const info = view.info.get(uid);
      if (!info) continue;
      let raw: Buffer | undefined;
      if (content) {
        try {
          raw = await s.store.read(s.owner, view.folder, uid);
        } catch {
          continue; // expunged by another session meanwhile: its EXPUNGE comes later
        }
      }
      s.send(renderFetchSafe(items, seq, info, view.flagsWithRecent(info), raw));
      if (++n % 64 === 0) await s.drain();
      if (s.isClosed()) break;
    }
    return ok(`${c.name} completed`);
  },
};

function renderFetchSafe(items: FetchItem[], seq: number, info: MessageInfo, flags: string[], raw?: Buffer) {
  return renderFetch(items, { seq, info, flags, raw, tree: raw ? parseMime(raw) : undefined });
}
