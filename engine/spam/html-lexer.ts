// A linear-time HTML lexer for the spam checks: comments, declarations, tags (name, closing, attribute text) and
// text runs, in the order a regex scanner would find them, but in O(n) on any input (no pattern is ever retried
// from every position: "where is the next '>'" is remembered). It never builds a DOM and never runs anything.

/** A lexed piece: a tag (attrs is everything between the name and the next '>') or a run of text. */
export type HtmlToken = { kind: 'tag'; closing: boolean; name: string; attrs: string } | { kind: 'text'; text: string };

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** A..Z a..z 0..9 : _ - (the tag-name characters the checks accept). */
function isNameChar(c: number): boolean {
  return isAsciiLetter(c) || (c >= 0x30 && c <= 0x3a) || c === 0x5f || c === 0x2d;
}

/**
 * Remembers the next occurrence of a string at or after a position. Asked with positions that only grow, it
 * scans every character at most once, so "find the closing '>' for each '<'" stays linear when none exists.
 */
export class NextIndex {
  private at = -2;
  constructor(
    private readonly s: string,
    private readonly needle: string,
  ) {}

  /** The index of the needle at or after `from` (from must not decrease between calls), or -1. */
  from(from: number): number {
    if (this.at === -1) return -1;
    if (this.at < from) this.at = this.s.indexOf(this.needle, from);
    return this.at;
  }
}

/**
 * Replace every `open … close` span by a space; an opening without a close is left as it is. Same result as
 * s.replace(/open[\s\S]*?close/g, ' ') for literal open/close, in linear time.
 */
export function blankSpans(s: string, open: string, close: string): string {
  let out = '';
  let pos = 0;
  const closes = new NextIndex(s, close);
  for (;;) {
    const a = s.indexOf(open, pos);
    if (a < 0) break;
    const b = closes.from(a + open.length);
    if (b < 0) break; // no close after this opening, so none after any later one either
    out += s.slice(pos, a) + ' ';
    pos = b + close.length;
  }
  return pos === 0 ? s : out + s.slice(pos);
}

/**
 * Replace each `<` + one of `starts` … up to the next `>` by a space (s.replace(/<!…[^>]*>|<\?[^>]*>/g, ' ') and the
 * like), in linear time. `accept` decides from the characters after `<` whether a tag starts there.
 */
export function blankTags(s: string, accept: (s: string, lt: number) => boolean): string {
  let out = '';
  let pos = 0;
  let scan = 0;
  const gts = new NextIndex(s, '>');
  for (;;) {
    const lt = s.indexOf('<', scan);
    if (lt < 0) break;
    scan = lt + 1;
    if (!accept(s, lt)) continue;
    const gt = gts.from(lt + 1);
    if (gt < 0) break;
    out += s.slice(pos, lt) + ' ';
    pos = scan = gt + 1;
  }
  return pos === 0 ? s : out + s.slice(pos);
}

/** `<!…>` declarations and `<?…>` processing instructions. */
export function isDeclaration(s: string, lt: number): boolean {
  const c = s.charCodeAt(lt + 1);
  return c === 0x21 || c === 0x3f;
}

/** `<x` or `</x` with x an ASCII letter: an opening or closing tag. */
export function isTagStart(s: string, lt: number): boolean {
  const c = s.charCodeAt(lt + 1);
  return isAsciiLetter(c) || (c === 0x2f && isAsciiLetter(s.charCodeAt(lt + 2)));
}

/**
 * Tags and text runs of `s`, as /<(\/?)([a-zA-Z][a-zA-Z0-9:_-]*)([^>]*)>|([^<]+)|</g yields them: a '<' that
 * starts no complete tag is a text token of its own. The content of a <script> or <style> element is raw text, as
 * HTML parses it: one text token up to its closing tag (a script's `i<n` is no tag; before spam13 it opened one that
 * swallowed the closing </script>, and the rest of the message read as script). Stops after `maxTokens`.
 */
export function* lexHtml(s: string, maxTokens = 200_000): Generator<HtmlToken> {
  const gts = new NextIndex(s, '>');
  const rawClose = { script: new NextMatch(s, /<\/script\s*>/gi), style: new NextMatch(s, /<\/style\s*>/gi) };
  let i = 0;
  let n = 0;
  while (i < s.length && n++ < maxTokens) {
    if (s.charCodeAt(i) !== 0x3c) {
      const lt = s.indexOf('<', i);
      const end = lt < 0 ? s.length : lt;
      yield { kind: 'text', text: s.slice(i, end) };
      i = end;
      continue;
    }
    if (isTagStart(s, i)) {
      const closing = s.charCodeAt(i + 1) === 0x2f;
      const nameStart = i + (closing ? 2 : 1);
      let nameEnd = nameStart + 1;
      while (nameEnd < s.length && isNameChar(s.charCodeAt(nameEnd))) nameEnd++;
      const gt = gts.from(nameEnd);
      if (gt >= 0) {
        const name = s.slice(nameStart, nameEnd);
        yield { kind: 'tag', closing, name, attrs: s.slice(nameEnd, gt) };
        i = gt + 1;
        const lower = closing || nameEnd - nameStart > 6 ? '' : name.toLowerCase();
        const close = lower === 'script' || lower === 'style' ? rawClose[lower].from(i) : null;
        if (close) {
          if (close.index > i) yield { kind: 'text', text: s.slice(i, close.index) };
          i = close.index;
        }
        continue;
      }
    }
    yield { kind: 'text', text: '<' };
    i++;
  }
}

/** Whether s has `word` (lower-case ASCII) at `at`, compared without ASCII case. */
export function asciiAt(s: string, at: number, word: string): boolean {
  if (at + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) {
    let c = s.charCodeAt(at + k);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

function isWordChar(c: number): boolean {
  return isAsciiLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

/** The next match of a global regex at or after a position that only grows; each character is scanned once. */
class NextMatch {
  private cached: { index: number; end: number } | null | undefined;
  constructor(
    private readonly s: string,
    private readonly re: RegExp,
  ) {}

  from(from: number): { index: number; end: number } | null {
    if (this.cached === null) return null;
    if (this.cached === undefined || this.cached.index < from) {
      this.re.lastIndex = from;
      const m = this.re.exec(this.s);
      this.cached = m ? { index: m.index, end: m.index + m[0].length } : null;
    }
    return this.cached;
  }
}

/**
 * Replace each element `<name …>…</name>` of the given names (lower case), content and all, by a space: the result of
 * s.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' '), in linear time. An element never closed is left as it is.
 */
export function blankElements(s: string, names: readonly string[]): string {
  const closers = new Map(names.map((n) => [n, new NextMatch(s, new RegExp(`</${n}\\s*>`, 'gi'))]));
  let out = '';
  let pos = 0;
  let scan = 0;
  for (;;) {
    const lt = s.indexOf('<', scan);
    if (lt < 0) break;
    scan = lt + 1;
    const name = names.find((n) => asciiAt(s, lt + 1, n) && !isWordChar(s.charCodeAt(lt + 1 + n.length)));
    if (!name) continue;
    const close = closers.get(name)!.from(lt + 1 + name.length);
    if (!close) continue;
    out += s.slice(pos, lt) + ' ';
    pos = scan = close.end;
  }
  return pos === 0 ? s : out + s.slice(pos);
}
