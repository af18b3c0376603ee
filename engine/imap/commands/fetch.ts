// FETCH and UID FETCH (RFC 3501 §6.4.5, CHANGEDSINCE from RFC 7162): renders the requested items per message
// and sends them with backpressure (protocol/response-writer.ts); a large message needed only whole is read
// from its file in chunks as it is sent, never held whole. BODY[...] without PEEK, RFC822 and RFC822.TEXT set
// \Seen first. Repeated items were merged and their number bounded when parsed (fetch-items.ts).
import { SELECTED, bad, no, ok, type CommandDef } from '../command.js';
import { cachedParts, contentNeeds, onlyMeta, parseFetchItems, renderFetch, renderMetaLine, renderTextLine, textItems, type FetchItem } from '../fetch-items.js';
import { columnsFor, type ColumnCache } from '../header-columns.js';
import type { MailboxView } from '../mailbox-view.js';
import { cacheFor, MessageCache, type CachedMessage } from '../message-cache.js';
import { parseMime, type MimeNode } from '../../mime/mime-tree.js';
import type { Response } from '../protocol/response.js';
import { GATHER, ResponseWriter, StreamBroken } from '../protocol/response-writer.js';
import type { SeqRange } from '../protocol/sequence.js';
import type { Token } from '../protocol/tokens.js';
import type { FolderName, MailboxStore, MessageHandle, MessageInfo, Owner } from '../../store/mailbox-store.js';

/** Messages up to this size are read whole (one read is cheaper); larger ones needed only whole are streamed. */
const READ_WHOLE_MAX = 256 * 1024;

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
    if (changedSince !== undefined) seqs = seqs.filter((n) => view.infoAt(n).modseq > changedSince!);

    if (!view.readOnly && items.some((i) => i.kind === 'section' && i.setsSeen)) {
      const unseen = seqs.filter((n) => !view.infoAt(n).flags.includes('\\Seen')).map((n) => view.uids[n - 1]);
      if (unseen.length) {
        const r = await view.store.updateFlags(view.owner, view.folder, unseen, 'add', ['\\Seen']);
        view.applyUpdated(r.updated);
        if (!items.some((i) => i.kind === 'FLAGS')) items.push({ kind: 'FLAGS' });
      }
    }
    const cache = cacheFor(view.store);
    const writer = new ResponseWriter(s);
    if (onlyMeta(items)) {
      // flags, sizes, dates: text only, gathered into large writes
      for (const seq of seqs) {
        if (seq > view.exists) continue;
        const info = view.infoAt(seq);
        const full = writer.line(renderMetaLine(items, seq, info, view.flagsWithRecent(info)));
        if (full) await full;
        if (s.isClosed()) break;
      }
      await writer.flush();
      return ok(`${c.name} completed`);
    }
    // Without a section nothing sent holds the message's bytes (ENVELOPE, BODY, BODYSTRUCTURE are text and the
    // header block is copied by the cache), so one buffer serves every message read whole: no ArrayBuffer per
    // message for the collector. With a section, literals are views of the bytes: each message gets its own.
    const run: FetchRun = {
      view,
      items,
      cache,
      box: MessageCache.box(view.owner, view.folder, view.uidValidity),
      columns: columnsFor(view.store),
      writer,
      scratch: textItems(items) ? Buffer.allocUnsafeSlow(READ_WHOLE_MAX + 1) : undefined,
    };
    try {
      for (const seq of seqs) {
        if (seq > view.exists) continue;
        // the usual message answered without a promise (cached, or a listed file read synchronously); the rest,
        // and a response with literals, take the asynchronous path
        const sent = answerListed(run, seq);
        if (sent === SLOW) await answerRead(run, seq);
        else if (sent) await sent;
        if (s.isClosed()) break;
      }
      await writer.flush();
    } catch (e) {
      if (!(e instanceof StreamBroken)) {
        await writer.flush(); // the responses gathered so far are whole: send them before the error reply
        throw e;
      }
      // part of a literal is out: nothing can follow it on this connection
      s.log('fetch.broken', { error: e.message }, 'warn');
      s.end();
      return no('Message could not be read', 'SERVERBUG');
    }
    return ok(`${c.name} completed`);
  },
};

/** What every message of one FETCH command shares. */
interface FetchRun {
  view: MailboxView;
  items: FetchItem[];
  cache: MessageCache;
  box: string;
  columns: ColumnCache;
  writer: ResponseWriter;
  /** The one buffer messages are read into when no item is a section (nothing sent keeps their bytes). */
  scratch?: Buffer;
}

/** answerListed could not answer without waiting for the store. */
const SLOW = 1;

/**
 * One message answered synchronously when that is possible: everything it needs is cached, or its file is listed
 * and small enough to be read whole at once. Returns what to wait for before the next message (the socket's room,
 * or the sending of a response with literals), or SLOW when the message must be read through the store's
 * asynchronous read()/open() (answerRead). Kept apart from the command's async handler, so the per-message code V8
 * optimises is this function and what it calls, not the whole handler (an async function, compiled much larger).
 */
