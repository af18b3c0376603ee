// ENVELOPE and BODY/BODYSTRUCTURE for FETCH, written straight into protocol text (a Latin1Text) from a MimeNode tree.
// Header values go out as the raw header text (clients decode RFC 2047 themselves); 8-bit text becomes a literal.
import { MAX_HEADER_FIELD_OCTETS } from '../../mime/header-lines.js';
import { Latin1Text } from '../protocol/latin1-text.js';
import * as K from '../../mime/known-fields.js';
import { parseDisposition, type MimeNode } from '../../mime/mime-tree.js';

export interface Address {
  name: string | null;
  mailbox: string | null;
  host: string | null;
}

/** A value without quotes, comments, list or group separators is one address (or none): no scan needed. */
const LIST_SYNTAX = /["(,:;]/;

/**
 * One ISO-2022-JP run of a raw header value (a name written without RFC 2047 by older Japanese mailers): from the
 * escape into JIS X 0208 or half-width katakana to the escape back to ASCII, or to the next escape or the end.
 * Linear: the run stops at the first ESC it cannot take.
 */
const JIS_RUN = /\x1b(?:\$[@B]|\(I)[^\x1b]*(?:\x1b\([BJ])?/g;

/**
 * The value with each ISO-2022-JP run made an RFC 2047 encoded-word: the JIS bytes of a name may be any of
 * `"<>(),:;\` and must not be read as address syntax (a name ending in "R;" would close a group). Clients decode
 * the encoded-word; the address itself is never in such a run.
 */
export function encodeJisRuns(value: string): string {
  if (!value.includes('\x1b')) return value;
  return value.replace(JIS_RUN, (run) => {
    const closed = /\x1b\([BJ]$/.test(run) ? run : `${run}\x1b(B`;
    return `=?ISO-2022-JP?B?${Buffer.from(closed, 'latin1').toString('base64')}?=`;
  });
}

/**
 * Address list per RFC 5322, with groups as (NIL NIL name NIL) ... (NIL NIL NIL NIL) markers. One pass over char
 * codes: the text of an address and of a comment is taken as slices of the value between the octets that are not
 * part of it (a comment's parentheses, a quoted-pair's backslash in a comment, separators), never one string per
 * character (a stranger's 20 MB quoted name in a message/rfc822 part took seconds of the event loop that way).
 */
export function parseAddressList(value: string): Address[] {
  // A field longer than SMTP lets a header field be (a MIME part's header is not counted there) is read to that
  // length, and the address the cut falls in is left out (its text is not all there)
  const cut = value.length > MAX_HEADER_FIELD_OCTETS;
  if (cut) value = value.slice(0, MAX_HEADER_FIELD_OCTETS);
  value = encodeJisRuns(value);
  if (!LIST_SYNTAX.test(value)) {
    // the scan below would gather the whole value as one address: the common From/To of one mailbox
    const a = cut ? null : toAddress(value, '');
    return a ? [a] : [];
  }
  const out: Address[] = [];
  let cur = '';
  let comment = '';
  /** Where the run of octets being added to cur (outside a comment) or to comment (inside one) began. */
  let run = 0;
  let inQ = false;
  let depth = 0;
  let angle = false;
  const flush = () => {
    const a = toAddress(cur, comment);
    if (a) out.push(a);
    cur = '';
    comment = '';
  };
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (inQ) {
      if (c === 0x5c && i + 1 < n) i++; // a quoted-pair: both octets stay in the run
      else if (c === 0x22) inQ = false;
    } else if (depth > 0) {
      // a quoted-pair in a comment (RFC 5322 §3.2.2): "\)" does not end it, as the author check reads it too;
      // the backslash is left out, the octet after it kept
      if (c === 0x5c && i + 1 < n) {
        comment += value.slice(run, i);
        run = i + 1;
        i++;
      } else if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) {
        comment += value.slice(run, i);
        run = i + 1;
      }
    } else if (c === 0x22) inQ = true;
    else if (c === 0x28) {
      cur += value.slice(run, i);
      depth = 1;
      run = i + 1;
    } else if (c === 0x3c) angle = true;
    else if (c === 0x3e) angle = false;
    else if (!angle && (c === 0x2c || c === 0x3a || c === 0x3b)) {
      cur += value.slice(run, i);
      run = i + 1;
      if (c === 0x2c) flush();
      else if (c === 0x3b) {
        flush();
        out.push({ name: null, mailbox: null, host: null });
      } else {
        out.push({ name: null, mailbox: unquote(cur.trim()), host: null });
        cur = '';
        comment = '';
      }
      if (out.length > 500) return out.slice(0, 500);
    }
  }
  if (!cut) {
    if (depth > 0) comment += value.slice(run);
    else cur += value.slice(run);
    flush();
  }
  return out.length > 500 ? out.slice(0, 500) : out;
}

function toAddress(text: string, comment: string): Address | null {
  const t = text.trim();
  if (!t) return null;
  let name: string | null = null;
  let addr: string;
  // the route-addr's "<" is the one outside a quoted display name: '"Boss <boss@x>" <evil@y>' is evil@y
  const lt = angleStart(t);
  if (lt >= 0) {
    const gt = t.indexOf('>', lt);
    addr = t.slice(lt + 1, gt < 0 ? undefined : gt).trim();
    const n = unquote(t.slice(0, lt).trim());
    name = n || (comment.trim() || null);
    const route = addr.lastIndexOf(':');
    if (route >= 0) addr = addr.slice(route + 1);
  } else {
    addr = t.replace(/\s+/g, '');
    name = comment.trim() || null;
  }
  const at = addr.lastIndexOf('@');
  if (at < 0) return { name, mailbox: addr || null, host: 'MISSING_DOMAIN' };
  return { name, mailbox: addr.slice(0, at), host: addr.slice(at + 1) };
}

/** Index of the last "<" outside double quotes (a quoted name may hold "<" and ">"), or -1. */
function angleStart(t: string): number {
  let inQ = false;
  let at = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (inQ) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQ = false;
    } else if (c === 0x22) inQ = true;
    else if (c === 0x3c) at = i;
  }
  return at;
}

