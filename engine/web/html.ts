// The HTML builder for every server-rendered page: html`...` escapes each interpolated value for where
// it stands (text, quoted attribute, URL attribute) and refuses places where escaping cannot make a value
// safe (unquoted attributes, event handlers, style, <script>/<style>). Markup passes through only as
// SafeHtml; the one way to make SafeHtml from a plain string is rawHtml(), which must stay rare and greppable.

const BRAND = Symbol('SafeHtml');

/** HTML that is safe to send as is: built by html`` (escaped) or, rarely, by rawHtml(). */
export class SafeHtml {
  readonly [BRAND] = true;
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escape text for element content and for a quoted attribute value (both quote kinds). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** The only way to pass a trusted string through unescaped. Every call is a place to review. */
export function rawHtml(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

/** A URL for href/src/action: relative (one leading slash, '?' or '#'), https/http or mailto; else inert. */
export function safeUrl(u: string): string {
  const s = u.trim();
  if (/^\/(?![/\\])/.test(s) || /^[?#]/.test(s)) return s;
  if (/^(https?:\/\/|mailto:)/i.test(s) && !/[\x00-\x20]/.test(s)) return s;
  return 'about:invalid';
}

/** Where an interpolation stands, worked out once per template from its static text. */
type Slot = 'text' | 'attr' | 'url' | 'tag' | 'forbidden';

/** A boolean attribute (checked, selected, disabled…), the only thing that may stand bare inside a tag. */
export class BoolAttr {
  constructor(readonly name: string, readonly on: boolean) {
    if (!/^[a-z][a-z-]*$/.test(name) || name.startsWith('on')) throw new TypeError(`not a boolean attribute name: ${name}`);
  }
}
export const boolAttr = (name: string, on: boolean): BoolAttr => new BoolAttr(name, on);

const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'cite', 'background', 'ping']);
const slotCache = new WeakMap<TemplateStringsArray, { slots: Slot[]; why: string[] }>();

function analyse(strings: TemplateStringsArray): { slots: Slot[]; why: string[] } {
  const cached = slotCache.get(strings);
  if (cached) return cached;
  const slots: Slot[] = [];
  const why: string[] = [];
  let inTag = false;
  let quote: '"' | "'" | null = null;
  let rawText: 'script' | 'style' | null = null;
  let comment = false;
  let tagText = '';
  for (let i = 0; i < strings.length - 1; i++) {
    const s = strings[i];
    for (let j = 0; j < s.length; j++) {
      const c = s[j];
      if (comment) {
        if (s.startsWith('-->', j)) comment = false;
        continue;
      }
      if (!inTag) {
        if (c === '<') {
          if (s.startsWith('<!--', j)) comment = true;
          else if (rawText && !s.slice(j).toLowerCase().startsWith(`</${rawText}`)) continue;
          else {
            inTag = true;
            tagText = '';
          }
        }
        continue;
      }
      if (quote) {
        if (c === quote) quote = null;
        tagText += c;
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '>') {
        inTag = false;
        const m = /^\s*(\/?)([a-zA-Z][a-zA-Z0-9-]*)/.exec(tagText);
        if (m && !m[1] && /^(script|style)$/i.test(m[2])) rawText = m[2].toLowerCase() as 'script' | 'style';
        else if (m && m[1]) rawText = null;
        continue;
      }
      tagText += c;
    }
    // the value goes here: decide how it must be escaped, or refuse the template
    if (comment) {
      slots.push('forbidden');
      why.push('inside an HTML comment');
    } else if (!inTag) {
      slots.push(rawText ? 'forbidden' : 'text');
      why.push(rawText ? `inside <${rawText}>` : '');
    } else if (!quote) {
      // bare in a tag: only boolAttr(); an unquoted value (name=${x}) is never allowed
      const unquoted = /=\s*$/.test(tagText);
      slots.push(unquoted ? 'forbidden' : 'tag');
      why.push(unquoted ? 'as an unquoted attribute value' : '');
    } else {
      const m = /([^\s"'=<>`/]+)\s*=\s*["']([^"']*)$/.exec(tagText);
      const name = (m?.[1] ?? '').toLowerCase();
      // a URL whose start is fixed in the template ("/users/${x}", "?q=${x}", "#f-${x}") is a same-site path,
      // query or fragment whatever follows: the value is only entity-escaped. "/" alone is not enough ("//host").
      const fixedStart = /^\/[^/\\\u0000]|^[?#]/.test(m?.[2] ?? '');
      if (!name || name.startsWith('on') || name === 'style' || name === 'srcdoc' || name === 'srcset') {
        slots.push('forbidden');
        why.push(`in attribute "${name}"`);
      } else {
        const prefix = m?.[2] ?? '';
        if (URL_ATTRS.has(name) && prefix !== '' && !fixedStart) {
          // "/${x}" could become "//host", "mailto:${x}"… only a whole URL, or a fixed path start, is checked safely
          slots.push('forbidden');
          why.push(`in URL attribute "${name}" after "${prefix.replace(/\u0000/g, '${…}')}" (give the whole URL as one value, or a fixed path start like "/users/")`);
        } else {
          slots.push(URL_ATTRS.has(name) && !fixedStart ? 'url' : 'attr');
          why.push('');
        }
      }
    }
    tagText += '\u0000'; // stands for the value (never part of a fixed URL start)
  }
  const result = { slots, why };
  slotCache.set(strings, result);
  return result;
}

function render(value: unknown, slot: Slot): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map((v) => render(v, slot)).join('');
  if (slot === 'tag') {
    if (value instanceof BoolAttr) return value.on ? ` ${value.name}` : '';
    throw new TypeError('html``: only boolAttr() may stand inside a tag outside an attribute value');
  }
  if (value instanceof BoolAttr) throw new TypeError('html``: boolAttr() belongs inside a tag');
  if (value instanceof SafeHtml) {
    if (slot !== 'text') throw new TypeError('html``: SafeHtml may only stand in element content, not in an attribute');
    return value.value;
  }
  const s = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' || value === true ? String(value) : null;
  if (s === null) throw new TypeError(`html: cannot interpolate a ${typeof value}; format it to a string first`);
  return escapeHtml(slot === 'url' ? safeUrl(s) : s);
}

/** Tagged template: every interpolation is escaped for its place; arrays are joined; null/undefined/false vanish. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  const { slots, why } = analyse(strings);
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    if (slots[i] === 'forbidden') throw new TypeError(`html: no value may be interpolated ${why[i]} (template: ${strings.join('${…}').slice(0, 120)})`);
    out += render(values[i], slots[i]) + strings[i + 1];
  }
  return new SafeHtml(out);
}
