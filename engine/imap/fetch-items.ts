// FETCH data items: parsing the requested items (macros, BODY[section]<partial>, RFC822.*; at most
// MAX_FETCH_ITEMS, duplicates merged) and rendering one message's FETCH response from its MessageInfo and, when
// needed, its raw bytes and MIME tree, or for the whole message a source read in chunks as the answer is sent.
// It never changes flags; the FETCH command sets \Seen before rendering.
import type { MessageInfo } from '../store/mailbox-store.js';
import type { CachedMessage } from './message-cache.js';
import { formatDateTime } from './command.js';
import { writeBodyStructure, writeEnvelope } from './mime/envelope.js';
import { findPart, type MimeNode } from '../mime/mime-tree.js';
import { Latin1Text } from './protocol/latin1-text.js';
import { flagList, Response, type ByteSource } from './protocol/response.js';
import type { Token } from './protocol/tokens.js';

export type SectionKind = '' | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface Section {
  path: number[];
  kind: SectionKind;
  fields: string[];
}

export type FetchItem =
  | { kind: 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' | 'MODSEQ' }
  | { kind: 'section'; label: string; section: Section; partial?: [number, number | undefined]; setsSeen: boolean };

const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

const SIMPLE = new Set(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'MODSEQ']);

/** The largest origin or length of a partial fetch (a 32-bit number). */
const MAX_PARTIAL = 0xffffffff;

/** More items than this in one FETCH is refused (real clients ask for a dozen or so). */
export const MAX_FETCH_ITEMS = 256;

/** The items of a FETCH command: one atom (maybe a macro) or a parenthesised list; duplicates merged. */
export function parseFetchItems(tok: Token): FetchItem[] | string {
  if (tok.t === 'atom' && MACROS[tok.v.toUpperCase()]) return MACROS[tok.v.toUpperCase()].map((k) => ({ kind: k }) as FetchItem);
  const atoms = tok.t === 'list' ? tok.v : [tok];
  if (atoms.length > MAX_FETCH_ITEMS) return `Too many fetch items (at most ${MAX_FETCH_ITEMS})`;
  const out: FetchItem[] = [];
  for (const a of atoms) {
    if (a.t !== 'atom') return 'Fetch items must be atoms';
    const item = parseItem(a.v);
    if (typeof item === 'string') return item;
    out.push(item);
  }
  if (!out.length) return 'Empty fetch item list';
  return mergeItems(out);
}

/**
 * One response item per name: items that answer under the same name (BODY[] and BODY.PEEK[], the same item
 * twice, partials from the same origin) become one, the widest partial and \Seen if any of them sets it.
 */
export function mergeItems(items: FetchItem[]): FetchItem[] {
  const byName = new Map<string, FetchItem>();
  const out: FetchItem[] = [];
  for (const item of items) {
    const name = item.kind !== 'section' ? item.kind : item.partial ? `${item.label}<${item.partial[0]}>` : item.label;
    const prev = byName.get(name);
    if (!prev) {
      const copy: FetchItem = item.kind === 'section' ? { ...item } : item;
      byName.set(name, copy);
      out.push(copy);
      continue;
    }
    if (prev.kind !== 'section' || item.kind !== 'section') continue;
    prev.setsSeen ||= item.setsSeen;
    if (prev.partial && item.partial) {
      const [a, b] = [prev.partial[1], item.partial[1]];
      prev.partial = [prev.partial[0], a === undefined || b === undefined ? undefined : Math.max(a, b)];
    }
  }
  return out;
}

function parseItem(atom: string): FetchItem | string {
  const up = atom.toUpperCase();
  if (SIMPLE.has(up)) return { kind: up } as FetchItem;
  if (up === 'RFC822') return { kind: 'section', label: 'RFC822', section: { path: [], kind: '', fields: [] }, setsSeen: true };
  if (up === 'RFC822.HEADER') return { kind: 'section', label: 'RFC822.HEADER', section: { path: [], kind: 'HEADER', fields: [] }, setsSeen: false };
  if (up === 'RFC822.TEXT') return { kind: 'section', label: 'RFC822.TEXT', section: { path: [], kind: 'TEXT', fields: [] }, setsSeen: true };
  const m = /^(BODY|BODY\.PEEK)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$/i.exec(atom);
  if (!m) return `Unknown fetch item ${atom.slice(0, 40)}`;
  const section = parseSection(m[2]);
  if (typeof section === 'string') return section;
  const peek = m[1].toUpperCase() === 'BODY.PEEK';
  const label = `BODY[${formatSection(section)}]`;
  const item: FetchItem = { kind: 'section', label, section, setsSeen: !peek };
  if (m[3] !== undefined) {
    // RFC 3501/9051: both are 32-bit numbers; a larger one was echoed rounded, or as "1e+21", in the answer
    if (Number(m[3]) > MAX_PARTIAL || (m[4] !== undefined && Number(m[4]) > MAX_PARTIAL)) return 'Partial numbers must be below 4294967296';
    if (m[4] !== undefined && Number(m[4]) === 0) return 'Partial length must not be 0';
    item.partial = [Number(m[3]), m[4] === undefined ? undefined : Number(m[4])];
  }
  return item;
}

