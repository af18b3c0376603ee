// What a bounce says about a failed delivery, whatever its form: a status code (enhanced, else a basic SMTP
// reply code) and the kind it counts as: hard (the address is bad: 5.1.x, 5.2.1, "user unknown"), policy
// (5.7.x, spam, blocked, DMARC: the message was refused, not the member's address, and it never counts),
// soft (4.x.y, delayed) or unknown. Also the best-effort reading of plain-text bounces (qmail, Exim, and the
// many free-form ones). Every pattern is linear in the input, which is cut to 64 KiB first.
import type { BounceKind } from './activity.js';

export interface BounceVerdict {
  kind: BounceKind;
  /** The enhanced status code found (or derived), e.g. "5.1.1"; '' when none. */
  status: string;
  /** Addresses the text names as failed (plain-text bounces), lower case. */
  addresses: string[];
}

const MAX_TEXT = 64 * 1024;

const POLICY_WORDS = /\b(spam|blocked|block ?list(?:ed)?|black ?list(?:ed)?|dmarc|policy|reputation|rejected (?:for|due to|because of) (?:content|policy)|not accepted for policy|content rejected|virus|phish\w*|dnsbl|rbl)\b/i;
const HARD_WORDS = /\b(user unknown|unknown user|no such (?:user|mailbox|recipient|address)|(?:mailbox|address|recipient|user) (?:does not exist|doesn't exist|not found|unknown|unavailable|disabled)|invalid (?:recipient|mailbox|address)|unknown (?:recipient|mailbox|address)|recipient (?:address )?rejected|account (?:has been )?(?:disabled|closed|suspended)|no mailbox here|unrouteable address|bad destination mailbox)\b/i;
const SOFT_WORDS = /\b(mailbox (?:is )?full|over ?quota|quota exceeded|temporar(?:y|ily)|try again later|delayed|will (?:keep )?(?:retry|trying))\b/i;
/** Japanese free-form bounces: 宛先不明 / 存在しない (unknown), 容量 (full), 迷惑メール / スパム (spam). */
const JA_HARD = /(宛先不明|存在しません|存在しない|ユーザーが見つかりません|アドレスが見つかりません)/;
const JA_POLICY = /(迷惑メール|スパム|拒否されました|ポリシー)/;
const JA_SOFT = /(容量|一時的)/;

/** The kind a status code and its text count as (the code decides when it is there). */
export function classify(status: string, text: string): BounceKind {
  if (/^5\.7\./.test(status)) return 'policy';
  if (/^4\./.test(status)) return 'soft';
  // a specific code (5.1.1 bad mailbox, 5.2.2 full, …) is the answer; a generic 5.0.0 leaves it to the words
  if (/^5\.[1-6]\./.test(status)) return 'hard';
  if (POLICY_WORDS.test(text) || JA_POLICY.test(text)) return 'policy';
  if (/^5\./.test(status)) return 'hard';
  if (HARD_WORDS.test(text) || JA_HARD.test(text)) return 'hard';
  if (SOFT_WORDS.test(text) || JA_SOFT.test(text)) return 'soft';
  return 'unknown';
}

/** The most telling enhanced status code in a text: a 5.7.x wins (policy), then any 5.x.y, then 4.x.y. */
export function statusIn(text: string): string {
  const codes = [...text.slice(0, MAX_TEXT).matchAll(/\b([245])\.(\d{1,3})\.(\d{1,3})\b/g)].map((m) => `${m[1]}.${m[2]}.${m[3]}`);
  return codes.find((c) => c.startsWith('5.7.')) ?? codes.find((c) => c.startsWith('5.')) ?? codes.find((c) => c.startsWith('4.')) ?? basicStatus(text);
}

/** No enhanced code: a basic SMTP reply code at the start of a reply (550 …, 452 …) stands for x.0.0. */
function basicStatus(text: string): string {
  const m = /(?:^|[\s:;(])([45])[05]\d[ -](?=\S)/m.exec(text.slice(0, MAX_TEXT));
  return m ? `${m[1]}.0.0` : '';
}

/** Read a plain-text bounce (no message/delivery-status part). */
export function readPlainBounce(text: string): BounceVerdict {
  const t = text.slice(0, MAX_TEXT);
  const status = statusIn(t);
  // addresses in the failure report: <a@b> or a@b at the start of a line ("a@b: …", qmail's "<a@b>:")
  const addresses = new Set<string>();
  for (const m of t.matchAll(/^[ \t]*<?([^\s<>@:;,"]{1,64}@[a-z0-9.-]{1,253})>?:?(?:[ \t]|$)/gim)) addresses.add(m[1].toLowerCase());
  return { kind: classify(status, t), status, addresses: [...addresses].slice(0, 100) };
}
