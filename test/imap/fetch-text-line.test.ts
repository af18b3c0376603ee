// engine/imap/fetch-items.ts renderTextLine (FETCH's text-only line, written without a Response) and
// header-columns.ts Feed.addKnown (SEARCH's columns fed from the fields the MIME parse kept): on random messages
// with hostile headers (odd line endings, padded and folded names, raw ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8,
// RFC 2047 words, nested and unclosed multiparts, message/rfc822, bare CR in bodies) and random item lists with
// part of the renderings cached, the octets and the renderings kept are exactly renderFetch's, and the feed holds
// each message's values of the fed fields as parseHeaders reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFetchItems, renderFetch, renderTextLine, type FetchItem } from '../../engine/imap/fetch-items.js';
import { Feed, FED_FIELDS } from '../../engine/imap/header-columns.js';
import type { CachedMessage } from '../../engine/imap/message-cache.js';
import { parseHeaders, parseMime } from '../../engine/mime/mime-tree.js';
import type { MessageInfo } from '../../engine/store/mailbox-store.js';

function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const B = (s: string) => Buffer.from(s, 'latin1');
const TEXT = [
  Buffer.from('1b2442467c4b5c386c1b2842', 'hex'), // ISO-2022-JP 日本語
  Buffer.from('1b2442467c4b5c', 'hex'), // an unclosed run
  Buffer.from('93fa967b8cea', 'hex'), // Shift_JIS
  Buffer.from('c6fccbdcb8ec', 'hex'), // EUC-JP
  Buffer.from('日本語の件名', 'utf8'),
  B('=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?='),
  B('plain "quoted" \\ back'),
  B('caf\xe9 \xff'),
];

function message(r: () => number, depth: number): Buffer {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const eol = () => pick(['\r\n', '\r\n', '\n', '\r\r\n']);
  const name = (n: string) => pick([n, n.toUpperCase(), ` ${n}`, `${n}\t`, `\xa0${n}`, n.slice(0, -1)]);
  const field = (n: string, v: Buffer) => {
    const e = eol();
    return r() < 0.15 ? Buffer.concat([B(`${name(n)}:${e} `), v, B(e)]) : Buffer.concat([B(`${name(n)}: `), v, B(e)]);
  };
  const text = () => Buffer.concat([pick(TEXT), B(pick(['', ' tail', '\xa0', '\r']))]);
  const addr = () => pick([B('a@example.jp'), Buffer.concat([B('"'), text(), B('" <b@example.jp>')]), B('g: a@x, "B, C" <b@y>;'), B('nodomain'), B('<@r:e@x>'), B('')]);
  const h: Buffer[] = [];
  if (r() < 0.8) h.push(field('Date', B('Sat, 5 Dec 2026 00:00:00 +0900')));
  if (r() < 0.8) h.push(field('Subject', text()));
  for (const n of ['From', 'Sender', 'Reply-To', 'To', 'Cc', 'Bcc']) if (r() < 0.4) h.push(field(n, addr()));
  if (r() < 0.3) h.push(field('Message-ID', B('<m@x>')));
  if (r() < 0.2) h.push(field('Subject', B('second subject')));
  if (r() < 0.2) h.push(field('Content-Description', text()));
  if (r() < 0.2) h.push(field('Content-Disposition', B(pick(['inline', 'attachment; filename="a b.pdf"', "attachment; filename*=UTF-8''%E6%97%A5"]))));
  if (r() < 0.1) h.push(field('Content-Language', B('ja, en')));
  const kind = depth > 2 ? 0 : Math.floor(r() * 4);
  if (kind === 1 || kind === 2) {
    const b = `b${depth}${Math.floor(r() * 100)}`;
    h.push(field('Content-Type', B(`multipart/${pick(['mixed', 'alternative', 'digest'])}; boundary="${b}"`)));
    const parts: Buffer[] = [];
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) parts.push(B(`--${b}\r\n`), message(r, depth + 1), B('\r\n'));
    return Buffer.concat([...h, B('\r\npreamble\r\n'), ...parts, B(r() < 0.8 ? `--${b}--\r\n` : '')]);
  }
  if (kind === 3) {
    h.push(field('Content-Type', B('message/rfc822')));
    return Buffer.concat([...h, B('\r\n'), message(r, depth + 1)]);
  }
  if (r() < 0.7) h.push(field('Content-Type', B(pick(['text/plain; charset=iso-2022-jp', 'TEXT/HTML', 'application/octet-stream; name="x.bin"', 'text', 'image/png']))));
  if (r() < 0.4) h.push(field('Content-Transfer-Encoding', B(pick(['base64', 'Quoted-Printable', '8bit']))));
  const body = Buffer.concat([text(), B(pick(['\r\n', '\n', '\r', ''])), B('line\r\n'.repeat(Math.floor(r() * 5))), B(pick(['', 'no end', '\r']))]);
  return Buffer.concat([...h, B(eol()), body]);
}

