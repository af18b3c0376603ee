// HTML checks (F6) on a decoded text/html part: nested tables, hyperlink count, image-only, script,
// invalid tags, deceptive links (text shows one domain, href another), comments hidden inside words.
// Also yields the visible text and link targets for the other filters. A scanner, not a renderer: it never runs anything.
// Linear time on any input (html-lexer.ts), and it reads at most HTML_SCAN_CHARS of a part.
import { blankSpans, blankTags, isDeclaration, lexHtml } from './html-lexer.js';
import { HTML_SCAN_CHARS } from './limits.js';
import type { Tag } from './tags.js';
import { extractUrls, hostOf, sameSite } from './url.js';

export interface HtmlFindings {
  tags: Tag[];
  details: string[];
  text: string;
  hrefs: string[];
  /** Links with their visible text (at most MAX_ANCHORS), for the link rules. */
  anchors: { href: string; text: string }[];
  /** <form> elements. */
  forms: number;
  /** Each <input>, <select> or <textarea>: its type, name, id and placeholder, lower case (at most MAX_INPUTS). */
  inputs: string[];
  /** Elements styled invisible (display:none, visibility:hidden, font size 0 or 1) that hold text. */
  hidden: number;
  /** Numeric character references that spell plain ASCII letters or digits (&#86;&#105;…), a filter-evasion habit. */
  entityLetters: number;
}

const MAX_ANCHORS = 100;
const MAX_INPUTS = 50;

const KNOWN = new Set(
  ('a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink blockquote body br button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd keygen label legend li link main map mark marquee menu meta meter nav nobr noframes noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp script section select small source span strike strong style sub summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr xml path g rect circle line polygon polyline text defs use image')
    .split(' '),
);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n < 0x110000 ? String.fromCodePoint(n) : '';
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attrs);
  return m ? decodeEntities(m[2] ?? m[3] ?? m[4] ?? '').trim() : undefined;
}

export function checkHtml(html: string, maxLinks: number): HtmlFindings {
  const tags = new Set<Tag>();
  const details: string[] = [];
  const hrefs: string[] = [];
  const src = html.length > HTML_SCAN_CHARS ? html.slice(0, HTML_SCAN_CHARS) : html;

  if (/[\p{L}\p{N}]<!--[\s\S]{0,200}?-->[\p{L}\p{N}]/u.test(src)) {
    tags.add('HTML_COMMENT');
    details.push('comment inside a word');
  }
  // comments, declarations (<!DOCTYPE …>, <![CDATA[…]]>) and processing instructions are never visible text
  const noComments = blankTags(blankSpans(src, '<!--', '-->'), isDeclaration);
  let tableDepth = 0;
  let maxTableDepth = 0;
  let links = 0;
  let images = 0;
  let invalid = '';
  let anchor: { href: string; text: string } | null = null;
  const anchors: { href: string; text: string }[] = [];
  let forms = 0;
  const inputs: string[] = [];
  let hidden = 0;
  let hiddenOpen = false; // an invisible element opened and no text seen in it yet
  let visible = '';
  let skipText = 0; // inside <script>/<style>
  for (const tok of lexHtml(noComments)) {
    if (tok.kind === 'text') {
      if (skipText) continue;
      const t = decodeEntities(tok.text);
      visible += t;
      if (anchor) anchor.text += t;
      if (hiddenOpen && /\S/.test(t)) {
        hidden++;
        hiddenOpen = false;
      }
      continue;
    }
    const { closing, attrs } = tok;
    const name = tok.name.toLowerCase();
    if (!KNOWN.has(name) && !name.includes(':') && !invalid) invalid = name;
    switch (name) {
      case 'table':
        tableDepth = closing ? Math.max(0, tableDepth - 1) : tableDepth + 1;
        maxTableDepth = Math.max(maxTableDepth, tableDepth);
        break;
      case 'script':
      case 'style':
        if (name === 'script' && !closing) tags.add('HTML_SCRIPT');
        skipText = closing ? Math.max(0, skipText - 1) : skipText + 1;
        break;
      case 'img':
        if (!closing) images++;
        break;
      case 'form':
        if (!closing) forms++;
        break;
      case 'input':
      case 'select':
      case 'textarea':
        if (!closing && inputs.length < MAX_INPUTS) inputs.push(['type', 'name', 'id', 'placeholder'].map((k) => attr(attrs, k) ?? '').join(' ').toLowerCase());
        break;
      case 'a':
        if (closing) {
          if (anchor) {
            checkDeceptive(anchor, tags, details);
            if (anchors.length < MAX_ANCHORS) anchors.push({ href: anchor.href, text: anchor.text.slice(0, 300) });
          }
          anchor = null;
        } else {
          const href = attr(attrs, 'href');
          if (href) {
            links++;
            hrefs.push(href);
            if (/^\s*javascript:/i.test(href)) tags.add('HTML_SCRIPT');
            anchor = { href, text: '' };
          }
        }
        break;
      case 'br':
      case 'p':
      case 'div':
      case 'tr':
      case 'li':
        visible += '\n';
        break;
    }
    if (!closing && /\son[a-z]+\s*=/i.test(attrs)) tags.add('HTML_SCRIPT');
    if (!closing && attrs.length > 5 && invisibleStyle(name, attrs)) hiddenOpen = true;
  }
  if (maxTableDepth >= 2) {
    tags.add('HTML_NESTED_TABLE');
    details.push(`tables nested ${maxTableDepth} deep`);
  }
  if (links > maxLinks) {
    tags.add('HTML_LINKS');
    details.push(`${links} links`);
  }
  const words = visible.replace(/\s+/g, '');
  if (images > 0 && words.length < 30) {
    tags.add('HTML_IMAGE_ONLY');
    details.push(`${images} image(s), ${words.length} characters of text`);
  }
  if (invalid) {
    tags.add('HTML_INVALID_TAG');
    details.push(`invalid tag <${invalid}>`);
  }
  if (tags.has('HTML_SCRIPT')) details.push('script');
  return { tags: [...tags], details, text: visible, hrefs, anchors, forms, inputs, hidden, entityLetters: entityLetters(src) };
}

