// RFC 5322 comments: "(…)" in a structured header field, nested, with quoted pairs, and never inside a quoted
// string. Pure; it decodes nothing.

/** The text with its comments removed (an unclosed one runs to the end). */
export function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  let inQ = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQ) {
      out += c;
      if (c === '\\' && i + 1 < s.length) out += s[++i];
      else if (c === '"') inQ = false;
    } else if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (c === '(') depth = 1;
    else {
      if (c === '"') inQ = true;
      out += c;
    }
  }
  return out;
}