const KINDS = ['ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ'];

function items(r: () => number): FetchItem[] {
  const chosen = KINDS.filter(() => r() < 0.5).sort(() => r() - 0.5);
  if (!chosen.some((k) => k === 'ENVELOPE' || k === 'BODY' || k === 'BODYSTRUCTURE')) chosen.push(['ENVELOPE', 'BODY', 'BODYSTRUCTURE'][Math.floor(r() * 3)]);
  const parsed = parseFetchItems({ t: 'list', v: chosen.map((v) => ({ t: 'atom' as const, v })) });
  assert.ok(typeof parsed !== 'string');
  return parsed;
}

test('renderTextLine writes the octets renderFetch writes and keeps the renderings it remembers, fresh and partly cached', () => {
  const r = random(71);
  const base: MessageInfo = { uid: 42, size: 0, internalDate: Date.UTC(2026, 11, 5, 1, 2, 3), modseq: 7, flags: ['\\Seen'], key: '1.M1P1.x' };
  const flags = ['\\Seen', '\\Recent', '$Junk'];
  for (let k = 0; k < 1500; k++) {
    const raw = message(r, 0);
    // as FETCH calls it: a listed file read whole at its listed size
    const info = { ...base, size: raw.length };
    const list = items(r);
    // what a FETCH of everything would remember, then part of it cached
    const all: CachedMessage = {};
    renderFetch(parseFetchItems({ t: 'list', v: ['ENVELOPE', 'BODY', 'BODYSTRUCTURE'].map((v) => ({ t: 'atom' as const, v })) }) as FetchItem[], {
      seq: 1, info, flags, raw, tree: () => parseMime(raw), remember: (f, t) => (all[f] = t),
    });
    const cached: CachedMessage | undefined = r() < 0.5 ? undefined : { envelope: r() < 0.5 ? all.envelope : undefined, body: r() < 0.5 ? all.body : undefined, bodystructure: r() < 0.5 ? all.bodystructure : undefined };
    const remembered: CachedMessage = {};
    const want = renderFetch(list, { seq: k + 1, info, flags, raw, tree: () => parseMime(raw), cached, remember: (f, t) => (remembered[f] = t) }).raw('\r\n').textOnly();
    const keep: CachedMessage = {};
    const got = renderTextLine(list, k + 1, info, flags, raw, parseMime(raw), cached, keep);
    assert.equal(got, want, JSON.stringify(raw.toString('latin1')));
    assert.deepEqual(keep, remembered);
  }
});

test("FETCH's feed from the parse's known fields holds each message's values of the fed fields, as parsed", () => {
  const r = random(73);
  const feed = new Feed();
  const want: (string | string[] | null)[][] = FED_FIELDS.map(() => []);
  let uid = 0;
  let chars = 0;
  for (let k = 0; k < 1500; k++) {
    const raw = message(r, 0);
    const tree = parseMime(raw);
    uid += 1 + Math.floor(r() * 3);
    assert.equal(feed.addKnown(uid, tree.ids, tree.values), true);
    const headers = parseHeaders(raw, 0, tree.bodyStart);
    FED_FIELDS.forEach((name, f) => {
      const vs = headers.filter((h) => h.name === name).map((h) => h.value);
      chars += vs.reduce((n, v) => n + v.length, 0);
      want[f].push(vs.length === 0 ? null : vs.length === 1 ? vs[0] : vs);
    });
  }
  assert.equal(feed.chars, chars);
  for (let f = 0; f < FED_FIELDS.length; f++) assert.deepEqual(feed.values[f], want[f], FED_FIELDS[f]);
});
