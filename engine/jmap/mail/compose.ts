// A new message from a JMAP Email object (Email/set create, RFC 8621 §4.6): header fields from the convenience
// properties and header:…:asForm properties (RFC 2047 encoded-words for non-ASCII text and names), the body from
// bodyStructure or textBody/htmlBody/attachments with bodyValues and blobs (RFC 2231 file names, quoted-printable
// or base64 as the text needs), Message-ID and Date added when absent. A bodyValues text part may ask for
// charset "iso-2022-jp" (RFC 1468, a tegami extension for Japanese readers): the text and every RFC 2047 word of
// the message are then ISO-2022-JP, and a character outside JIS X 0208 is refused, never replaced.
// Checks the constraints and throws invalidProperties naming what is wrong; it never writes anything.
import crypto from 'node:crypto';
import { isDate, isObject } from '../args.js';
import { invalidProperties, setError, SetFailure } from '../errors.js';
import { formAllowed, parseHeaderProperty, type HeaderForm } from './header-forms.js';
import { checkJis, encodeJisBody, encodeJisWords } from '../../mime/iso2022jp.js';

export interface ComposeInput {
  email: Record<string, unknown>;
  /** Bytes of a blob referred to by a part (null when there is no such blob). */
  blob: (blobId: string) => Promise<Buffer | null>;
  /** Domain for a generated Message-ID. */
  domain: string;
  now: number;
  /** The largest message (max_message_size): composing stops with tooLarge as soon as the parts pass it. */
  maxBytes?: number;
}

const fail = (props: string[], why: string): never => {
  throw new SetFailure(invalidProperties(props, why));
};

// ---- header values ----

const isAscii = (s: string) => /^[\x00-\x7f]*$/.test(s);

/** RFC 2047 B encoded-words (UTF-8), each at most 75 characters, split on character boundaries. */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  const flush = () => {
    if (chunk) words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
    chunk = '';
  };
  for (const ch of text) {
    // 45 octets of UTF-8 become 60 base64 characters: with "=?UTF-8?B?" and "?=" that is 72
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) flush();
    chunk += ch;
  }
  flush();
  return words.join('\r\n ');
}

/** How non-ASCII header text becomes encoded-words: UTF-8 words, or ISO-2022-JP ones (throwing for `prop`). */
export type Words = (text: string, prop: string) => string;
const utf8Words: Words = (text) => encodeWords(text);

/** The refusal of a character ISO-2022-JP cannot carry, in words a user can act on. */
export function jisRefusal(char: string, codePoint: string): string {
  return `"${char}" (${codePoint}) cannot be sent in ISO-2022-JP (it is not in JIS X 0208); send the message as UTF-8`;
}

// the first word is shorter so that "Subject: " and the word fit RFC 2047's 76-character line
const jisWords: Words = (text, prop) => {
  const c = checkJis(text);
  if (!c.ok) fail([prop], jisRefusal(c.char, c.codePoint));
  return encodeJisWords((c as { text: string }).text, 30);
};

/** Unstructured text for a header field: ASCII as it is (folded), anything else as encoded-words. */
export function headerText(text: string, words: Words = utf8Words, prop = 'subject'): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (isAscii(clean) && !/=\?/.test(clean)) return fold(clean);
  return words(clean, prop);
}

/** Fold an ASCII header value at white space so lines stay under 78 characters where possible. */
function fold(v: string): string {
  const words = v.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > 76) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return lines.join('\r\n ');
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

function displayName(name: string, words: Words, prop: string): string {
  const n = name.replace(/[\r\n]+/g, ' ').trim();
  if (!isAscii(n)) return words(n, prop);
  return ATEXT.test(n) ? n : `"${n.replace(/["\\]/g, '\\$&')}"`;
}

function checkEmail(email: unknown, prop: string): string {
  if (typeof email !== 'string' || !/^[^\s<>()",;:\\[\]]+@[^\s<>()",;:\\[\]@]+$/.test(email)) fail([prop], `${String(email)} is not an email address`);
  return email as string;
}

