// LIST (RFC 3501 §6.3.8, RFC 6154 attributes): folders matching reference + pattern with \HasChildren,
// \HasNoChildren, special-use attributes, and \Noselect for parents that exist only as a path. Clients that
// send LIST-EXTENDED's "(SPECIAL-USE)" / "(SUBSCRIBED)" selection or "RETURN (...)" are answered sensibly.
// The list archives this user may read ("#lists/NAME@DOMAIN", list-archives.ts) are listed too, always subscribed.
import { AUTHENTICATED, bad, ok, type Args, type CommandDef, type Result } from '../command.js';
import { SEPARATOR, SPECIAL_USE, folderAttributes, listLine, matchPattern } from '../folders.js';
import { SHARED_PREFIX, isSharedName } from '../list-archives.js';
import type { Token } from '../protocol/tokens.js';
import type { Session } from '../session.js';

export function fullPattern(ref: string, pattern: string): string {
  if (!ref) return pattern;
  return ref.endsWith(SEPARATOR) || pattern.startsWith(SEPARATOR) ? ref + pattern : ref + SEPARATOR + pattern;
}

export async function listFolders(s: Session, a: Args, kind: 'LIST' | 'LSUB'): Promise<Result> {
  const ret = (a.return as Token[] | undefined) ?? [];
  if (ret.length && (ret.length !== 2 || ret[0].t !== 'atom' || ret[0].v.toUpperCase() !== 'RETURN' || ret[1].t !== 'list')) return bad('Unexpected LIST arguments');
  const ref = (a.reference as string) ?? '';
  const pattern = a.pattern as string;
  if (pattern === '' && kind === 'LIST') {
    s.send(`* LIST (\\Noselect) "${SEPARATOR}" ""`);
    return ok('LIST completed');
  }
  const full = fullPattern(ref, pattern);
  // a personal folder that looks like a shared name (made before the namespace existed) cannot be reached: not listed
  const own = (names: string[]) => names.map((f) => (f.toUpperCase() === 'INBOX' ? 'INBOX' : f)).filter((f) => !isSharedName(f));
  const shared = (s.shared.archives?.readable(s.owner) ?? []).map((l) => SHARED_PREFIX + l);
  const folders = [...own(await s.store.listFolders(s.owner)), ...shared];
  const all = new Set(folders);
  const subscribed = async () => new Set([...own(await s.store.subscriptions(s.owner)), ...shared]);
  const names = kind === 'LSUB' ? await subscribed() : all;
  const implied = new Set<string>();
  for (const f of names) {
    const levels = f.split(SEPARATOR);
    for (let i = 1; i < levels.length; i++) {
      const p = levels.slice(0, i).join(SEPARATOR);
      if (!names.has(p)) implied.add(p);
    }
  }
  const options = ((a.options as Token[] | undefined) ?? []).map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
  let selected = names;
  if (options.includes('SUBSCRIBED')) selected = await subscribed();
  if (options.includes('SPECIAL-USE')) selected = new Set([...selected].filter((f) => SPECIAL_USE[f]));
  const out = [...selected].filter((f) => matchPattern(full, f)).sort(folderOrder);
  for (const f of out) s.send(listLine(kind, folderAttributes(f, all, { noselect: kind === 'LSUB' ? false : !all.has(f) }), f));
  // parents not themselves listed appear as \Noselect when "%" stops at their level
  for (const p of options.length ? [] : [...implied].sort(folderOrder)) {
    if (matchPattern(full, p) && !out.includes(p)) s.send(listLine(kind, folderAttributes(p, all, { noselect: true }), p));
  }
  return ok(`${kind} completed`);
}

function folderOrder(a: string, b: string): number {
  if (a === 'INBOX') return -1;
  if (b === 'INBOX') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const list: CommandDef = {
  names: ['LIST'],
  states: AUTHENTICATED,
  args: [
    { name: 'options', type: 'list', optional: true },
    { name: 'reference', type: 'pattern' },
    { name: 'pattern', type: 'pattern' },
    { name: 'return', type: 'token', rest: true, optional: true },
  ],
  handle: (s, a) => listFolders(s, a, 'LIST'),
};
