// The built-in tests a rule names with `check = "…"` (rules that literals cannot express: link hosts, brands,
// MIME shape, obfuscation). Each reads the message view it is given and returns a short ASCII detail when it hits,
// or null. All are single passes over bounded input; none looks anything up or fetches anything.
import type { HtmlFindings } from '../html.js';
import { shownHosts } from '../html.js';
import type { ParsedMessage } from '../message.js';
import { addressOf } from '../message.js';
import { extractUrls, hostOf, siteOf } from '../url.js';
import { BodyViews, asciiBody } from './body-views.js';
import { DRUGS, DRUG_SET, LEET } from './drugs.js';
import { isAscii, isInvisible, viewsOf, type Views } from './normalise.js';
import type { BrandBook } from './brands.js';
import { HEADER_CHECKS } from './checks-headers.js';

/** What the rules read of one message (built once per message by the rule engine). */
export interface RuleInput {
  msg: ParsedMessage;
  html: HtmlFindings[];
  /** Every link of the text and HTML parts. */
  urls: string[];
  /** Their hosts, lower-case ASCII, each once. */
  hosts: string[];
  /** The decoded subject and body (text parts, markup stripped, and the HTML parts' visible text), as written. */
  rawSubject: string;
  rawBody: string;
  subject: Views;
  body: Views;
  fromName: Views;
  /** The From address's domain, lower case ('' when there is none). */
  fromDomain: string;
}

export interface CheckContext {
  brands: BrandBook;
  freemail: ReadonlySet<string>;
}

export type Check = (inp: RuleInput, ctx: CheckContext, min: number) => string | null;

const AD_MARKS = ['未承諾広告', '未承認広告', '末承諾広告'];
const SENSITIVE_INPUT = /password|passwd|card|cvv|cvc|ccnum|cc-?num|pin\b|security.?code|secret|暗証|カード|パスワード|セキュリティ|口座/;
/** How much text the per-character checks read (the rest of a long message changes nothing they look for). */
const SCAN_CHARS = 64 * 1024;

function anyHost(inp: RuleInput, test: (h: string) => boolean): string | null {
  for (const h of inp.hosts) if (test(h)) return h;
  return null;
}

function brandClaim(views: Views, inp: RuleInput, ctx: CheckContext): string | null {
  if (!inp.fromDomain) return null;
  for (const b of ctx.brands.named(views)) if (!ctx.brands.owns(b, inp.fromDomain)) return `${ctx.brands.brands[b].name} from ${inp.fromDomain}`;
  return null;
}

/** Bracketed labels of a subject (【楽天カード】, [Amazon]) and what comes before a leading colon ("Amazon.co.jp: …"). */
function subjectLabels(subject: string): string {
  const head = subject.slice(0, 120);
  const out: string[] = [];
  const pairs: [string, string][] = [['【', '】'], ['[', ']'], ['〔', '〕'], ['「', '」'], ['『', '』'], ['<', '>'], ['＜', '＞']];
  for (const [open, close] of pairs) {
    for (let i = head.indexOf(open); i >= 0; i = head.indexOf(open, i + 1)) {
      const j = head.indexOf(close, i + 1);
      if (j < 0) break;
      out.push(head.slice(i + 1, j));
    }
  }
  const colon = head.search(/[:：]/);
  if (colon > 0 && colon < 40) out.push(head.slice(0, colon));
  return out.join(' ');
}

function countIn(s: string, test: (c: number) => boolean, limit = Infinity): number {
  let n = 0;
  const end = Math.min(s.length, SCAN_CHARS);
  for (let i = 0; i < end && n < limit; i++) if (test(s.charCodeAt(i))) n++;
  return n;
}

/** Whether the raw subject and body have a code unit past ASCII, found once per message for every check. */
const pastAsciiOf = new WeakMap<RuleInput, { subject: boolean; body: boolean }>();