export function parseSection(s: string): Section | string {
  const m = /^((?:[1-9]\d*)(?:\.[1-9]\d*)*)?(?:\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME))?(?:\s+\(([^()]*)\))?$/i.exec(s.trim());
  if (!m) return `Bad section ${s.slice(0, 40)}`;
  const path = m[1] ? m[1].split('.').map(Number) : [];
  const kind = (m[2]?.toUpperCase() ?? '') as SectionKind;
  if (m[2] && m[1] === undefined && s.trim()[0] === '.') return 'Bad section';
  if (m[1] && m[2] && !s.includes('.' + m[2])) return 'Bad section';
  if (kind === 'MIME' && !path.length) return 'MIME needs a part number';
  const fields = m[3] !== undefined ? m[3].trim().split(/\s+/).filter(Boolean).map((f) => f.replace(/^"(.*)"$/, '$1').toUpperCase()) : [];
  if ((kind === 'HEADER.FIELDS' || kind === 'HEADER.FIELDS.NOT') !== (m[3] !== undefined)) return 'HEADER.FIELDS needs a field list';
  if ((kind === 'HEADER.FIELDS' || kind === 'HEADER.FIELDS.NOT') && !fields.length) return 'Empty header field list';
  return { path, kind, fields };
}

function formatSection(s: Section): string {
  const parts: string[] = [];
  if (s.path.length) parts.push(s.path.join('.'));
  if (s.kind) parts.push(s.kind);
  let out = parts.join('.');
  if (s.fields.length) out += ` (${s.fields.join(' ')})`;
  return out;
}

/** The whole message (BODY[], RFC822 and their partials): a byte range of the stored file. */
export function isWholeMessage(s: Section): boolean {
  return s.kind === '' && s.path.length === 0;
}

/**
 * What rendering needs of the message (given what is cached for it): its MIME tree (so all its bytes), or only
 * the whole message as bytes (which can be read in chunks as it is sent), or nothing.
 */
export function contentNeeds(items: FetchItem[], cached?: CachedMessage): 'tree' | 'bytes' | 'none' {
  let bytes = false;
  for (const i of items) {
    if (i.kind === 'section') {
      if (!isWholeMessage(i.section)) return 'tree';
      bytes = true;
    } else if ((i.kind === 'ENVELOPE' && !cached?.envelope) || (i.kind === 'BODY' && !cached?.body) || (i.kind === 'BODYSTRUCTURE' && !cached?.bodystructure)) {
      return 'tree';
    }
  }
  return bytes ? 'bytes' : 'none';
}

/** The bytes a section names, or null when the part does not exist. */
export function sectionBytes(raw: Buffer, root: MimeNode, s: Section): Buffer | null {
  let node: MimeNode = root;
  if (s.path.length) {
    const found = findPart(root, s.path);
    if (!found) return null;
    node = found;
    if (s.kind === '') return raw.subarray(node.bodyStart, node.end);
    if (s.kind === 'MIME') return raw.subarray(node.start, node.bodyStart);
    if (!node.message) return null;
    node = node.message;
  }
  switch (s.kind) {
    case '':
      return raw.subarray(node.start, node.end);
    case 'TEXT':
      return raw.subarray(node.bodyStart, node.end);
    case 'HEADER':
      return raw.subarray(node.start, node.bodyStart);
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT': {
      const want = new Set(s.fields.map((f) => f.toLowerCase()));
      const not = s.kind === 'HEADER.FIELDS.NOT';
      const parts: Buffer[] = [];
      for (const h of node.headers) if (want.has(h.name) !== not) parts.push(raw.subarray(h.start, h.end));
      parts.push(Buffer.from('\r\n'));
      return Buffer.concat(parts);
    }
    default:
      return null;
  }
}

