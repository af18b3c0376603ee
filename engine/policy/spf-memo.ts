// SPF results kept per client address, HELO name and sender domain, for the next sender of that domain. An SPF
// evaluation (RFC 7208) depends on the sender's local part only through macros (%{s}, %{l}, … in a record): when no
// TXT record read during the evaluation holds a "%", the result for another address of the same domain, from the
// same client and HELO, is the same — only the texts that name the sender differ, and those are rebuilt here the way
// mailauth builds them (checked against mailauth's own text when a result is kept). A sender that writes a new
// address per message (VERP, a bulk sender's per-message return path, the bench's load) is then evaluated once a
// minute per domain instead of once per message: mailauth's evaluation (its domain validation, the record walk, its
// DNS questions through the resolver's cache) was ~6% of the main thread's CPU per 5 KB message (sixteenth round).
// Kept like the connection checks' results: 60 s, at most MAX_KEPT, only answers (pass, fail, softfail, neutral,
// none; never temperror or permerror), and only from a key's second evaluation on (keys seen once cost nothing).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type Tools = { formatAuthHeaderRow(method: string, status: Record<string, unknown>): string };
/** mailauth's header formatting, required at the first kept result (by then its SPF module has loaded it: no cost);
 *  at module load it cost ~0.1 s of every start, with or without connection checks. */
let tools: Tools | undefined;
const formatAuthHeaderRow: Tools['formatAuthHeaderRow'] = (method, status) => (tools ??= require('mailauth/lib/tools.js') as Tools).formatAuthHeaderRow(method, status);

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';

/** What checkSpf returns (engine/policy/sender-checks.ts). */
export interface SpfAnswer {
  result: SpfResult;
  domain: string;
  info: string;
  comment: string;
}

/** The evaluation's inputs as mailauth sees them: `sender` has an "@" after its first character, `helo` as passed. */
export interface SpfQuestion {
  ip: string;
  helo: string;
  sender: string;
  mta: string;
}

/** A key's 30-bit FNV-1a hash (as the connection checks' keyHash): a small integer, kept in a Set with no object of its own. */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

export const MEMO_TTL_MS = 60_000;
export const MAX_KEPT = 5_000;

/** mailauth's comment for each result it may be kept for (lib/spf/index.js), `sender` the full address. */
function comment(result: SpfResult, q: SpfQuestion, domain: string): string | null {
  const { mta, sender, ip } = q;
  switch (result) {
    case 'pass':
      return `${mta}: domain of ${sender} designates ${ip} as permitted sender`;
    case 'softfail':
      return `${mta}: domain of transitioning ${sender} does not designate ${ip} as permitted sender`;
    case 'fail':
      return `${mta}: domain of ${sender} does not designate ${ip} as permitted sender`;
    case 'neutral':
      return `${mta}: ${ip} is neither permitted nor denied by domain of ${sender}`;
    case 'none':
      return `${mta}: ${domain} does not designate permitted sender hosts`;
    default:
      return null;
  }
}

function answerFor(result: SpfResult, domain: string, q: SpfQuestion): SpfAnswer | null {
  const c = comment(result, q, domain);
  if (c === null) return null;
  return { result, domain, comment: c, info: formatAuthHeaderRow('spf', { result, comment: c, smtp: { mailfrom: q.sender, helo: q.helo } }) };
}

/** The sender's domain as mailauth takes it (after the last "@", lower case); null when the memo does not apply. */
export function memoDomain(sender: string): string | null {
  const at = sender.lastIndexOf('@');
  if (sender.indexOf('@') < 1 || at === sender.length - 1) return null;
  return sender.slice(at + 1).toLowerCase().trim() || null;
}

export class SpfMemo {
  private readonly kept = new Map<string, { expires: number; result: SpfResult; domain: string }>();
  /** Hashes of the keys evaluated once (at most MAX_KEPT, oldest first out): a result is kept from the second on. */
  private readonly seen = new Set<number>();

  constructor(private readonly now: () => number = Date.now) {}

  private static key(q: SpfQuestion, domain: string): string {
    return `${q.ip}\0${q.helo.toLowerCase()}\0${domain}\0${q.mta}`;
  }

  /** A kept result for this question, with its texts for this sender; null when none is kept. */
  get(q: SpfQuestion): SpfAnswer | null {
    const domain = memoDomain(q.sender);
    if (domain === null) return null;
    const k = SpfMemo.key(q, domain);
    const hit = this.kept.get(k);
    if (!hit) return null;
    if (hit.expires <= this.now()) {
      this.kept.delete(k);
      return null;
    }
    return answerFor(hit.result, hit.domain, q);
  }

  /**
   * After an evaluation: keep `answer` when no record read held a macro (`sawMacro` false) and its texts are exactly
   * what this module would write for this sender (so a later sender's texts are mailauth's too). True when kept.
   */
  offer(q: SpfQuestion, answer: SpfAnswer, sawMacro: boolean): boolean {
    const domain = memoDomain(q.sender);
    if (sawMacro || domain === null || answer.domain !== domain) return false;
    const rebuilt = answerFor(answer.result, answer.domain, q);
    if (!rebuilt || rebuilt.comment !== answer.comment || rebuilt.info !== answer.info) return false;
    const k = SpfMemo.key(q, domain);
    const h = keyHash(k);
    if (!this.seen.has(h)) {
      if (this.seen.size >= MAX_KEPT) this.seen.delete(this.seen.values().next().value!);
      this.seen.add(h);
      return false;
    }
    if (this.kept.size >= MAX_KEPT && !this.kept.has(k)) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(k, { expires: this.now() + MEMO_TTL_MS, result: answer.result, domain: answer.domain });
    return true;
  }

  /** How many results are kept (tests). */
  get size(): number {
    return this.kept.size;
  }
}
