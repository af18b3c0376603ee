// The text of an HTML body, for whatever reads or answers with text: the Sieve body :text test, JMAP's preview and
// search, the webmail's text view, a vacation's text when only HTML was given. Pure and linear in the input; it
// never renders or sanitises HTML (engine/web/webmail/html-sanitise.ts does).
import { decodeEntities } from '../spam/html.js';

/** text/html → plain text: tags dropped (a line break for br, p, div, tr, li), script/style content removed,
 * entities decoded. One forward scan with indexOf (no regex over the whole text), so hostile HTML costs linear time. */
export function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    const gt = html.indexOf('>', lt);
    if (gt < 0) break;
    const tag = /^<\/?([a-z0-9]+)/.exec(lower.slice(lt, Math.min(gt + 1, lt + 20)))?.[1] ?? '';
    i = gt + 1;
    if ((tag === 'script' || tag === 'style') && lower[lt + 1] !== '/') {
      const end = lower.indexOf(`</${tag}`, i);
      i = end < 0 ? html.length : end;
      continue;
    }
    if (tag === 'br' || tag === 'p' || tag === 'div' || tag === 'tr' || tag === 'li') out += '\n';
  }
  return decodeEntities(out);
}

/** htmlToText with runs of blank lines made one and the ends trimmed: text a person reads (a vacation's). */
export function htmlToReadableText(html: string): string {
  return htmlToText(html).replace(/\n{3,}/g, '\n\n').trim();
}