function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return s.slice(1, -1).replace(/\\(.)/g, '$1');
  return s.replace(/\s+/g, ' ');
}

/** The address list of a field (a KNOWN number), [] when the message has none. */
function addressesOf(node: MimeNode, id: number): Address[] {
  const v = node.field(id);
  return v === undefined ? [] : parseAddressList(v);
}

function writeAddresses(r: Latin1Text, list: Address[]): void {
  if (!list.length) {
    r.raw('NIL');
    return;
  }
  r.raw('(');
  for (const a of list) {
    r.raw('(');
    r.nlatin1(a.name);
    r.raw(' NIL ');
    r.nlatin1(a.mailbox);
    r.raw(' ');
    r.nlatin1(a.host);
    r.raw(')');
  }
  r.raw(')');
}

/** ENVELOPE of a message (the root part, or the part a message/rfc822 encapsulates). */
export function writeEnvelope(r: Latin1Text, node: MimeNode): void {
  r.raw('(');
  r.nlatin1(node.field(K.DATE));
  r.raw(' ');
  r.nlatin1(node.field(K.SUBJECT));
  r.raw(' ');
  // From is parsed and written once: Sender and Reply-To repeat its text when absent
  const from = new Latin1Text();
  writeAddresses(from, addressesOf(node, K.FROM));
  r.raw(from.text);
  r.raw(' ');
  if (node.field(K.SENDER) === undefined) r.raw(from.text);
  else writeAddresses(r, addressesOf(node, K.SENDER));
  r.raw(' ');
  if (node.field(K.REPLY_TO) === undefined) r.raw(from.text);
  else writeAddresses(r, addressesOf(node, K.REPLY_TO));
  r.raw(' ');
  writeAddresses(r, addressesOf(node, K.TO));
  r.raw(' ');
  writeAddresses(r, addressesOf(node, K.CC));
  r.raw(' ');
  writeAddresses(r, addressesOf(node, K.BCC));
  r.raw(' ');
  r.nlatin1(node.field(K.IN_REPLY_TO));
  r.raw(' ');
  r.nlatin1(node.field(K.MESSAGE_ID));
  r.raw(')');
}