/** Whether a tag's attributes make what it holds invisible: display:none, visibility:hidden, a font size of 0 or 1. */
function invisibleStyle(name: string, attrs: string): boolean {
  const style = attr(attrs, 'style')?.toLowerCase().replace(/\s+/g, '');
  if (style && (style.includes('display:none') || style.includes('visibility:hidden') || /font-size:[01](?:px|pt)?(?:;|$)/.test(style))) return true;
  if (name === 'font') {
    const size = attr(attrs, 'size');
    if (size === '0' || size === '-3' || size === '-4') return true;
  }
  return false;
}

/** Numeric character references for ASCII letters and digits (&#86; &#x56;), counted in one pass. */
export function entityLetters(s: string): number {
  let n = 0;
  for (let i = s.indexOf('&#'); i >= 0 && n < 10_000; i = s.indexOf('&#', i + 2)) {
    let j = i + 2;
    const hex = s.charCodeAt(j) === 0x78 || s.charCodeAt(j) === 0x58;
    if (hex) j++;
    let v = 0;
    const start = j;
    for (; j < s.length && j - start < 6; j++) {
      const c = s.charCodeAt(j);
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : hex && c >= 0x61 && c <= 0x66 ? c - 0x57 : hex && c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) break;
      v = v * (hex ? 16 : 10) + d;
    }
    if (j > start && s.charCodeAt(j) === 0x3b && ((v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5a) || (v >= 0x61 && v <= 0x7a))) n++;
  }
  return n;
}

function checkDeceptive(a: { href: string; text: string }, tags: Set<Tag>, details: string[]): void {
  const target = hostOf(a.href);
  if (!target) return;
  const shown = extractUrls(a.text, 3)
    .concat(shownHosts(a.text, 20))
    .map(hostOf)
    .filter((h): h is string => !!h);
  for (const h of shown) {
    if (!sameSite(h, target)) {
      tags.add('HTML_DECEPTIVE_URL');
      details.push(`link shows ${h} but goes to ${target}`);
      return;
    }
  }
}

/** Top-level domains a link text is taken to name a host by (a bare "example.com" in the text). */
const SHOWN_TLDS = new Set(['com', 'net', 'org', 'jp', 'info', 'biz', 'co', 'io', 'us', 'uk', 'de', 'cn', 'ru']);

function isHostChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

/**
 * Host names written in link text: dot-separated labels of [a-z0-9-] ending in one of SHOWN_TLDS, up to `limit`.
 * One pass over the text (a pattern like /(?:[a-z0-9-]+\.)+(?:com|…)/ retried at every label of "a.a.a.…"
 * costs O(n²)). Within a run of labels the host is the longest one that ends in a listed TLD; a label joined to
 * a word by "_" ("fix_sircam.com") is not a host label, as a word boundary is needed on both sides.
 */
export function shownHosts(text: string, limit: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length && out.length < limit) {
    if (!isHostChar(text.charCodeAt(i)) && text.charCodeAt(i) !== 0x5f) {
      i++;
      continue;
    }
    // a run of labels ("." between them); a label with "_" in it, or an empty one ("a..b"), ends a host
    let start = -1;
    let labels = 0;
    let lastTldEnd = -1;
    for (;;) {
      const labelStart = i;
      let underscore = false;
      let dash = -1;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5f) underscore = true;
        else if (c === 0x2d && dash < 0) dash = i;
        else if (!isHostChar(c)) break;
      }
      if (underscore || i === labelStart) {
        if (lastTldEnd > 0) break;
        start = -1;
        labels = 0;
      } else {
        if (start < 0) start = labelStart;
        labels++;
        // the TLD ends at a word boundary: the label's end, or a "-" ("example.com-news" shows example.com)
        const tldEnd = dash < 0 ? i : dash;
        if (labels >= 2 && SHOWN_TLDS.has(text.slice(labelStart, tldEnd).toLowerCase())) lastTldEnd = tldEnd;
      }
      if (i === labelStart || text.charCodeAt(i) !== 0x2e) break;
      i++;
    }
    while (text.charCodeAt(start) === 0x2d) start++;
    if (lastTldEnd > 0) out.push(text.slice(start, lastTldEnd));
  }
  return out;
}
