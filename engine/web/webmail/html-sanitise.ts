// HTML mail made safe to show in the webmail's sandboxed frame: sanitize-html keeps a mail-sized set of layout
// tags and attributes; links go to a new top-level window (noopener, noreferrer); remote images are dropped (and
// counted) unless the user asked for them; cid: images become data: URIs the caller resolved; CSS loses every way
// to fetch (url(), image-set(), @import, escapes). It never lets a script, a form, a frame, a <base> or a <meta>
// through, and never leaves a URL that fetches anything while images are blocked. HTML nested deeper than
// MAX_NESTING is shown as its text instead: the parser's cost grows with the square of the depth (below).
import sanitizeHtml from 'sanitize-html';
import { htmlToReadableText } from '../../mime/html-text.js';

export interface SanitiseOptions {
  /** Remote (http/https) images kept: the user clicked "show images" for this view. */
  remoteImages: boolean;
  /** A cid: reference (without "cid:", as written in the mail) → a data: URI, or undefined when unknown. */
  cid: (id: string) => string | undefined;
}

export interface Sanitised {
  html: string;
  /** Remote images dropped because remoteImages was off (the bar says how many). */
  blockedImages: number;
  /** cid: references found (resolved or not). */
  cidRefs: string[];
  /** The HTML was nested deeper than MAX_NESTING: `html` is its text, escaped, in a <pre>. */
  tooDeep?: boolean;
}

/**
 * Elements open at once. htmlparser2 (under sanitize-html) keeps its open elements in an array it shifts and
 * unshifts at the front, so each tag costs the current depth: 2 MB of unclosed <div> (400,000 deep) took three
 * minutes of the event loop, every listener of the node with it (docs/security-review-6.md, finding 1). Mail
 * nests tens deep (Outlook's tables); a document that passes this is shown as text.
 */
export const MAX_NESTING = 1000;

class TooDeep extends Error {}

const escapeText = (t: string): string => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const TAGS = [
  'a', 'abbr', 'address', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col',
  'colgroup', 'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i',
  'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'small', 'span',
  'strike', 'strong', 'style', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul',
  'var', 'wbr',
];
// dropped with everything inside them (their text would be noise or, for svg/math, a parser-confusion route)
const DROP_WITH_CONTENT = ['script', 'textarea', 'option', 'select', 'noscript', 'noembed', 'noframes', 'title', 'svg', 'math', 'template', 'xmp', 'iframe', 'object', 'applet'];
const COMMON = ['style', 'class', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border', 'dir', 'lang', 'title'];
const ATTRS: Record<string, string[]> = {
  '*': COMMON,
  a: ['href', 'target', 'rel'],
  img: ['src', 'alt', 'hspace', 'vspace'],
  font: ['face', 'size'],
  table: ['cellpadding', 'cellspacing', 'summary'],
  td: ['colspan', 'rowspan', 'nowrap', 'headers', 'scope'],
  th: ['colspan', 'rowspan', 'nowrap', 'headers', 'scope'],
  col: ['span'],
  colgroup: ['span'],
  ol: ['start', 'type', 'reversed'],
  ul: ['type'],
  li: ['value'],
  blockquote: ['cite'],
  q: ['cite'],
};

const INLINE_IMAGE = /^data:image\/(?:png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]*$/i;

/**
 * CSS with every way to fetch removed: escapes (which could spell "url"), url(), image-set(), src(), image(),
 * cross-fade(), element() and @import. A declaration that used one becomes invalid and is ignored by the browser.
 */
export function inertCss(css: string): string {
  return css
    .replace(/\\/g, '')
    .replace(/(?:-webkit-)?(?:url|image-set|src|image|cross-fade|element|expression)(\s*)\(/gi, 'blocked$1(')
    .replace(/@import/gi, '@blocked')
    .replace(/<\//g, '<\\/');
}

/** The text of each <style> element in sanitize-html's output made inert (it passes style text through as is). */
function inertStyleElements(out: string): string {
  let res = '';
  let at = 0;
  for (;;) {
    const open = out.indexOf('<style>', at);
    if (open < 0) break;
    const start = open + '<style>'.length;
    const close = out.indexOf('</style>', start);
    const end = close < 0 ? out.length : close;
    res += out.slice(at, start) + inertCss(out.slice(start, end));
    at = end;
  }
  return res + out.slice(at);
}

function remoteUrl(src: string): string | null {
  const s = src.trim();
  if (/^https?:\/\//i.test(s)) return s;
  if (s.startsWith('//')) return `https:${s}`;
  return null;
}

export function sanitiseMailHtml(input: string, o: SanitiseOptions): Sanitised {
  let blockedImages = 0;
  const cidRefs: string[] = [];
  const transform = (tagName: string, attribs: Record<string, string>): { tagName: string; attribs: Record<string, string> } => {
    // a <style> keeps no attribute: its text is made inert only as "<style>…" (inertStyleElements), and
    // <style title="x"> let url() and @import through untouched
    if (tagName === 'style') return { tagName, attribs: {} };
    const a: Record<string, string> = { ...attribs };
    if (a.style !== undefined) a.style = inertCss(a.style);
    if (tagName === 'a') {
      const href = (a.href ?? '').trim();
      delete a.href;
      if (/^(?:https?:\/\/|mailto:)/i.test(href)) a.href = href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    } else if (tagName === 'img') {
      const src = (a.src ?? '').trim();
      delete a.src;
      const remote = remoteUrl(src);
      if (/^cid:/i.test(src)) {
        const id = src.slice(4);
        cidRefs.push(id);
        const data = o.cid(id);
        if (data) a.src = data;
      } else if (remote) {
        if (o.remoteImages) a.src = remote;
        else blockedImages++;
      } else if (INLINE_IMAGE.test(src)) a.src = src;
    }
    return { tagName, attribs: a };
  };
  // the parser's own stack: it calls onOpenTag for each element it pushes and onCloseTag for each it pops
  // (implied closes and void elements included), so the count is its depth, checked before the next push costs more
  let depth = 0;
  let html: string;
  try {
    html = sanitizeHtml(input, {
      allowedTags: TAGS,
      allowedAttributes: ATTRS,
      allowedSchemes: ['http', 'https', 'mailto'],
      allowedSchemesByTag: { img: ['http', 'https', 'data'] },
      allowProtocolRelative: false,
      allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
      nonTextTags: DROP_WITH_CONTENT,
      disallowedTagsMode: 'discard',
      parseStyleAttributes: false,
      allowVulnerableTags: true, // <style>: its text is made inert below
      transformTags: { '*': transform },
      onOpenTag: () => {
        if (++depth > MAX_NESTING) throw new TooDeep();
      },
      onCloseTag: () => {
        depth--;
      },
    });
  } catch (e) {
    if (!(e instanceof TooDeep)) throw e;
    return { html: `<pre style="white-space:pre-wrap">${escapeText(htmlToReadableText(input))}</pre>`, blockedImages: 0, cidRefs: [], tooDeep: true };
  }
  return { html: inertStyleElements(html), blockedImages, cidRefs };
}
