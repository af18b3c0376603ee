// Built-in checks on the header fields and message shape that bulk-mailing tools leave (issue 18, the classic
// English shapes): a Date far from when the first relay saw the message or not in RFC 5322 form, Message-ID and
// MIME headers no mail program writes, a free-mail sender none of whose relays is that provider's, fake replies,
// tracking numbers tacked on subjects, link hosts that are numbers or random letters. Written from what the RFCs
// say the fields hold. Each reads bounded prefixes of header values once; none looks anything up.
import { siteOf } from '../url.js';
import type { Check, RuleInput } from './checks.js';

/** How much of one header value a check reads. */
const FIELD_CHARS = 1000;
/** big_money: a dollar amount of ten thousand or more written out, in the body's first MONEY_CHARS characters. */
export const BIG_MONEY = /\$\s?(?:\d{2,3},\d{3}|\d{1,3}(?:,\d{3}){2,3}|\d{5,9})(?![\d,])/;
export const MONEY_CHARS = 65536;

/** How many Received fields a check reads (a real chain is rarely longer; a forged one gains nothing by being). */
const MAX_RECEIVED = 30;

function field(inp: RuleInput, name: string): string | undefined {
  const v = inp.msg.headers.get(name)?.[0];
  return v === undefined ? undefined : v.slice(0, FIELD_CHARS);
}

/**
 * RFC 5322 3.3 date-time (with the obsolete forms it still lets a reader accept: a two-digit year, a named zone):
 * [day ","] day month year hour ":" minute [":" second] zone. Anchored, no nested repetition: linear.
 */
const DATE_5322 =
  /^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*,\s*)?\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*([+-]\d{4}|ut|gmt|[ecmp][sd]t|[a-ik-z])(?:\s*\((?:[^()]|\([^()]{0,60}\)){0,60}\))?\s*$/i;

/** A comment ending a date (RFC 5322 CFWS: "(JST)", one level of nesting: "(JST (Tokyo))"); unambiguous, bounded. */
const TRAILING_COMMENT = /\s*\((?:[^()]|\([^()]{0,60}\)){0,60}\)\s*$/;

/** The time at the end of a Received field (RFC 5321 4.4: "; " date-time), or NaN. */
function receivedTime(v: string): number {
  const semi = v.lastIndexOf(';');
  return semi < 0 ? NaN : Date.parse(v.slice(semi + 1, semi + 80).trim().replace(TRAILING_COMMENT, ''));
}

/** The earliest relay's time: the last Received field (the first relay's) that carries a readable date. */
function firstRelayTime(inp: RuleInput): number {
  const rs = (inp.msg.headers.get('received') ?? []).slice(0, MAX_RECEIVED);
  for (let i = rs.length - 1; i >= 0; i--) {
    const t = receivedTime(rs[i].slice(0, FIELD_CHARS));
    if (!Number.isNaN(t)) return t;
  }
  return NaN;
}

const HOUR = 3600_000;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** Japanese mail (kana in the subject or the first 4 KiB of the body): the shapes below that are English habits skip it. */
function japanese(inp: RuleInput): boolean {
  return KANA.test(inp.rawSubject.slice(0, 300)) || KANA.test(inp.rawBody.slice(0, 4096));
}

/** The Date field against the first relay's clock, in hours (positive: Date later), or null when either is unreadable. */
function dateSkewHours(inp: RuleInput): number | null {
  const d = field(inp, 'date');
  if (!d) return null;
  const sent = Date.parse(d.replace(TRAILING_COMMENT, ''));
  const seen = firstRelayTime(inp);
  if (Number.isNaN(sent) || Number.isNaN(seen)) return null;
  return (sent - seen) / HOUR;
}

/** Free-mail providers whose own relays stamp every message they send (a From at one of them without one is forged). */
const WEBMAIL_SITES = new Set(['hotmail.com', 'msn.com', 'yahoo.com', 'aol.com']);
/** The relay host names each provider's Received fields name, when they differ from the From site. */
const WEBMAIL_RELAYS: Record<string, string[]> = { 'msn.com': ['hotmail.com', 'msn.com'], 'hotmail.com': ['hotmail.com', 'msn.com', 'outlook.com'], 'aol.com': ['aol.com', 'aol.net'] };

/** A host label of 12 or more letters and digits with digits among letters, or long runs without a vowel: random. */
function randomLabel(label: string): boolean {
  if (label.length < 12 || label.length > 63 || label.startsWith('xn--')) return false;
  let digits = 0;
  let letters = 0;
  let run = 0;
  let maxRun = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      run = 0;
    } else if (c >= 0x61 && c <= 0x7a) {
      letters++;
      run = 'aeiouy'.includes(label[i]) ? 0 : run + 1;
      if (run > maxRun) maxRun = run;
    } else return false; // a hyphen: words joined, not random
  }
  return (digits >= 3 && letters >= 3 && digits * 4 >= label.length) || maxRun >= 6;
}