function writeParams(r: Latin1Text, params: [string, string][]): void {
  if (!params.length) {
    r.raw('NIL');
    return;
  }
  r.raw('(');
  for (let i = 0; i < params.length; i++) {
    if (i) r.raw(' ');
    r.latin1(params[i][0].toUpperCase());
    r.raw(' ');
    r.latin1(params[i][1]);
  }
  r.raw(')');
}

function countLines(raw: Buffer, start: number, end: number): number {
  let n = 0;
  let i = start;
  for (;;) {
    const nl = raw.indexOf(10, i);
    if (nl < 0 || nl >= end) break;
    n++;
    i = nl + 1;
  }
  if (end > start && raw[end - 1] !== 10) n++;
  return n;
}

/** BODYSTRUCTURE (extended = true) or BODY (extended = false) of a node. */
export function writeBodyStructure(r: Latin1Text, raw: Buffer, node: MimeNode, extended: boolean): void {
  r.raw('(');
  if (node.type === 'multipart') {
    if (node.children.length === 0) {
      // an empty multipart still needs one part: describe an empty text/plain
      r.raw('("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0)');
    }
    for (const c of node.children) writeBodyStructure(r, raw, c, extended);
    r.raw(' ');
    r.str(node.subtype.toUpperCase());
    if (extended) {
      r.raw(' ');
      writeParams(r, node.params);
      writeExtension(r, node);
    }
    r.raw(')');
    return;
  }
  r.str(node.type.toUpperCase());
  r.raw(' ');
  r.str(node.subtype.toUpperCase());
  r.raw(' ');
  writeParams(r, node.params);
  r.raw(' ');
  r.nlatin1(node.field(K.CONTENT_ID));
  r.raw(' ');
  r.nlatin1(node.field(K.CONTENT_DESCRIPTION));
  r.raw(' ');
  const cte = node.field(K.CONTENT_TRANSFER_ENCODING);
  r.latin1(cte ? cte.toUpperCase() : '7BIT');
  r.raw(` ${node.end - node.bodyStart}`);
  if (node.message) {
    r.raw(' ');
    writeEnvelope(r, node.message);
    r.raw(' ');
    writeBodyStructure(r, raw, node.message, extended);
    r.raw(` ${countLines(raw, node.bodyStart, node.end)}`);
  } else if (node.type === 'text') {
    r.raw(` ${countLines(raw, node.bodyStart, node.end)}`);
  }
  if (extended) {
    r.raw(' ');
    r.nlatin1(node.field(K.CONTENT_MD5));
    writeExtension(r, node);
  }
  r.raw(')');
}

function writeExtension(r: Latin1Text, node: MimeNode): void {
  r.raw(' ');
  const d = node.field(K.CONTENT_DISPOSITION);
  const disp = d === undefined ? null : parseDisposition(d);
  if (!disp) r.raw('NIL');
  else {
    r.raw('(');
    r.latin1(disp.value.toUpperCase());
    r.raw(' ');
    writeParams(r, disp.params);
    r.raw(')');
  }
  r.raw(' ');
  const lang = node.field(K.CONTENT_LANGUAGE);
  const langs = lang === undefined ? [] : lang.split(',').map((s) => s.trim()).filter(Boolean);
  if (!langs.length) r.raw('NIL');
  else {
    if (langs.length === 1) r.latin1(langs[0]);
    else {
      r.raw('(');
      langs.forEach((l, i) => {
        if (i) r.raw(' ');
        r.latin1(l);
      });
      r.raw(')');
    }
  }
  r.raw(' ');
  r.nlatin1(node.field(K.CONTENT_LOCATION));
}
