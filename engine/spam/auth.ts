// DKIM (RFC 6376) and DMARC (RFC 7489) verification of a whole message with mailauth, every DNS query
// through our resolver. Results become tags and Authentication-Results parts; a lookup that fails or runs
// past the time limit yields temperror, never a failing tag.
import { createRequire } from 'node:module';
import mailauth from 'mailauth';
import type { Resolver } from '../dns/resolver.js';
import { fromAddresses } from '../mime/author-readings.js';
import type { DmarcMemo } from './dmarc-memo.js';
import { SharedTimeouts } from '../util/shared-timeouts.js';
import type { Tag } from './tags.js';

export interface AuthOutcome {
  tags: Tag[];
  authResults: string[];
  details: string[];
}

/** Every DKIM key and DMARC record through the resolver, whose cache ([dns] cache_size) keeps each answer for its TTL. */
function lookupVia(resolver: Resolver): (name: string, type: string) => Promise<string[][] | string[]> {
  return (name, type) => resolver.resolve(name, type) as Promise<string[][] | string[]>;
}

/**
 * What DKIM needs to read: the whole message when its header section has a DKIM-Signature field, else only the
 * header section (mailauth answers "dkim=none" and the From: domains alike, without streaming the body through
 * its canonicaliser). The header section ends where mailauth ends it: at the first LF followed by LF or CR LF.
 */
export function signedPart(raw: Buffer): Buffer {
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) {
    const end = raw[i + 1] === 0x0a ? i + 2 : raw[i + 1] === 0x0d && raw[i + 2] === 0x0a ? i + 3 : -1;
    if (end < 0) continue;
    const head = raw.subarray(0, end);
    return DKIM_FIELD.test(head.toString('latin1')) ? raw : head;
  }
  return raw;
}

/** A DKIM-Signature field at the start of a header line (any case, white space before the colon). */
const DKIM_FIELD = /(?:^|\n)dkim-signature[ \t]*:/i;

/** mailauth's own header reader, address parser and result formatter (its files, so the fast path reads alike). */
const fromMailauth = createRequire(createRequire(import.meta.url).resolve('mailauth'));
const { parseHeaders, formatAuthHeaderRow } = fromMailauth('./tools') as {
  parseHeaders(buf: Buffer): { parsed: { key: string | null; line: Buffer }[] };
  formatAuthHeaderRow(method: string, status: { result: string; comment?: string }): string;
};
const addressparser = fromMailauth('nodemailer/lib/addressparser') as (s: string) => { address?: string }[];

type DkimOutcome = Awaited<ReturnType<typeof mailauth.dkimVerify>>;

/**
 * What mailauth.dkimVerify answers for a header section with no DKIM-Signature and no ARC field — "dkim=none
 * (message not signed)" and the From: addresses — without streaming it byte by byte through its verifier (a fifth
 * of the analysis of a small message). The same steps as its verifier: its header reader, each From field's value
 * after the colon, trimmed, through its address parser. Anything signed (or sealed) goes to mailauth itself.
 */
export function unsignedDkim(head: Buffer): DkimOutcome | null {
  const parsed = parseHeaders(head).parsed;
  const headerFrom: string[] = [];
  for (const h of parsed) {
    if (h.key === 'dkim-signature' || h.key?.startsWith('arc-')) return null;
    if (h.key !== 'from') continue;
    const line = h.line.toString();
    const colon = line.indexOf(':');
    for (const a of addressparser((colon >= 0 ? line.slice(colon + 1) : line).trim())) if (a && a.address) headerFrom.push(a.address);
  }
  return { headerFrom, results: [{ status: { ...UNSIGNED }, info: UNSIGNED_INFO }] } as unknown as DkimOutcome;
}

/** The verdict of an unsigned message and its Authentication-Results part, formatted once by mailauth's formatter. */
const UNSIGNED = { result: 'none', comment: 'message not signed' } as const;
const UNSIGNED_INFO = formatAuthHeaderRow('dkim', { ...UNSIGNED });

/** The checks' time limits, on one timer per thread. */
const LIMITS = new SharedTimeouts();

export async function verifyDkimDmarc(
  raw: Buffer,
  resolver: Resolver,
  input: { mailFrom: string; spf?: { result: string; domain: string } },
  timeoutMs: number,
  /** Verdicts kept between messages (an analyser's): asked again of the resolver, reused while it answers the same. */
  memo?: DmarcMemo,
): Promise<AuthOutcome> {
  const lookup = lookupVia(resolver);
  let cancel: (() => void) | undefined;
  const timeout = new Promise<AuthOutcome>((resolve) => {
    cancel = LIMITS.after(timeoutMs, () => resolve({ tags: [], authResults: ['dkim=temperror (timeout)', 'dmarc=temperror (timeout)'], details: ['timeout'] }));
  });
  const work = (async (): Promise<AuthOutcome> => {
    const out: AuthOutcome = { tags: [], authResults: [], details: [] };
    const part = signedPart(raw);
    // signedPart's look is only a first guess: whatever mailauth's own header reader calls signed (a field name
    // folded or padded before its colon) is verified over the whole message, never over the header alone
    const dkim = (part !== raw && unsignedDkim(part)) || (await mailauth.dkimVerify(raw, { resolver: lookup, sender: input.mailFrom || undefined }));
    let pass = false;
    let fail = false;
    for (const r of dkim.results ?? []) {
      if (r.info) out.authResults.push(r.info);
      if (r.status.result === 'pass') pass = true;
      else if (r.status.result === 'fail' || r.status.result === 'permerror' || r.status.result === 'neutral') {
        fail = true;
        out.details.push(`dkim ${r.signingDomain ?? ''} ${r.status.result}${r.status.comment ? ` (${r.status.comment})` : ''}`);
      }
    }
    if (pass) out.tags.push('DKIM_PASS');
    else if (fail) out.tags.push('DKIM_FAIL');
    // mailauth judges one From: address and answers nothing for several ("From: info@bank.example,
    // me@attacker.example" skipped the bank's p=reject) or for a group: each domain any reader finds in From:
    // (engine/mime/author-readings.ts) is judged alone, one failing fails the message and it passes only
    // when every one passes (security review 4)
    const named = [...(dkim.headerFrom ?? []), ...fromAddresses(raw)].filter((a) => a.includes('@'));
    const authors = [...new Map(named.map((a) => [a.slice(a.lastIndexOf('@') + 1).toLowerCase(), a])).values()].slice(0, 5);
    let passed = 0;
    for (const headerFrom of authors) {
      const judged = {
        headerFrom,
        spfDomains: input.spf?.result === 'pass' ? [input.spf.domain] : [],
        dkimDomains: (dkim.results ?? []).filter((r) => r.status.result === 'pass').map((r) => ({ id: r.id, domain: r.signingDomain, aligned: r.status.aligned, underSized: r.status.underSized })),
      };
      const dm = memo ? await memo.dmarc(judged, lookup) : await mailauth.dmarc({ ...judged, resolver: lookup });
      if (dm && dm.info) out.authResults.push(dm.info);
      if (dm && dm.status.result === 'pass') passed++;
      else if (dm && dm.status.result === 'fail') {
        if (!out.tags.includes('DMARC_FAIL')) out.tags.push('DMARC_FAIL');
        out.details.push(`dmarc fail for ${dm.domain} (policy ${dm.policy})`);
      }
    }
    if (authors.length && passed === authors.length) out.tags.push('DMARC_PASS');
    return out;
  })().catch((e: unknown) => ({ tags: [], authResults: ['dkim=temperror'], details: [`error: ${(e as Error).message}`] }) as AuthOutcome);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    cancel?.();
  }
}
