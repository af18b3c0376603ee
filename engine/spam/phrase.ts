// The phrase filter (F5): literal phrases and regular expressions in any language, matched against the
// decoded, NFKC-normalised subject and text. Compiled once per config; a bad regex is a config error.
// The operator's regexes see at most PHRASE_REGEX_CHARS of the text (a pattern of theirs may backtrack).
import { PHRASE_REGEX_CHARS } from './limits.js';

export interface PhraseMatcher {
  /** Up to 5 rules that matched. */
  match(text: string): string[];
}

export function normaliseForMatch(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
}

export function compilePhrases(literals: string[], regexes: string[]): PhraseMatcher {
  const lits = literals
    .map((p) => ({ rule: p, needle: normaliseForMatch(p).trim() }))
    .filter((l) => l.needle)
    .map((l) => ({ ...l, cjk: /[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff]/.test(l.needle) }));
  const res = regexes.map((r) => {
    try {
      return { rule: r, re: new RegExp(r, 'iu') };
    } catch (e) {
      throw new Error(`[spam] phrase_regexes: invalid regular expression ${JSON.stringify(r)}: ${(e as Error).message}`);
    }
  });
  return {
    match(text: string): string[] {
      const hits: string[] = [];
      if (!lits.length && !res.length) return hits;
      const t = normaliseForMatch(text);
      // CJK phrases also match with spaces removed, so "未 承 諾 広 告" and "未承諾\n広告" are caught
      const squeezed = t.replace(/ /g, '');
      for (const l of lits) {
        if (t.includes(l.needle) || (l.cjk && squeezed.includes(l.needle.replace(/ /g, '')))) hits.push(l.rule);
        if (hits.length >= 5) return hits;
      }
      const head = t.length > PHRASE_REGEX_CHARS ? t.slice(0, PHRASE_REGEX_CHARS) : t;
      for (const r of res) {
        if (r.re.test(head)) hits.push(r.rule);
        if (hits.length >= 5) return hits;
      }
      return hits;
    },
  };
}