function answerListed(run: FetchRun, seq: number): Promise<void> | undefined | typeof SLOW {
  const { view, items } = run;
  const uid = view.uids[seq - 1];
  const info = view.infoAt(seq);
  const cached = run.cache.get(run.box, uid);
  const needs = contentNeeds(items, cached);
  if (needs === 'none') {
    // everything is cached: no Response, no read
    const ready = cachedParts(items, seq, info, view.flagsWithRecent(info), cached);
    return ready ? run.writer.parts(ready) : SLOW;
  }
  if (info.size > READ_WHOLE_MAX) return SLOW;
  let raw: Buffer | undefined;
  try {
    raw = readListed(view.store, view.owner, view.folder, uid, info.size, run.scratch);
  } catch {
    return undefined; // expunged by another session meanwhile: its EXPUNGE comes later
  }
  if (!raw) return SLOW;
  if (needs === 'bytes') {
    // the whole message beside metadata or cached renderings (BODY.PEEK[], RFC822): no Response, no parse
    const whole = raw.length <= GATHER ? cachedParts(items, seq, info, view.flagsWithRecent(info), cached, raw) : null;
    if (whole) return run.writer.parts(whole);
  }
  // text only (ENVELOPE, BODYSTRUCTURE, metadata): one line of text, gathered with the next ones
  if (run.scratch) return run.writer.line(renderText(run, seq, uid, info, cached, raw));
  return send(run, render(run, seq, uid, info, cached, raw, undefined));
}

/** One message read through the store's read() or open() (not listed, large, or changed by another process). */
async function answerRead(run: FetchRun, seq: number): Promise<void> {
  const { view, items } = run;
  const uid = view.uids[seq - 1];
  const info = view.infoAt(seq);
  const cached = run.cache.get(run.box, uid);
  const needs = contentNeeds(items, cached);
  if (needs === 'none') {
    const ready = cachedParts(items, seq, info, view.flagsWithRecent(info), cached);
    if (ready) {
      await run.writer.parts(ready);
      return;
    }
  }
  let raw: Buffer | undefined;
  let source: MessageHandle | undefined;
  try {
    if (needs === 'tree' || (needs === 'bytes' && info.size <= READ_WHOLE_MAX)) raw = await view.store.read(view.owner, view.folder, uid);
    else if (needs === 'bytes') source = await view.store.open(view.owner, view.folder, uid);
  } catch {
    return; // expunged by another session meanwhile: its EXPUNGE comes later
  }
  try {
    // one larger than a gathered write goes through write(), which sends it in chunks
    const whole = needs === 'bytes' && raw && raw.length <= GATHER ? cachedParts(items, seq, info, view.flagsWithRecent(info), cached, raw) : null;
    if (whole) await run.writer.parts(whole);
    else await send(run, render(run, seq, uid, info, cached, raw, source));
  } finally {
    await source?.close();
  }
}

/** The message's response; what it parsed is kept for next time (renderings, header block, SEARCH's columns). */
function render(run: FetchRun, seq: number, uid: number, info: MessageInfo, cached: CachedMessage | undefined, raw: Buffer | undefined, source: MessageHandle | undefined): Response {
  let tree: MimeNode | undefined;
  let keep: CachedMessage | undefined;
  const r = renderFetch(run.items, {
    seq,
    info,
    flags: run.view.flagsWithRecent(info),
    raw,
    source,
    tree: () => (tree ??= parseMime(raw!)),
    cached,
    remember: (field, text) => ((keep ??= {})[field] = text),
  });
  // the header block of a message parsed here, for a SEARCH on header keys later (no second read)
  if (tree && raw && !cached?.head) {
    (keep ??= {}).head = raw.subarray(0, tree.bodyStart); // copied by the cache (a view, never the whole buffer)
    // and the fields SEARCH's named keys read, for its columns (no header scan per message later)
    run.columns.feed(run.box, uid, tree.ids, tree.values);
  }
  if (keep) run.cache.update(run.box, uid, keep);
  return r.raw('\r\n');
}

/** renderTextLine's line for a message read whole (no section asked for), its tree kept as render() keeps it. */
function renderText(run: FetchRun, seq: number, uid: number, info: MessageInfo, cached: CachedMessage | undefined, raw: Buffer): string {
  const tree = parseMime(raw);
  const keep: CachedMessage = {};
  const text = renderTextLine(run.items, seq, info, run.view.flagsWithRecent(info), raw, tree, cached, keep);
  if (!cached?.head) {
    keep.head = raw.subarray(0, tree.bodyStart); // copied by the cache (a view of the shared read buffer)
    run.columns.feed(run.box, uid, tree.ids, tree.values);
  }
  run.cache.update(run.box, uid, keep);
  return text;
}

/** Text only (ENVELOPE, BODYSTRUCTURE, metadata): gathered as text, one Buffer per gathered write; else written. */
function send(run: FetchRun, r: Response): Promise<void> | undefined {
  const text = r.textOnly();
  return text !== null ? run.writer.line(text) : run.writer.write(r);
}

/**
 * A small message read synchronously when the store knows its file without I/O (MailboxStore.readInto, as POP3
 * RETR does): no promise and no user lookup per message for a FETCH of a whole mailbox. Undefined: use read().
 */
function readListed(store: MailboxStore, owner: Owner, folder: FolderName, uid: number, size: number, scratch?: Buffer): Buffer | undefined {
  if (!store.readInto) return undefined;
  const buf = scratch ?? Buffer.allocUnsafeSlow(size + 1);
  const n = store.readInto(owner, folder, uid, buf, 0);
  return n === null ? undefined : buf.subarray(0, n);
}