/** Letters and digits only, starting with a letter, digits then letters again then digits ("we9boig3l9689"). */
function interleaved(s: string): boolean {
  let switches = 0;
  let prevDigit = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39;
    if (!digit && !(c >= 0x61 && c <= 0x7a)) return false;
    if (i === 0 && digit) return false;
    if (i > 0 && digit !== prevDigit) switches++;
    prevDigit = digit;
  }
  return switches >= 3;
}

export const HEADER_CHECKS: Record<string, Check> = {
  // SpamAssassin's DATE_IN_FUTURE / DATE_IN_PAST idea: a bulk tool's clock, or a Date set to stay on top of a
  // mailbox sorted by date. Against the first relay's own stamp, not this server's clock: replayed mail keeps its shape.
  date_future: (inp) => {
    const h = dateSkewHours(inp);
    return h !== null && h > 12 ? `Date ${Math.round(h)} h after the first relay` : null;
  },
  date_past: (inp) => {
    const h = dateSkewHours(inp);
    return h !== null && h < -96 ? `Date ${Math.round(-h)} h before the first relay` : null;
  },
  date_malformed: (inp) => {
    const d = field(inp, 'date');
    if (d === undefined) return null;
    const m = DATE_5322.exec(d.trim());
    if (!m) return 'Date not in RFC 5322 form';
    // a zone of +1600 or -1900 is no place on earth (RFC 5322 3.3: hours and minutes of an offset)
    const zone = /([+-])(\d\d)(\d\d)/.exec(m[1] ?? '');
    return zone && (Number(zone[2]) > 14 || Number(zone[3]) > 59) ? `zone ${m[1]}` : null;
  },
  // RFC 5322 3.6.4: msg-id is "<" id-left "@" id-right ">"; a program that writes it otherwise is no mail program
  msgid_malformed: (inp) => {
    const v = field(inp, 'message-id');
    if (v === undefined) return null;
    const m = /^<([^<>@\s]{1,250})@([^<>@\s]{1,250})>$/.exec(v.trim());
    return m ? null : 'Message-ID not <left@right>';
  },
  // RFC 2045 4: a message that uses MIME says MIME-Version; bulk tools add Content-Type without it
  // (not Japanese mail: a hand-made Japanese message sent by a script may lack it, and that is no bulk tool's mark)
  mime_no_version: (inp) => {
    if (inp.msg.headers.has('mime-version') || japanese(inp)) return null;
    const ct = field(inp, 'content-type')?.toLowerCase();
    return ct && (ct.startsWith('multipart/') || ct.startsWith('text/html') || ct.includes('charset')) ? 'Content-Type without MIME-Version' : null;
  },
  // a From at a web-mail provider that no relay of that provider passed on: the From is made up
  freemail_forged: (inp) => {
    const site = siteOf(inp.fromDomain.toLowerCase());
    if (!WEBMAIL_SITES.has(site)) return null;
    const rs = (inp.msg.headers.get('received') ?? []).slice(0, MAX_RECEIVED);
    if (!rs.length) return null;
    const relays = WEBMAIL_RELAYS[site] ?? [site];
    for (const r of rs) {
      const v = r.slice(0, FIELD_CHARS).toLowerCase();
      if (relays.some((s) => v.includes(s))) return null;
    }
    return `From ${site}, no ${site} relay`;
  },
  // a run of spaces, then a code at the end of the subject, or a number right after a "!": a bulk tool's tracking
  // tag ("Hello      38271", "FREE! 21198"); an order number after a colon or "#" is not one
  subject_tracker: (inp) => {
    const s = inp.rawSubject.slice(-120);
    return /\S\s{3,}[\w-]{2,20}\s*$|[!?*^)]\s+\d{4,8}\s*$/.test(s) ? 'tracking code on the subject' : null;
  },
  // "Re:" with neither In-Reply-To nor References (RFC 5322 3.6.4): a reply to nothing, to look awaited. The rule
  // excuses list mail by unless_header (list software and digests drop the reply fields); English subjects only
  // (Japanese mail written by hand and sent by a script often says Re: without the fields)
  fake_reply: (inp) => {
    const s = inp.rawSubject.slice(0, 300);
    if (!/^\s*re\s*:/i.test(s) || /[^\x00-\x7f]/.test(s)) return null;
    return inp.msg.headers.has('in-reply-to') || inp.msg.headers.has('references') ? null : 'Re: without In-Reply-To or References';
  },
  // a From local part that is a word with five or more digits tacked on, or a run of hex: made up per message (not
  // in Japanese mail: phone addresses there carry a birthday, hanako19850412@)
  from_local_random: (inp) => {
    if (japanese(inp)) return null;
    const local = inp.msg.fromAddress.slice(0, inp.msg.fromAddress.lastIndexOf('@'));
    const l = local.slice(0, 64);
    return /^[a-z]{1,20}\d{5,}$|^[0-9a-f]{12,}$/.test(l) || interleaved(l) ? `From ${local.slice(0, 30)}` : null;
  },
  // not in Japanese mail: a notice to the whole office names everyone in Cc as a matter of course
  many_recipients: (inp, _ctx, min) => {
    if (japanese(inp)) return null;
    let n = 0;
    for (const name of ['to', 'cc']) for (const v of (inp.msg.headers.get(name) ?? []).slice(0, 5)) n += v.slice(0, 20000).split('@').length - 1;
    return n >= min ? `${n} recipients` : null;
  },
  // Outlook and Outlook Express name the MIME library in X-MimeOLE; a bulk tool that borrows their X-Mailer does not
  mailer_outlook_forged: (inp) => {
    const m = field(inp, 'x-mailer')?.toLowerCase();
    return m && m.includes('microsoft outlook') && !inp.msg.headers.has('x-mimeole') ? 'Outlook X-Mailer without X-MimeOLE' : null;
  },
  // HTML only, with little to read beside its links and images. English mail only: Japanese shops send short HTML
  // notices to phones as a matter of course (a hand-written one, 今週の期間限定価格, hit at every threshold tried)
  html_little_text: (inp) => {
    const texts = inp.msg.parts.filter((p) => !p.attachment);
    if (!texts.length || texts.some((p) => p.type !== 'text/html') || !inp.urls.length) return null;
    let n = 0;
    for (const h of inp.html) {
      const t = h.text.slice(0, 4096);
      if (CJK.test(t)) return null;
      n += t.replace(/\s+/g, '').length;
    }
    return n < 200 ? `${n} letters of text` : null;
  },
  // a dollar amount of ten thousand or more written out: "$25,000", "$1,000,000", "US$ 10000"
  // (a text without a '$' in what is read cannot hold one: one native search instead of the regex's walk, sixteenth round)
  big_money: (inp) => {
    const dollar = inp.rawBody.indexOf('$');
    if (dollar < 0 || dollar >= MONEY_CHARS) return null;
    return BIG_MONEY.test(inp.rawBody.slice(0, MONEY_CHARS)) ? 'a large sum of money' : null;
  },
  // not in Japanese mail: a group To (関係者各位:;) with the list in Bcc is how offices send a notice
  to_no_address: (inp) => {
    if (japanese(inp)) return null;
    const to = field(inp, 'to');
    return to !== undefined && !to.includes('@') && !/undisclosed|suppressed/i.test(to) ? 'To without an address' : null;
  },
  // a link host with a label a person would not type: 12+ letters and digits mixed, or six consonants in a row
  uri_random_host: (inp) => {
    for (const h of inp.hosts.slice(0, 100)) {
      const labels = h.split('.');
      for (const l of labels.slice(0, -1)) if (randomLabel(l)) return `random-looking ${h}`;
    }
    return null;
  },
  // a link host written as one number, in hex or octal, or with %-escapes: written so that a reader cannot tell it
  uri_obfuscated: (inp) => {
    for (const u of inp.urls.slice(0, 200)) {
      const host = /^https?:\/\/(?:[^/?#@\s]{0,100}@)?([^/?#:\s]{1,260})/i.exec(u.slice(0, 400))?.[1];
      if (!host) continue;
      if (/^(?:\d{8,10}|0x[0-9a-f]{1,8}(?:\.0x[0-9a-f]{1,2}){0,3}|0\d{1,3}(?:\.\d{1,4}){3})$/i.test(host) || host.includes('%')) return `host ${host.slice(0, 40)}`;
    }
    return null;
  },
  // an HTML part with no <html> or <body> element and nothing but markup: bulk tools paste a fragment
  html_fragment: (inp) => {
    for (const h of inp.msg.htmls) {
      const head = h.slice(0, 4096).toLowerCase();
      if (!head.includes('<html') && !head.includes('<body') && /<(?:p|br|font|table|a|img|div)\b/.test(head)) return 'HTML part without <html> or <body>';
    }
    return null;
  },
};