function pastAscii(inp: RuleInput, field: 'subject' | 'body'): boolean {
  let p = pastAsciiOf.get(inp);
  if (!p) pastAsciiOf.set(inp, (p = { subject: !isAscii(inp.rawSubject), body: !isAscii(inp.rawBody) }));
  return p[field];
}

/** Five single lower-case letters with one separator repeated between them: what spaced_letters needs at least. */
export const SPACED_RUN = /[a-z]([ .\-_*])[a-z]\1[a-z]\1[a-z]\1[a-z]/;

/** A token of lower-case ASCII letters only, or one with a character past ASCII: neither can be an obfuscated drug. */
function plainOrForeign(s: string, start: number, end: number): boolean {
  let odd = false;
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x80) return true;
    if (!(c >= 0x61 && c <= 0x7a)) odd = true;
  }
  return !odd;
}

function isCyrillicOrGreek(c: number): boolean {
  return (c >= 0x370 && c <= 0x3ff) || (c >= 0x400 && c <= 0x4ff);
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isWordAscii(c: number): boolean {
  return isAsciiLetter(c) || (c >= 0x30 && c <= 0x39);
}

/**
 * The drug a token spells with signs or separators inside (v1agra, vi@gra, c.i.a.l.i.s), or null; a token that
 * spells it plainly is not obfuscated. Tokens without any sign inside are skipped without further work.
 */
function obfuscatedDrug(token: string): string | null {
  const body = token.replace(/[.,!?:;'")]+$/, '');
  let odd = false;
  for (let k = 0; k < body.length; k++) {
    const c = body.charCodeAt(k);
    if (c >= 0x80) return null; // Japanese sentences and other scripts: not this trick
    if (!(c >= 0x61 && c <= 0x7a)) odd = true;
  }
  if (!odd) return null;
  let mapped = '';
  for (const ch of body) {
    const m = LEET[ch] ?? ch;
    if (m >= 'a' && m <= 'z') mapped += m;
  }
  for (const id of DRUG_SET.search(mapped)) {
    const name = DRUGS[id];
    if (mapped.startsWith(name) && !body.startsWith(name)) return name;
  }
  return null;
}

/**
 * A superset of what obfuscatedDrug finds, as one native scan of the text: a drug's letters in order, each as
 * itself or a sign LEET reads as it, with only characters the mapping drops between them (ASCII, not a space,
 * not read as a letter; at most a token's length of them). A token that spells a drug has such a stretch, so a
 * text without one has no such token. Each gap is bounded: linear on any text.
 */
export const DRUG_STRETCH = (() => {
  const esc = (c: string) => (/[\w]/.test(c) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const dropped: string[] = [];
  const as = new Map<string, string[]>();
  for (let c = 0; c < 0x80; c++) {
    const ch = String.fromCharCode(c);
    const m = LEET[ch] ?? ch;
    if (m >= 'a' && m <= 'z') as.set(m, [...(as.get(m) ?? []), ch]);
    else if (c !== 0x20) dropped.push(ch);
  }
  const gap = `[${dropped.map(esc).join('')}]{0,40}`;
  const letter = (l: string) => `[${as.get(l)!.map(esc).join('')}]`;
  return new RegExp(DRUGS.map((d) => [...d].map(letter).join(gap)).join('|'));
})();

/** RFC 2047 encoded-words of a raw header value, as [charset, encoding, text]. */
function encodedWords(raw: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const m of raw.matchAll(/=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g)) {
    out.push([m[1], m[2].toUpperCase(), m[3]]);
    if (out.length >= 50) break;
  }
  return out;
}

/** Hosts of a List-Unsubscribe value (RFC 2369): <mailto:…@host…> and <https://host/…>. Bounded, one pass. */
const UNSUB_TARGET = /<(?:mailto:[^<>@\s]{0,256}@|https?:\/\/)([a-z0-9.-]{1,253})/gi;

export function unsubscribeHosts(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values.slice(0, 3)) for (const m of v.slice(0, 2000).matchAll(UNSUB_TARGET)) out.push(m[1].toLowerCase().replace(/\.+$/, ''));
  return out;
}

export const CHECKS: Record<string, Check> = {
  // a bulk sender unsubscribing its readers on its own domain (not a free-mail one): the shape of a newsletter one
  // asked for; spammers rarely name a domain of theirs twice (learn half: 33 ham, 1 spam)
  list_unsubscribe_aligned: (inp, ctx) => {
    const from = inp.fromDomain.toLowerCase();
    if (!from || ctx.freemail.has(from)) return null;
    const site = siteOf(from);
    const host = unsubscribeHosts(inp.msg.headers.get('list-unsubscribe') ?? []).find((h) => siteOf(h) === site);
    return host ? `List-Unsubscribe on ${site}` : null;
  },
  ad_mark_obfuscated: (inp) => {
    for (const [raw, v] of [[inp.rawSubject, inp.subject], [inp.rawBody, inp.body]] as const) {
      if (asciiBody(v)) continue; // an ASCII body's skeleton holds no Japanese ad marker (nor is it made to say so)
      for (const m of AD_MARKS) if (v.skeleton.includes(m) && !raw.includes(m)) return 'ad marker split or disguised';
    }
    return null;
  },

  uri_ip: (inp) => anyHost(inp, (h) => /^\d{1,3}(?:\.\d{1,3}){3}$/.test(h) || h.startsWith('[')),
  uri_punycode: (inp) => anyHost(inp, (h) => h.startsWith('xn--') || h.includes('.xn--')),
  uri_userinfo: (inp) => {
    for (const u of inp.urls.slice(0, 200)) if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*@/i.test(u)) return hostOf(u);
    return null;
  },
  uri_port: (inp) => {
    for (const u of inp.urls.slice(0, 200)) {
      const port = /^https?:\/\/[^/?#@\s]*:(\d{1,5})(?:[/?#]|$)/i.exec(u)?.[1];
      if (port && port !== '80' && port !== '443') return `port ${port}`;
    }
    return null;
  },
  uri_brand_lookalike: (inp, ctx) => {
    for (const h of inp.hosts) {
      const b = ctx.brands.imitatedBy(h);
      if (b) return `${h} imitates ${b}`;
    }
    return null;
  },
  anchor_brand_mismatch: (inp, ctx) => {
    for (const h of inp.html) {
      for (const a of h.anchors) {
        const target = hostOf(a.href);
        if (!target) continue;
        const shown = extractUrls(a.text, 3).concat(shownHosts(a.text, 5)).map(hostOf).filter((x): x is string => !!x);
        for (const s of shown) {
          const brand = ctx.brands.brands.findIndex((_, i) => ctx.brands.owns(i, s));
          if (brand >= 0 && !ctx.brands.owns(brand, target)) return `shows ${s}, goes to ${target}`;
        }
      }
    }
    return null;
  },

  form: (inp) => (inp.html.some((h) => h.forms > 0) ? 'form' : null),
  form_credentials: (inp) => {
    for (const h of inp.html) {
      if (!h.forms && !h.inputs.length) continue;
      for (const i of h.inputs) if (i.startsWith('password') || SENSITIVE_INPUT.test(i)) return `input ${i.trim().split(' ')[0] || 'field'}`;
    }
    return null;
  },

  from_brand_mismatch: (inp, ctx) => brandClaim(inp.fromName, inp, ctx),
  subject_brand_mismatch: (inp, ctx) => {
    const labels = subjectLabels(inp.subject.folded);
    return labels ? brandClaim(viewsOf(labels), inp, ctx) : null;
  },
  brand_links_elsewhere: (inp, ctx) => {
    if (!inp.fromDomain || !inp.hosts.length) return null;
    const labels = subjectLabels(inp.subject.folded);
    const claimed = new Set([...ctx.brands.named(inp.fromName), ...(labels ? ctx.brands.named(viewsOf(labels)) : [])]);
    for (const b of claimed) {
      if (ctx.brands.owns(b, inp.fromDomain)) continue;
      if (!inp.hosts.some((h) => ctx.brands.owns(b, h))) return `${ctx.brands.brands[b].name}: links to ${inp.hosts[0]}`;
    }
    return null;
  },
  from_name_other_address: (inp) => {
    const from = inp.msg.from;
    const lt = from.lastIndexOf('<');
    const name = lt > 0 ? from.slice(0, lt) : '';
    const at = name.indexOf('@');
    if (at < 0 || !inp.fromDomain) return null;
    const d = /^[a-z0-9.-]+/i.exec(name.slice(at + 1).normalize('NFKC'))?.[0]?.toLowerCase().replace(/\.+$/, '');
    if (!d || !d.includes('.') || siteOf(d) === siteOf(inp.fromDomain)) return null;
    return `name shows ${d}`;
  },
  reply_to_freemail: (inp, ctx) => {
    const rt = inp.msg.headers.get('reply-to')?.[0];
    if (!rt || !inp.fromDomain) return null;
    const a = addressOf(rt);
    const d = a.slice(a.lastIndexOf('@') + 1);
    if (!d || !ctx.freemail.has(d) || siteOf(d) === siteOf(inp.fromDomain)) return null;
    return `reply to ${d}`;
  },

  zero_width: (inp, _ctx, min) => {
    // ZWJ and VS16 join emoji; a leading BOM is harmless: neither counts
    const counted = (c: number) => isInvisible(c) && c !== 0x200d && c !== 0xfe0f;
    // (no invisible character is ASCII: an all-ASCII text has none, without a walk)
    const inSubject = pastAscii(inp, 'subject') ? countIn(inp.rawSubject, counted) : 0;
    const n = inSubject + (pastAscii(inp, 'body') ? countIn(inp.rawBody.charCodeAt(0) === 0xfeff ? inp.rawBody.slice(1) : inp.rawBody, counted, min) : 0);
    return inSubject > 0 || n >= min ? `${n} invisible characters` : null;
  },
  fullwidth_latin: (inp, _ctx, min) => {
    // all ASCII: no Japanese, Chinese or Korean, and no full-width letter either
    if (!pastAscii(inp, 'subject') && !pastAscii(inp, 'body')) return min <= 0 ? '0 full-width letters' : null;
    const cjk = (s: string) => /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(s.slice(0, SCAN_CHARS));
    if (cjk(inp.rawSubject) || cjk(inp.rawBody)) return null;
    const wide = (c: number) => (c >= 0xff21 && c <= 0xff3a) || (c >= 0xff41 && c <= 0xff5a);
    const n = countIn(inp.rawSubject, wide) + countIn(inp.rawBody, wide, min);
    return n >= min ? `${n} full-width letters` : null;
  },
  mixed_script: (inp) => {
    for (const [s, field] of [[inp.rawSubject, 'subject'], [inp.rawBody, 'body']] as const) {
      if (!pastAscii(inp, field)) continue; // no Cyrillic or Greek letter in it
      const end = Math.min(s.length, SCAN_CHARS);
      let latin = false;
      let other = false;
      for (let i = 0; i <= end; i++) {
        const c = i < end ? s.charCodeAt(i) : 0x20;
        if (isAsciiLetter(c)) latin = true;
        else if (isCyrillicOrGreek(c)) other = true;
        else {
          if (latin && other) return 'Latin and Cyrillic/Greek in one word';
          latin = other = false;
        }
      }
    }
    return null;
  },
  spaced_letters: (inp) => {
    // five or more single letters in a row, the same separator between each: "f r e e c a s h", "v.i.a.g.r.a"
    const isSep = (c: number) => c === 0x20 || c === 0x2e || c === 0x2d || c === 0x5f || c === 0x2a;
    const lower = (c: number) => c >= 0x61 && c <= 0x7a;
    for (const v of [inp.subject, inp.body]) {
      if (v instanceof BodyViews && !v.maySpaced) continue; // an ASCII body without three single letters in a row
      const s = v.folded;
      const end = Math.min(s.length, SCAN_CHARS);
      if (!SPACED_RUN.test(s.length > end ? s.slice(0, end) : s)) continue; // no five letters spelt apart in it at all
      let i = 0;
      while (i < end) {
        const c = s.charCodeAt(i);
        const sep = s.charCodeAt(i + 1);
        if (lower(c) && (i === 0 || !isWordAscii(s.charCodeAt(i - 1))) && isSep(sep)) {
          let j = i;
          let n = 1;
          while (j + 2 < end && s.charCodeAt(j + 1) === sep && lower(s.charCodeAt(j + 2)) && !isWordAscii(s.charCodeAt(j + 3))) {
            n++;
            j += 2;
          }
          if (n >= 5) return 'letters spelt apart';
          i = j + 1;
          continue;
        }
        i++;
      }
    }
    return null;
  },
  pharma_obfuscated: (inp) => {
    for (const v of [inp.subject, inp.body]) {
      if (v instanceof BodyViews && !v.mayDrug) continue; // an ASCII body in which no word's letters spell a drug
      const s = v.folded;
      const end = Math.min(s.length, SCAN_CHARS);
      if (!DRUG_STRETCH.test(s.length > end ? s.slice(0, end) : s)) continue; // no drug's letters in order at all
      let start = 0;
      for (let i = 0; i <= end; i++) {
        if (i < end && s.charCodeAt(i) !== 0x20) continue;
        const name = i - start >= 6 && i - start <= 40 && !plainOrForeign(s, start, i) ? obfuscatedDrug(s.slice(start, i)) : null;
        if (name) return `obfuscated ${name}`;
        start = i + 1;
      }
    }
    return null;
  },

  encoded_ascii: (inp) => {
    for (const name of ['subject', 'from']) {
      const raw = inp.msg.headers.get(name)?.[0] ?? '';
      const words = encodedWords(raw);
      if (!words.length) continue;
      // plain printable ASCII bytes (UTF-16 would have NULs, ISO-2022-JP escapes): nothing needed encoding
      const ascii = words.every(([, enc, text]) => {
        const bytes = enc === 'B' ? Buffer.from(text, 'base64') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
        return bytes.every((b) => b >= 0x20 && b < 0x7f);
      });
      if (ascii) return `${name} encodes plain ASCII`;
    }
    return null;
  },
  raw_8bit_header: (inp) => {
    for (const name of ['subject', 'from']) {
      const raw = inp.msg.headers.get(name)?.[0] ?? '';
      for (let i = 0; i < raw.length && i < 2000; i++) if (raw.charCodeAt(i) >= 0x80) return `8-bit ${name}`;
    }
    return null;
  },
  no_text_part: (inp) => (inp.msg.parts.length > 0 && inp.msg.parts.every((p) => p.attachment) ? 'no text part' : null),
  base64_ascii_text: (inp) => (inp.msg.parts.some((p) => !p.attachment && p.cte === 'base64' && p.ascii) ? 'base64 text that is plain ASCII' : null),
  html_only: (inp) => {
    const texts = inp.msg.parts.filter((p) => !p.attachment);
    return texts.length > 0 && texts.every((p) => p.type === 'text/html') ? 'HTML only' : null;
  },
  hidden_text: (inp) => {
    const n = inp.html.reduce((a, h) => a + h.hidden, 0);
    return n > 0 ? `${n} hidden element(s)` : null;
  },
  entity_letters: (inp, _ctx, min) => {
    const n = inp.html.reduce((a, h) => a + h.entityLetters, 0);
    return n >= min ? `${n} letters as character references` : null;
  },
  subject_caps: (inp) => {
    const s = inp.rawSubject.replace(/^(?:\s*(?:re|fwd?|aw)\s*:)+/i, '');
    let upper = 0;
    let letters = 0;
    for (let i = 0; i < s.length && i < 500; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x41 && c <= 0x5a) upper++;
      if (isAsciiLetter(c)) letters++;
    }
    return letters >= 10 && upper / letters >= 0.8 ? 'subject in capitals' : null;
  },
  ...HEADER_CHECKS,
};

export const CHECK_NAMES = Object.keys(CHECKS);