export interface RenderInput {
  seq: number;
  info: MessageInfo;
  flags: string[];
  raw?: Buffer;
  /** The whole message to read as it is sent, when raw is not loaded (only whole-message items need it). */
  source?: ByteSource;
  /** Lazily parsed from raw. */
  tree?: () => MimeNode;
  cached?: CachedMessage;
  /** Keep a rendering for next time. */
  remember?: (field: 'envelope' | 'body' | 'bodystructure', text: string) => void;
}

/** A cached rendering, or render now and remember it. */
function derived(r: Response, m: RenderInput, field: 'envelope' | 'body' | 'bodystructure', render: (sub: Latin1Text) => void): void {
  const hit = m.cached?.[field];
  if (hit) {
    r.raw(hit);
    return;
  }
  const sub = new Latin1Text();
  render(sub);
  const text = flat(sub.text);
  m.remember?.(field, text);
  r.raw(text);
}

/**
 * The string as one flat sequence: text built by `+=` is a tree of pieces in V8, and kept in the cache each
 * piece would be an object for the collector. Reading a character flattens it in place.
 */
function flat(s: string): string {
  if (s.length) s.charCodeAt(0);
  return s;
}

/** Items answered from the MessageInfo alone (no bytes of the message, nothing cached): the common sync of flags. */
export function onlyMeta(items: FetchItem[]): boolean {
  return items.every((i) => i.kind === 'UID' || i.kind === 'FLAGS' || i.kind === 'INTERNALDATE' || i.kind === 'RFC822.SIZE' || i.kind === 'MODSEQ');
}

/** "* seq FETCH (...)\r\n" as text for items onlyMeta accepts (ASCII: flags are atoms), without a Response. */
export function renderMetaLine(items: FetchItem[], seq: number, info: MessageInfo, flags: string[]): string {
  let s = `* ${seq} FETCH (`;
  for (let i = 0; i < items.length; i++) {
    const kind = items[i].kind;
    if (i) s += ' ';
    if (kind === 'UID' || kind === 'FLAGS' || kind === 'INTERNALDATE' || kind === 'RFC822.SIZE' || kind === 'MODSEQ') s += renderMetaItem(kind, info, flags);
  }
  return s + ')\r\n';
}

/**
 * "* seq FETCH (...)\r\n" as text and cached renderings when every item is metadata or a cached ENVELOPE / BODY /
 * BODYSTRUCTURE (a client's second look at a mailbox), or the whole message given as `raw` (BODY[], RFC822, no
 * partial: a literal of all of it); null when something must be rendered from the message.
 */
export function cachedParts(
  items: FetchItem[], seq: number, info: MessageInfo, flags: string[], cached: CachedMessage | undefined, raw?: Buffer,
): (string | Buffer)[] | null {
  const out: (string | Buffer)[] = [];
  let s = `* ${seq} FETCH (`;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i) s += ' ';
    if (item.kind === 'ENVELOPE' || item.kind === 'BODY' || item.kind === 'BODYSTRUCTURE') {
      const hit = cached?.[item.kind === 'ENVELOPE' ? 'envelope' : item.kind === 'BODY' ? 'body' : 'bodystructure'];
      if (!hit) return null;
      out.push(s + item.kind + ' ', hit);
      s = '';
    } else if (item.kind === 'section') {
      if (!raw || item.partial || !isWholeMessage(item.section)) return null;
      out.push(`${s}${item.label} {${raw.length}}\r\n`, raw);
      s = '';
    } else s += item.kind === 'RFC822.SIZE' && raw ? `RFC822.SIZE ${raw.length}` : renderMetaItem(item.kind, info, flags);
  }
  out.push(s + ')\r\n');
  return out;
}

function renderMetaItem(kind: 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'MODSEQ', info: MessageInfo, flags: string[]): string {
  switch (kind) {
    case 'UID':
      return `UID ${info.uid}`;
    case 'FLAGS':
      return `FLAGS ${flagList(flags)}`;
    case 'INTERNALDATE':
      return `INTERNALDATE "${formatDateTime(info.internalDate)}"`;
    case 'RFC822.SIZE':
      return `RFC822.SIZE ${info.size}`;
    case 'MODSEQ':
      return `MODSEQ (${info.modseq})`;
  }
}

/** No item is a section: the response is text (metadata, ENVELOPE, BODY, BODYSTRUCTURE), renderTextLine's. */
export function textItems(items: FetchItem[]): boolean {
  return items.every((i) => i.kind !== 'section');
}