function address(a: unknown, prop: string, words: Words): string {
  if (!isObject(a)) return fail([prop], 'an EmailAddress is { name, email }');
  const email = checkEmail(a.email, prop);
  if (a.name !== undefined && a.name !== null && typeof a.name !== 'string') fail([prop], 'name must be a String or null');
  if (!a.name) return email;
  const name = displayName(a.name as string, words, prop);
  // a line with an encoded-word stays within 76 characters (RFC 2047 §2): the address goes on a line of its own
  // when it would not fit after the last word ("Reply-To: " is the longest field name written before it)
  const last = name.slice(name.lastIndexOf('\n') + 1);
  const tooLong = /=\?/.test(name) && (name.includes('\n') ? 1 : 10) + last.length + email.length + 3 > 76;
  return `${name}${tooLong ? '\r\n' : ''} <${email}>`;
}

function addresses(v: unknown, prop: string, words: Words): string {
  if (!Array.isArray(v)) return fail([prop], 'must be an array of EmailAddress');
  return v.map((a) => address(a, prop, words)).join(',\r\n ');
}

function grouped(v: unknown, prop: string, words: Words): string {
  if (!Array.isArray(v)) return fail([prop], 'must be an array of EmailAddressGroup');
  return v
    .map((g) => {
      if (!isObject(g) || !Array.isArray(g.addresses)) return fail([prop], 'an EmailAddressGroup is { name, addresses }');
      const list = addresses(g.addresses, prop, words);
      return typeof g.name === 'string' && g.name ? `${displayName(g.name, words, prop)}: ${list};` : list;
    })
    .join(',\r\n ');
}

