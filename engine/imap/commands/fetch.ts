// FETCH and UID FETCH (RFC 3501 §6.4.5, CHANGEDSINCE from RFC 7162): renders the requested items per
// message, streaming with backpressure; BODY[...] without PEEK, RFC822 and RFC822.TEXT set \Seen first.
import { SELECTED, bad, ok, type CommandDef } from '../command.js';
import { needsContent, parseFetchItems, renderFetch, type FetchItem } from '../fetch-items.js';
import { cacheFor, MessageCache } from '../message-cache.js';
import { parseMime, type MimeNode } from '../mime/mime-tree.js';
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
    const cache = cacheFor(s.store);
    const mayNeedContent = needsContent(items);
    let n = 0;
    s.socket.cork();
    try {
      for (const seq of seqs) {
        const uid = view.uids[seq - 1];
        const info = view.info.get(uid);
        if (!info) continue;
        const key = MessageCache.key(s.owner, view.folder, view.uidValidity, uid);
        const cached = mayNeedContent ? cache.get(key) : undefined;
        let raw: Buffer | undefined;
        if (mayNeedContent && needsContent(items, cached)) {
          try {
            raw = await s.store.read(s.owner, view.folder, uid);
          } catch {
            continue; // expunged by another session meanwhile: its EXPUNGE comes later
          }
        }
        let tree: MimeNode | undefined;
        const parsed = raw;
        s.send(
          renderFetch(items, {
            seq,
            info,
            flags: view.flagsWithRecent(info),
            raw,
            tree: () => (tree ??= parseMime(parsed!)),
            cached,
            remember: (fields) => cache.update(key, fields),
          }),
        );
        if (++n % 64 === 0) {
          s.socket.uncork();
          await s.drain();
          s.socket.cork();
        }
        if (s.isClosed()) break;
      }
    } finally {
      s.socket.uncork();
    }
    return ok(`${c.name} completed`);
  },
};