/**
 * "* seq FETCH (...)\r\n" of items textItems accepts, from the message's bytes and tree (what is not cached is
 * rendered, and put in `keep`): the octets renderFetch gives, without a Response, a closure per item or a
 * sub-rendering object of its own per message.
 */
export function renderTextLine(
  items: FetchItem[], seq: number, info: MessageInfo, flags: string[], raw: Buffer, tree: MimeNode, cached: CachedMessage | undefined, keep: CachedMessage,
): string {
  let s = `* ${seq} FETCH (`;
  for (let i = 0; i < items.length; i++) {
    const kind = items[i].kind;
    if (i) s += ' ';
    if (kind === 'ENVELOPE') {
      let text = cached?.envelope;
      if (!text) {
        const sub = new Latin1Text();
        writeEnvelope(sub, tree);
        text = keep.envelope = flat(sub.text);
      }
      s += 'ENVELOPE ' + text;
    } else if (kind === 'BODY' || kind === 'BODYSTRUCTURE') {
      const extended = kind === 'BODYSTRUCTURE';
      let text = extended ? cached?.bodystructure : cached?.body;
      if (!text) {
        const sub = new Latin1Text();
        writeBodyStructure(sub, raw, tree, extended);
        text = flat(sub.text);
        if (extended) keep.bodystructure = text;
        else keep.body = text;
      }
      s += kind + ' ' + text;
    } else if (kind === 'RFC822.SIZE') {
      // the length of the octets read: the size the store lists the file with now (a view's may be older)
      s += `RFC822.SIZE ${raw.length}`;
    } else if (kind === 'UID' || kind === 'FLAGS' || kind === 'INTERNALDATE' || kind === 'MODSEQ') {
      s += renderMetaItem(kind, info, flags);
    }
  }
  return s + ')\r\n';
}

/** "* seq FETCH (...)" for one message. */
export function renderFetch(items: FetchItem[], m: RenderInput): Response {
  const r = new Response().raw(`* ${m.seq} FETCH (`);
  items.forEach((item, i) => {
    if (i) r.raw(' ');
    switch (item.kind) {
      case 'UID':
        r.raw(`UID ${m.info.uid}`);
        break;
      case 'FLAGS':
        r.raw(`FLAGS ${flagList(m.flags)}`);
        break;
      case 'INTERNALDATE':
        r.raw(`INTERNALDATE "${formatDateTime(m.info.internalDate)}"`);
        break;
      case 'RFC822.SIZE':
        // the octets read for this answer count over a listed size they contradict (docs/imap.md, "Message sizes")
        r.raw(`RFC822.SIZE ${m.raw ? m.raw.length : m.source ? m.source.size : m.info.size}`);
        break;
      case 'MODSEQ':
        r.raw(`MODSEQ (${m.info.modseq})`);
        break;
      case 'ENVELOPE':
        r.raw('ENVELOPE ');
        derived(r, m, 'envelope', (sub) => writeEnvelope(sub, m.tree!()));
        break;
      case 'BODY':
      case 'BODYSTRUCTURE':
        r.raw(`${item.kind} `);
        derived(r, m, item.kind === 'BODY' ? 'body' : 'bodystructure', (sub) => writeBodyStructure(sub, m.raw!, m.tree!(), item.kind === 'BODYSTRUCTURE'));
        break;
      case 'section': {
        if (!m.raw && m.source && isWholeMessage(item.section)) {
          const size = m.source.size;
          const start = item.partial ? Math.min(item.partial[0], size) : 0;
          const count = item.partial?.[1];
          r.raw(item.partial ? `${item.label}<${item.partial[0]}> ` : `${item.label} `);
          r.rangeLiteral(m.source, start, count === undefined ? size : Math.min(size, start + count));
          break;
        }
        // the whole message is all of raw (the root part spans it): no MIME parse for BODY[] / RFC822
        const bytes = isWholeMessage(item.section) ? m.raw! : sectionBytes(m.raw!, m.tree!(), item.section);
        if (!item.partial) {
          r.raw(item.label + ' ');
          if (bytes === null) r.raw('NIL');
          else r.literal(bytes);
          break;
        }
        const [start, count] = item.partial;
        r.raw(`${item.label}<${start}> `);
        if (bytes === null) r.raw('NIL');
        else r.literal(bytes.subarray(Math.min(start, bytes.length), count === undefined ? undefined : Math.min(bytes.length, start + count)));
        break;
      }
    }
  });
  return r.raw(')');
}