function messageIds(v: unknown, prop: string): string {
  if (!Array.isArray(v) || !v.every((id) => typeof id === 'string' && /^[^\s<>]+@[^\s<>]+$/.test(id))) return fail([prop], 'must be an array of message ids (without <>)');
  return (v as string[]).map((id) => `<${id}>`).join('\r\n ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A JMAP Date ("2025-07-01T10:52:37+09:00") as RFC 5322 date-time in its own zone. */
export function rfc5322(date: string): string {
  const m = /(Z|([+-])(\d{2}):(\d{2}))$/.exec(date)!;
  const offset = m[1] === 'Z' ? 0 : (m[2] === '-' ? -1 : 1) * (Number(m[3]) * 60 + Number(m[4]));
  const d = new Date(Date.parse(date) + offset * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const z = `${offset < 0 ? '-' : '+'}${p(Math.floor(Math.abs(offset) / 60))}${p(Math.abs(offset) % 60)}`;
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${z}`;
}

function formValue(form: HeaderForm, v: unknown, prop: string, words: Words): string {
  switch (form) {
    case 'Raw':
      if (typeof v !== 'string' || /[\0\r\n]/.test(v.replace(/\r\n[ \t]/g, ''))) return fail([prop], 'a Raw value is a String without line breaks (other than folding)');
      return (v as string).replace(/^ /, '');
    case 'Text':
      if (typeof v !== 'string') return fail([prop], 'must be a String');
      return headerText(v as string, words, prop);
    case 'Addresses':
      return addresses(v, prop, words);
    case 'GroupedAddresses':
      return grouped(v, prop, words);
    case 'MessageIds':
      return messageIds(v, prop);
    case 'Date':
      if (!isDate(v)) return fail([prop], 'must be a Date');
      return rfc5322(v as string);
    case 'URLs':
      if (!Array.isArray(v) || !v.every((u) => typeof u === 'string' && /^[^\s<>]+$/.test(u))) return fail([prop], 'must be an array of URLs');
      return (v as string[]).map((u) => `<${u}>`).join(',\r\n ');
  }
}

const CONVENIENCE: Record<string, [string, HeaderForm]> = {
  sentAt: ['Date', 'Date'],
  from: ['From', 'Addresses'],
  sender: ['Sender', 'Addresses'],
  replyTo: ['Reply-To', 'Addresses'],
  to: ['To', 'Addresses'],
  cc: ['Cc', 'Addresses'],
  bcc: ['Bcc', 'Addresses'],
  subject: ['Subject', 'Text'],
  messageId: ['Message-ID', 'MessageIds'],
  inReplyTo: ['In-Reply-To', 'MessageIds'],
  references: ['References', 'MessageIds'],
};

/** Header fields from an object's convenience and header:… properties; `part` allows Content-* (body parts). */
function headerFields(o: Record<string, unknown>, part: boolean, words: Words): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  const add = (name: string, value: string, prop: string) => {
    const key = name.toLowerCase();
    if (seen.has(key)) fail([prop], `${name} is given twice`);
    seen.add(key);
    out.push([name, value]);
  };
  if (!part) for (const [prop, [name, form]] of Object.entries(CONVENIENCE)) if (o[prop] !== undefined && o[prop] !== null) add(name, formValue(form, o[prop], prop, words), prop);
  for (const [prop, v] of Object.entries(o)) {
    const h = parseHeaderProperty(prop);
    if (h === null) continue;
    if (h === 'invalid' || h.all && !Array.isArray(v)) fail([prop], 'not a header property that can be set');
    const hp = h as Exclude<typeof h, 'invalid' | null>;
    if (!formAllowed(hp.name, hp.form)) fail([prop], `${hp.name} cannot be given as ${hp.form}`);
    if (hp.name.startsWith('content-') && !part) fail([prop], 'Content-* fields belong on body parts');
    if (hp.name === 'content-transfer-encoding') fail([prop], 'Content-Transfer-Encoding is chosen by the server');
    const name = prop.slice(7).split(':')[0];
    const values = hp.all ? (v as unknown[]) : [v];
    if (v === null) continue;
    const key = hp.name;
    if (seen.has(key)) fail([prop], `${name} is given twice`);
    for (const one of values) out.push([name, formValue(hp.form, one, prop, words)]);
    seen.add(key);
  }
  return out;
}

// ---- bodies ----

interface Leaf {
  headers: [string, string][];
  body: Buffer;
}

const CRLF = (s: string) => s.replace(/\r\n|\r|\n/g, '\r\n');

function qp(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const lines: string[] = [];
  let line = '';
  const push = (t: string) => {
    if (line.length + t.length > 75) {
      lines.push(line + '=');
      line = '';
    }
    line += t;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x0d && bytes[i + 1] === 0x0a) {
      lines.push(line.replace(/[ \t]$/, (c) => `=${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
      line = '';
      i++;
    } else if ((b >= 33 && b <= 126 && b !== 61) || b === 32 || b === 9) push(String.fromCharCode(b));
    else push(`=${b.toString(16).toUpperCase().padStart(2, '0')}`);
  }
  lines.push(line);
  return lines.join('\r\n');
}

const base64Lines = (b: Buffer): string => (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

/** Text in UTF-8: 7bit when it is plain ASCII with short lines, quoted-printable for mostly-ASCII, base64 otherwise. */
function textLeaf(text: string, type: string): Leaf {
  const t = CRLF(text);
  const bytes = Buffer.from(t, 'utf8');
  const eight = bytes.filter((b) => b >= 0x80).length;
  let cte: string;
  let body: string;
  if (eight === 0 && t.split('\r\n').every((l) => l.length <= 998)) {
    cte = '7bit';
    body = t;
  } else if (eight / Math.max(1, bytes.length) < 0.2) {
    cte = 'quoted-printable';
    body = qp(t);
  } else {
    cte = 'base64';
    body = base64Lines(bytes);
  }
  return { headers: [['Content-Type', `${type}; charset=utf-8`], ['Content-Transfer-Encoding', cte]], body: Buffer.from(body, 'latin1') };
}

/** ISO-2022-JP text: 7bit, every line back in ASCII and at most 998 octets (RFC 1468). */
function jisLeaf(text: string, type: string): Leaf {
  const c = checkJis(text);
  if (!c.ok) fail(['bodyValues'], jisRefusal(c.char, c.codePoint));
  return { headers: [['Content-Type', `${type}; charset=ISO-2022-JP`], ['Content-Transfer-Encoding', '7bit']], body: encodeJisBody((c as { text: string }).text) };
}

/** RFC 2231 (filename*=UTF-8''…) beside an RFC 2047 form for readers that only know that. The RFC 2231 form
 * stays UTF-8 in an ISO-2022-JP message (it is the one modern readers use, and it can name any file); the
 * RFC 2047 name= follows the message's charset when the name fits it. */
function nameParams(param: 'name' | 'filename', name: string, jis: boolean): string {
  if (isAscii(name) && !/["\\\r\n]/.test(name)) return `; ${param}="${name}"`;
  const ext = `${param}*=UTF-8''${[...Buffer.from(name, 'utf8')].map((b) => (/[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}`;
  const plain = name.replace(/[\r\n"]/g, ' ');
  const j = jis ? checkJis(plain) : null;
  const words = j?.ok ? encodeJisWords(j.text) : encodeWords(plain);
  return param === 'filename' ? `;\r\n ${ext}` : `;\r\n ${param}="${words.replace(/\r\n /g, ' ')}"`;
}

const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

const CHARSETS = ['utf-8', 'iso-2022-jp'];

/** Does any bodyValues part of the Email ask for ISO-2022-JP? Then the header fields' words are ISO-2022-JP too. */
function wantsJis(e: Record<string, unknown>): boolean {
  const parts: unknown[] = [];
  for (const k of ['textBody', 'htmlBody']) if (Array.isArray(e[k])) parts.push(...(e[k] as unknown[]));
  const walk = (p: unknown, depth: number) => {
    if (!isObject(p) || depth > 20) return;
    parts.push(p);
    if (Array.isArray(p.subParts)) for (const s of p.subParts) walk(s, depth + 1);
  };
  walk(e.bodyStructure, 0);
  return parts.some((p) => isObject(p) && p.partId !== undefined && typeof p.charset === 'string' && p.charset.toLowerCase() === 'iso-2022-jp');
}

export class Composer {
  private attachmentBytes = 0;
  /** Octets of the parts built so far: one blob or bodyValue named by thousands of parts is counted each time. */
  private partBytes = 0;
  private jis = false;

  constructor(private readonly input: ComposeInput) {}

  private get words(): Words {
    return this.jis ? jisWords : utf8Words;
  }

  get attachmentSize(): number {
    return this.attachmentBytes;
  }

  private async leaf(p: Record<string, unknown>, values: Record<string, unknown>, role: 'text' | 'html' | 'attachment' | 'any'): Promise<Leaf> {
    for (const k of Object.keys(p)) {
      if (!['partId', 'blobId', 'type', 'charset', 'name', 'disposition', 'cid', 'language', 'location', 'size', 'subParts'].includes(k) && !k.startsWith('header:')) fail([`bodyPart/${k}`], `unknown body part property ${k}`);
    }
    if (p.headers !== undefined) fail(['headers'], 'headers may not be given on a body part');
    let type = typeof p.type === 'string' ? p.type.toLowerCase() : null;
    if (type !== null && !MIME_TYPE.test(type)) fail(['type'], `${type} is not a media type`);
    let leaf: Leaf;
    if (p.partId !== undefined && p.partId !== null) {
      if (p.blobId !== undefined && p.blobId !== null) fail(['partId', 'blobId'], 'a part has a partId or a blobId, not both');
      if (p.charset !== undefined && !(typeof p.charset === 'string' && CHARSETS.includes(p.charset.toLowerCase()))) fail(['charset'], 'a bodyValues part may ask only for utf-8 or iso-2022-jp');
      if (p.size !== undefined) fail(['size'], 'size may not be given with a partId');
      const v = values[p.partId as string];
      if (!isObject(v) || typeof v.value !== 'string') return fail(['bodyValues'], `no bodyValues entry for part ${String(p.partId)}`);
      if (v.isEncodingProblem === true || v.isTruncated === true) fail(['bodyValues'], 'isEncodingProblem and isTruncated must be false');
      type ??= role === 'html' ? 'text/html' : 'text/plain';
      if (!type.startsWith('text/')) fail(['type'], 'a bodyValues part is text');
      leaf = typeof p.charset === 'string' && p.charset.toLowerCase() === 'iso-2022-jp' ? jisLeaf(v.value, type) : textLeaf(v.value, type);
    } else if (typeof p.blobId === 'string') {
      const bytes = await this.input.blob(p.blobId);
      if (!bytes) throw new SetFailure(setError('blobNotFound', `no blob ${p.blobId}`, { notFound: [p.blobId] }));
      type ??= 'application/octet-stream';
      this.attachmentBytes += bytes.length;
      const charset = typeof p.charset === 'string' && /^[A-Za-z0-9_.:-]{1,40}$/.test(p.charset) ? `; charset=${p.charset}` : '';
      if (type === 'message/rfc822' || type === 'message/global') {
        leaf = { headers: [['Content-Type', type], ['Content-Transfer-Encoding', bytes.some((b) => b >= 0x80) ? '8bit' : '7bit']], body: Buffer.from(CRLF(bytes.toString('latin1')), 'latin1') };
      } else leaf = { headers: [['Content-Type', `${type}${charset}`], ['Content-Transfer-Encoding', 'base64']], body: Buffer.from(base64Lines(bytes), 'latin1') };
    } else return fail(['bodyStructure'], 'a body part needs a partId or a blobId');
    this.partBytes += leaf.body.length;
    const max = this.input.maxBytes;
    if (max !== undefined && this.partBytes > max) throw new SetFailure(setError('tooLarge', `messages are at most ${max} octets`, { maxSize: max }));
    const name = typeof p.name === 'string' && p.name ? p.name : null;
    if (name) leaf.headers[0][1] += nameParams('name', name, this.jis);
    const disposition = typeof p.disposition === 'string' ? p.disposition.toLowerCase() : role === 'attachment' ? (p.cid ? 'inline' : 'attachment') : null;
    if (disposition !== null) {
      if (!/^[a-z0-9-]{1,40}$/.test(disposition)) fail(['disposition'], 'not a disposition');
      leaf.headers.push(['Content-Disposition', `${disposition}${name ? nameParams('filename', name, this.jis) : ''}`]);
    }
    if (typeof p.cid === 'string') {
      if (!/^[^\s<>]+$/.test(p.cid)) fail(['cid'], 'not a content id');
      leaf.headers.push(['Content-ID', `<${p.cid}>`]);
    }
    if (Array.isArray(p.language) && p.language.every((l) => typeof l === 'string' && /^[A-Za-z0-9-]{1,35}$/.test(l))) leaf.headers.push(['Content-Language', p.language.join(', ')]);
    if (typeof p.location === 'string' && /^[^\s]+$/.test(p.location)) leaf.headers.push(['Content-Location', p.location]);
    for (const [n, v] of headerFields(p, true, this.words)) {
      const i = leaf.headers.findIndex(([k]) => k.toLowerCase() === n.toLowerCase());
      if (i >= 0) leaf.headers[i] = [n, v];
      else leaf.headers.push([n, v]);
    }
    return leaf;
  }

  private multipart(subtype: string, parts: Leaf[]): Leaf {
    const boundary = `=_tegami_${crypto.randomBytes(12).toString('hex')}`;
    const chunks: Buffer[] = [];
    for (const p of parts) chunks.push(Buffer.from(`--${boundary}\r\n`), serialise(p), Buffer.from('\r\n'));
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return { headers: [['Content-Type', `multipart/${subtype};\r\n boundary="${boundary}"`]], body: Buffer.concat(chunks) };
  }

  private async structure(p: unknown, values: Record<string, unknown>, depth = 0): Promise<Leaf> {
    if (!isObject(p)) return fail(['bodyStructure'], 'must be an EmailBodyPart');
    if (depth > 20) fail(['bodyStructure'], 'nested too deeply');
    const type = typeof p.type === 'string' ? p.type.toLowerCase() : '';
    if (type.startsWith('multipart/')) {
      if (!Array.isArray(p.subParts) || !p.subParts.length) fail(['bodyStructure'], 'a multipart needs subParts');
      const subs: Leaf[] = [];
      for (const s of p.subParts as unknown[]) subs.push(await this.structure(s, values, depth + 1));
      const m = this.multipart(type.slice(10), subs);
      for (const h of headerFields(p, true, this.words)) if (!/^content-type$/i.test(h[0])) m.headers.push(h);
      return m;
    }
    return this.leaf(p, values, 'any');
  }

  /** The whole message. */
  async compose(): Promise<Buffer> {
    const e = this.input.email;
    if (e.headers !== undefined) fail(['headers'], 'give header fields as individual properties');
    const values = isObject(e.bodyValues) ? e.bodyValues : {};
    this.jis = wantsJis(e);
    if (e.bodyValues !== undefined && !isObject(e.bodyValues)) fail(['bodyValues'], 'must be an object');
    let body: Leaf;
    if (e.bodyStructure !== undefined) {
      if (e.textBody !== undefined || e.htmlBody !== undefined || e.attachments !== undefined) fail(['bodyStructure'], 'bodyStructure excludes textBody, htmlBody and attachments');
      body = await this.structure(e.bodyStructure, values);
    } else {
      const one = (v: unknown, prop: string, type: string): Record<string, unknown> | null => {
        if (v === undefined || v === null) return null;
        if (!Array.isArray(v) || v.length !== 1 || !isObject(v[0])) return fail([prop], `${prop} holds exactly one body part`);
        const part = v[0] as Record<string, unknown>;
        if (part.type !== undefined && part.type !== type) fail([prop], `${prop} is ${type}`);
        return part;
      };
      const text = one(e.textBody, 'textBody', 'text/plain');
      const html = one(e.htmlBody, 'htmlBody', 'text/html');
      const atts = e.attachments === undefined || e.attachments === null ? [] : e.attachments;
      if (!Array.isArray(atts)) return fail(['attachments'], 'must be an array');
      const main = text && html ? this.multipart('alternative', [await this.leaf(text, values, 'text'), await this.leaf(html, values, 'html')])
        : html ? await this.leaf(html, values, 'html')
        : await this.leaf(text ?? { partId: '__empty' }, { ...values, __empty: { value: '' } }, 'text');
      const inline: Leaf[] = [];
      const mixed: Leaf[] = [];
      for (const a of atts) {
        if (!isObject(a)) fail(['attachments'], 'must be body parts');
        const leaf = await this.leaf(a as Record<string, unknown>, values, 'attachment');
        if (html && typeof (a as Record<string, unknown>).cid === 'string' && (a as Record<string, unknown>).disposition !== 'attachment') inline.push(leaf);
        else mixed.push(leaf);
      }
      const related = inline.length ? this.multipart('related', [main, ...inline]) : main;
      body = mixed.length ? this.multipart('mixed', [related, ...mixed]) : related;
    }
    const headers = headerFields(e, false, this.words);
    const has = (n: string) => headers.some(([k]) => k.toLowerCase() === n);
    if (!has('date')) headers.unshift(['Date', rfc5322(new Date(this.input.now).toISOString().replace(/\.\d{3}Z$/, 'Z'))]);
    if (!has('message-id')) headers.push(['Message-ID', `<${crypto.randomBytes(16).toString('hex')}@${this.input.domain}>`]);
    headers.push(['MIME-Version', '1.0']);
    return serialise({ headers: [...headers, ...body.headers], body: body.body });
  }
}

function serialise(l: Leaf): Buffer {
  const head = l.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from('\r\n'), l.body]);
}
