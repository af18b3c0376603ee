// STORE and UID STORE (RFC 3501 §6.4.6, UNCHANGEDSINCE from RFC 7162): FLAGS / +FLAGS / -FLAGS (.SILENT),
// answering with the new flags unless silent; messages changed since UNCHANGEDSINCE are reported as MODIFIED.
// A list archive keeps no flags at all, not even a per-user \Seen: STORE there is refused (NOPERM).
import { SELECTED, bad, keywordsOf, MAX_KEYWORDS, no, ok, readOnlyRefusal, storableFlags, type CommandDef } from '../command.js';
import { flagList } from '../protocol/response.js';
import { formatSet, type SeqRange } from '../protocol/sequence.js';
import type { Token } from '../protocol/tokens.js';

export const store: CommandDef = {
  names: ['STORE', 'UID STORE'],
  states: SELECTED,
  holdsExpunges: true,
  args: [
    { name: 'set', type: 'seqset' },
    { name: 'modifiers', type: 'list', optional: true },
    { name: 'item', type: 'atom' },
    { name: 'flags', type: 'token', rest: true },
  ],
  async handle(s, a, c) {
    const view = s.selected!;
    if (view.readOnly) return readOnlyRefusal(view);
    const m = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(a.item as string);
    if (!m) return bad('Unknown STORE item');
    const mode = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'replace';
    const silent = !!m[2];
    let unchangedSince: number | undefined;
    const mods = (a.modifiers as Token[] | undefined) ?? [];
    for (let i = 0; i < mods.length; i++) {
      const k = mods[i];
      const v = mods[i + 1];
      if (k.t === 'atom' && k.v.toUpperCase() === 'UNCHANGEDSINCE' && v?.t === 'atom' && /^\d+$/.test(v.v)) {
        unchangedSince = Number(v.v);
        s.enabled.add('CONDSTORE');
        i++;
      } else return bad('Unknown STORE modifier');
    }
    const toks = a.flags as Token[];
    const names: string[] = [];
    for (const t of toks.length === 1 && toks[0].t === 'list' ? toks[0].v : toks) {
      if (t.t !== 'atom') return bad('Flags must be atoms');
      names.push(t.v);
    }
    const flags = storableFlags(names);
    if (!flags) return bad('Invalid flag');
    const seqs = view.resolve(a.set as SeqRange[], c.uid);
    const uids = seqs.map((n) => view.uids[n - 1]);
    if (!uids.length) return ok(`${c.name} completed`);
    if (mode !== 'remove') {
      const adding = keywordsOf(flags);
      const over = mode === 'replace' ? adding.size > MAX_KEYWORDS : adding.size > 0 && seqs.some((n) => keywordsOf(view.infoAt(n).flags, new Set(adding)).size > MAX_KEYWORDS);
      if (over) return no(`A message keeps at most ${MAX_KEYWORDS} keywords`, 'LIMIT');
    }
    const r = await view.store.updateFlags(view.owner, view.folder, uids, mode, flags, unchangedSince);
    view.applyUpdated(r.updated);
    const condstore = s.enabled.has('CONDSTORE');
    if (!silent || unchangedSince !== undefined) {
      for (const info of r.updated) {
        const seq = view.seqOf(info.uid);
        if (!seq) continue;
        const items: string[] = [];
        if (!silent) items.push(`FLAGS ${flagList(view.flagsWithRecent(info))}`);
        if (c.uid) items.push(`UID ${info.uid}`);
        if (condstore) items.push(`MODSEQ (${info.modseq})`);
        if (items.length) s.send(`* ${seq} FETCH (${items.join(' ')})`);
      }
    }
    if (r.failed.length) {
      const failed = c.uid ? r.failed : r.failed.map((u) => view.seqOf(u)).filter(Boolean);
      return ok('Some messages were modified', `MODIFIED ${formatSet([...failed].sort((x, y) => x - y))}`);
    }
    return ok(`${c.name} completed`);
  },
};
