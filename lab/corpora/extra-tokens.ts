// Trial Bayes tokens for the fit (issue 18, spam19), read by the lab only (features.ts, FIT_EXTRA_TOKENS): a comma-
// separated list of families added to each message's tokens, so an idea can be judged on the learn half before
// anything moves into the server's tokeniser (engine/spam/tokenise.ts). Families:
//   listhdr  presence of List-Id, List-Unsubscribe (and whether it is on the From: domain), List-Post, Precedence
//   mailer   the X-Mailer / User-Agent family (its first word)
//   hops     the Received hop count (0, 1, 2, 3–4, 5+), beside the tokeniser's received:N
//   biN      word pairs of the body's first N words (e.g. bi50): how a message opens, not the whole text
import { checkHtml } from '../../engine/spam/html.js';
import { parseMessage } from '../../engine/spam/message.js';
import { stripMarkup, wordsOf } from '../../engine/spam/tokenise.js';

export const EXTRA = (process.env.FIT_EXTRA_TOKENS ?? '').split(',').filter(Boolean);

export function extraTokens(raw: Buffer, families: readonly string[] = EXTRA): string[] {
  if (families.length === 0) return [];
  const msg = parseMessage(raw);
  const out = new Set<string>();
  const h = msg.headers;
  const fromDom = msg.fromAddress.slice(msg.fromAddress.lastIndexOf('@') + 1);
  for (const f of families) {
    if (f === 'listhdr') {
      out.add(h.has('list-id') ? 'xh:list-id' : 'xh:no-list-id');
      const lu = h.get('list-unsubscribe')?.[0];
      out.add(lu ? 'xh:list-unsub' : 'xh:no-list-unsub');
      if (lu && fromDom) out.add(lu.toLowerCase().includes(fromDom.split('.').slice(-2).join('.')) ? 'xh:list-unsub-own' : 'xh:list-unsub-other');
      if (h.has('list-post')) out.add('xh:list-post');
      const prec = h.get('precedence')?.[0]?.trim().toLowerCase();
      if (prec) out.add(`xh:precedence:${prec.slice(0, 10)}`);
    } else if (f === 'mailer') {
      const m = (h.get('x-mailer') ?? h.get('user-agent'))?.[0]?.trim();
      out.add(m ? `xh:mailer:${(/^[A-Za-z][A-Za-z.-]*/.exec(m)?.[0] ?? 'odd').toLowerCase().slice(0, 20)}` : 'xh:mailer:none');
    } else if (f === 'hops') {
      const n = h.get('received')?.length ?? 0;
      out.add(`xh:hops:${n >= 5 ? '5+' : n >= 3 ? '3-4' : n}`);
    } else if (/^bi\d+$/.test(f)) {
      const limit = Number(f.slice(2));
      const text = [...msg.texts.map(stripMarkup), ...msg.htmls.map((x) => checkHtml(x, 1_000_000).text)].join('\n').normalize('NFKC').toLowerCase();
      let prev = '';
      let k = 0;
      for (const w of wordsOf(text)) {
        if (prev) out.add(`bi:${prev} ${w}`);
        prev = w;
        if (++k >= limit) break;
      }
    }
  }
  return [...out];
}
