// mailauth's DMARC verdict for one author domain, kept between messages. The verdict is a function of the author
// domain (what follows the first "@"), the aligned SPF and DKIM domains, and the DNS answers it read (the
// _dmarc TXT record, then the organisational domain's when there is none). So each kept verdict carries the
// questions it asked and what came back; the next message with the same domain and alignment inputs asks the
// same questions again, in the same order — the resolver's cache answers them, honouring their TTLs — and gets
// the kept verdict only when every answer is the same; otherwise mailauth judges anew. What is skipped is the
// work around the answers: punycode, the public-suffix lookups (one per domain and per alignment check), the
// record's parse and the header row's formatting. A lookup that failed (timeout, SERVFAIL) is never kept, nor a
// verdict read from answers past MAX_KEPT_ANSWERS characters.
import mailauth from 'mailauth';
import { deepFreeze } from '../util/deep-freeze.js';

type Lookup = (name: string, type: string) => Promise<string[][] | string[]>;
export type DmarcInput = Parameters<typeof mailauth.dmarc>[0];
export type DmarcVerdict = Awaited<ReturnType<typeof mailauth.dmarc>>;

/** One question asked while judging, and its answer (the records, or the code of the error it failed with). */
interface Asked {
  name: string;
  type: string;
  answer: string;
}

interface Kept {
  asked: Asked[];
  verdict: DmarcVerdict;
}

/** Codes mailauth's DMARC lookup takes for "no record" (anything else is a temperror, never kept). */
const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA']);

const MAX_KEPT = 2_000;
/**
 * Characters of answers one kept verdict may hold (its questions' answers, and the record inside the verdict). A
 * DMARC record is a few hundred; a stranger's own DNS may answer 64 KB, and each subdomain he names in From: would
 * keep its own copy (2,000 × ~130 KB per worker thread): such a verdict is given, not kept (security review 8).
 */
const MAX_KEPT_ANSWERS = 4096;

/** The answer to (name, type) as one comparable string: "ok:" and the records, or "err:" and the code. */
async function ask(lookup: Lookup, name: string, type: string): Promise<{ text: string; value?: unknown; error?: unknown }> {
  try {
    const value = await lookup(name, type);
    return { text: `ok:${JSON.stringify(value)}`, value };
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    return { text: `err:${typeof code === 'string' ? code : '?'}:${(e as Error)?.message ?? String(e)}`, error: e };
  }
}

export class DmarcMemo {
  private readonly kept = new Map<string, Kept>();

  get size(): number {
    return this.kept.size;
  }

  /**
   * mailauth.dmarc(input) with input.resolver as `lookup`, or the verdict kept for the same inputs when the DNS
   * still answers the same. The verdict returned is frozen: callers read it, never change it.
   */
  async dmarc(input: Omit<DmarcInput, 'resolver'>, lookup: Lookup): Promise<DmarcVerdict> {
    const from = String(input.headerFrom);
    const key = JSON.stringify([from.slice(from.indexOf('@') + 1), input.spfDomains ?? [], input.dkimDomains ?? [], (input as { arcResult?: unknown }).arcResult ?? null]);
    const hit = this.kept.get(key);
    if (hit && (await this.stillAnswers(hit.asked, lookup))) return hit.verdict;
    const asked: Asked[] = [];
    let failed = false;
    const recording: Lookup = async (name, type) => {
      const a = await ask(lookup, name, type);
      asked.push({ name, type, answer: a.text });
      if (a.error !== undefined) {
        const code = (a.error as { code?: unknown } | null)?.code;
        if (typeof code !== 'string' || !NO_RECORD.has(code)) failed = true;
        throw a.error;
      }
      return a.value as string[][] | string[];
    };
    const verdict = await mailauth.dmarc({ ...input, resolver: recording } as DmarcInput);
    if (failed || !verdict || verdict.status?.result === 'temperror' || asked.reduce((n, q) => n + q.answer.length, 0) > MAX_KEPT_ANSWERS) {
      this.kept.delete(key);
      return verdict;
    }
    this.kept.delete(key);
    if (this.kept.size >= MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(key, { asked, verdict: deepFreeze(verdict) });
    return verdict;
  }

  /** Every question of a kept verdict asked again in its order: true when each answer is the same as then. */
  private async stillAnswers(asked: readonly Asked[], lookup: Lookup): Promise<boolean> {
    for (const q of asked) {
      if ((await ask(lookup, q.name, q.type)).text !== q.answer) return false;
    }
    return true;
  }
}
