// Turns a parsed message into the token set the Bayesian filter counts: words (and word pairs) of the subject and text
// (Japanese and Chinese runs split with Intl.Segmenter), sender and URL domains, header names and a few
// header values. Our own X-IMAIL-SPAM/Authentication-Results headers and other filters' verdicts never become tokens.
import type { ParsedMessage } from './message.js';
import { hostOf } from './url.js';

const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}ー々〆ヵヶ]+/gu;
const WORD = /[\p{L}\p{N}$€¥£][\p{L}\p{N}$€¥£'._@-]*[\p{L}\p{N}]|[\p{L}\p{N}$]/gu;
const HAS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const KANA_ONLY = /^[\p{Script=Hiragana}ー]+$/u;

const segmenter = new Intl.Segmenter('ja', { granularity: 'word' });

/** Header fields whose names never become tokens: ours, other filters' verdicts, per-hop trace values. */
const SKIP_HEADER = /^(x-imail-spam|authentication-results|arc-|x-spam|x-virus|return-path|delivered-to|received-spf|x-tegami)/;
const VALUE_HEADERS = new Set(['x-mailer', 'user-agent', 'content-type', 'content-transfer-encoding', 'mime-version', 'x-priority', 'precedence', 'list-id', 'organization']);

const MAX_TOKENS = 2000;

export function words(text: string, prefix: string, out: Set<string>): void {
  if (out.size >= MAX_TOKENS) return;
  const t = text.normalize('NFKC').toLowerCase();
  // Latin and other space-separated scripts
  const latin = HAS_CJK.test(t) ? t.replace(CJK_RUN, ' ') : t;
  // body text also yields word pairs ("bi:click here"): measured on the SpamAssassin corpus, they cut
  // ham false positives by half at the same recall
  const pairs = prefix === '';
  let prev = '';
  for (const m of latin.matchAll(WORD)) {
    const w = m[0];
    if (pairs) {
      if (prev) out.add(`bi:${prev} ${w}`);
      prev = w;
    }
    if (w.length < 3) continue;
    if (w.length > 20) {
      out.add(`${prefix}skip:${w[0]}${Math.floor(w.length / 10) * 10}`);
      continue;
    }
    out.add(prefix + w);
    if (out.size >= MAX_TOKENS) return;
  }
  if (latin === t) return;
  for (const run of t.matchAll(CJK_RUN)) {
    for (const seg of segmenter.segment(run[0])) {
      if (!seg.isWordLike) continue;
      const w = seg.segment;
      if (w.length < 2 && KANA_ONLY.test(w)) continue; // particles
      out.add(prefix + w);
      if (out.size >= MAX_TOKENS) return;
    }
  }
}

function domains(host: string, prefix: string, out: Set<string>): void {
  const labels = host.split('.');
  for (let i = Math.max(0, labels.length - 4); i < labels.length - 1; i++) out.add(prefix + labels.slice(i).join('.'));
}

export function tokenise(msg: ParsedMessage, extraText: string[], urls: string[]): string[] {
  const out = new Set<string>();
  words(msg.subject, 'subject:', out);
  if (msg.fromAddress) {
    out.add('from:' + msg.fromAddress);
    domains(msg.fromAddress.slice(msg.fromAddress.lastIndexOf('@') + 1), 'fromdom:', out);
  }
  words(msg.from.replace(/<[^>]*>/g, ' '), 'fromname:', out);
  for (const [name, values] of msg.headers) {
    if (SKIP_HEADER.test(name)) continue;
    out.add('hdr:' + name);
    if (VALUE_HEADERS.has(name)) for (const v of values.slice(0, 2)) words(v, `hdr:${name}:`, out);
  }
  const received = msg.headers.get('received') ?? [];
  out.add(`received:${Math.min(received.length, 10)}`);
  // the first hops say where mail really came from: the sending host names and address prefixes (not our own "by")
  for (const r of received.slice(0, 3)) {
    for (const m of r.matchAll(/\bfrom\s+([a-z0-9.-]+\.[a-z]{2,})/gi)) domains(m[1].toLowerCase(), 'rcvd:', out);
    for (const m of r.matchAll(/\[(\d+)\.(\d+)\.(\d+)\.\d+\]/g)) {
      out.add(`rcvdip:${m[1]}.${m[2]}.${m[3]}`);
      out.add(`rcvdip:${m[1]}.${m[2]}`);
    }
  }
  const mid = /@([^>\s]+)>?/.exec(msg.headers.get('message-id')?.[0] ?? '')?.[1];
  out.add(mid ? `msgid:${mid.toLowerCase().split('.').slice(-2).join('.')}` : 'msgid:none');
  const replyTo = msg.headers.get('reply-to')?.[0];
  if (replyTo) {
    const d = /@([a-z0-9.-]+)/i.exec(replyTo)?.[1];
    out.add(d ? `replyto:${d.toLowerCase()}` : 'replyto:odd');
  }
  for (const h of msg.htmls) {
    let k = 0;
    for (const m of h.matchAll(/<([a-z][a-z0-9]*)/gi)) {
      out.add('html:' + m[1].toLowerCase());
      if (++k > 500) break;
    }
  }
  for (const ct of msg.types.slice(0, 10)) out.add('ct:' + ct);
  if (msg.attachments) out.add(`attachments:${Math.min(msg.attachments, 5)}`);
  if (msg.mislabelled) out.add('charset:mislabelled');
  for (const u of urls.slice(0, 100)) {
    const h = hostOf(u);
    if (h) domains(h, 'url:', out);
  }
  for (const t of msg.texts) words(t, '', out);
  for (const t of extraText) words(t, '', out);
  return [...out];
}
