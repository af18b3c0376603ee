// Builds what the content rules read of one message from the parsed message and the HTML findings: the decoded
// subject, body and sender name in the three match views, the links and their hosts. One bounded pass each;
// it reads only what it is handed.
import type { HtmlFindings } from '../html.js';
import { RULE_SCAN_CHARS } from '../limits.js';
import type { ParsedMessage } from '../message.js';
import { stripMarkup } from '../tokenise.js';
import { hostOf } from '../url.js';
import type { LiteralSet } from './aho.js';
import { bodyViews } from './body-views.js';
import type { RuleInput } from './checks.js';
import { foldedViews } from './normalise.js';

function capped(s: string): string {
  return s.length > RULE_SCAN_CHARS ? s.slice(0, RULE_SCAN_CHARS) : s;
}

/**
 * `bodyWords`: the rule set's words-view literals of the body (RuleSet.bodyWords), found while an ASCII body is
 * folded (body-views.ts) instead of in a second pass over a words view made for it; without it, the views alone.
 */
export function ruleInput(msg: ParsedMessage, html: HtmlFindings[], urls: string[], bodyWords: LiteralSet | null = null): RuleInput {
  // joined by a loop, not .map and spread: arrays made by Array builtins change map when TurboFan inlines the
  // builtin, which threw this function's optimised code away (docs/benchmarks.md, eleventh round)
  let body = '';
  let first = true;
  for (const t of msg.texts) {
    body += (first ? '' : '\n') + stripMarkup(t);
    first = false;
  }
  for (const h of html) {
    body += (first ? '' : '\n') + h.text;
    first = false;
  }
  const rawBody = capped(body);
  const rawSubject = capped(msg.subject);
  const lt = msg.from.lastIndexOf('<');
  const name = (lt > 0 ? msg.from.slice(0, lt) : msg.fromAddress ? '' : msg.from).replace(/^[\s"']+|[\s"']+$/g, '');
  const hosts = new Set<string>();
  for (let i = 0; i < urls.length && i < 300; i++) {
    const h = hostOf(urls[i]);
    if (h && h.length <= 253) hosts.add(h); // a DNS name is at most 253 characters; a longer "host" names nothing
  }
  const at = msg.fromAddress.lastIndexOf('@');
  return {
    msg,
    html,
    urls,
    hosts: [...hosts],
    rawSubject,
    rawBody,
    subject: foldedViews(rawSubject),
    body: bodyViews(rawBody, bodyWords),
    fromName: foldedViews(capped(name)),
    fromDomain: at >= 0 ? msg.fromAddress.slice(at + 1).replace(/[>\]]+$/, '') : '',
  };
}
