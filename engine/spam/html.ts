// HTML checks (F6) on a decoded text/html part: nested tables, hyperlink count, image-only, script,
// invalid tags, deceptive links (text shows one domain, href another), comments hidden inside words.
// Also yields the visible text and link targets for the other filters. A scanner, not a renderer: it never runs anything.
import type { Tag } from './tags.js';
import { extractUrls, hostOf, sameSite } from './url.js';

export interface HtmlFindings {
  tags: Tag[];
  details: string[];
  text: string;
  hrefs: string[];
}

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
  const src = html.length > 1_000_000 ? html.slice(0, 1_000_000) : html;

  if (/[\p{L}\p{N}]<!--[\s\S]{0,200}?-->[\p{L}\p{N}]/u.test(src)) {
    tags.add('HTML_COMMENT');
    details.push('comment inside a word');
  }
  // comments, declarations (<!DOCTYPE …>, <![CDATA[…]]>) and processing instructions are never visible text
  const noComments = src.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<![^>]*>|<\?[^>]*>/g, ' ');
  let tableDepth = 0;
  let maxTableDepth = 0;
  let links = 0;
  let images = 0;
  let invalid = '';
  let anchor: { href: string; text: string } | null = null;
  let visible = '';
  let skipText = 0; // inside <script>/<style>
  const re = /<(\/?)([a-zA-Z][a-zA-Z0-9:_-]*)([^>]*)>|([^<]+)|</g;
  let m: RegExpExecArray | null;
  let guard = 0;
  while ((m = re.exec(noComments)) && guard++ < 200_000) {
    if (m[4] !== undefined || m[0] === '<') {
      if (skipText) continue;
      const t = decodeEntities(m[4] ?? '<');
      visible += t;
      if (anchor) anchor.text += t;
      continue;
    }
    const closing = m[1] === '/';
    const name = m[2].toLowerCase();
    const attrs = m[3];
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
      case 'a':
        if (closing) {
          if (anchor) checkDeceptive(anchor, tags, details);
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
  return { tags: [...tags], details, text: visible, hrefs };
}

function checkDeceptive(a: { href: string; text: string }, tags: Set<Tag>, details: string[]): void {
  const target = hostOf(a.href);
  if (!target) return;
  const shown = extractUrls(a.text, 3)
    .concat([...a.text.matchAll(/\b((?:[a-z0-9-]+\.)+(?:com|net|org|jp|info|biz|co|io|us|uk|de|cn|ru))\b/gi)].map((x) => x[1]))
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
