// Fetching an MTA-STS policy file (RFC 8461 §3.3): GET https://mta-sts.<domain>/.well-known/mta-sts.txt
// with the certificate checked against the trusted CAs for that exact name, the host found through
// tegami's own resolver, a 200 text/plain answer only, no redirects, at most 64 KB, within a deadline.
// It returns the text or the reason it failed; it never parses, caches or follows anything.
import https from 'node:https';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import type { Resolver } from '../dns/resolver.js';
import { neverAnExchanger } from './exchanger-screen.js';

export const MAX_POLICY_BYTES = 64 * 1024;

export interface FetchOptions {
  resolver: Resolver;
  port: number;
  timeoutMs: number;
  /** PEM bundle of trusted CAs; undefined = Node's built-in roots. */
  ca?: string;
}

export type FetchResult = { ok: true; text: string } | { ok: false; reason: string };

/** net's lookup hook answered from tegami's resolver (A first, then AAAA). */
function lookupVia(resolver: Resolver): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number | string }, cb: (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void) => {
    (async () => {
      const found: { address: string; family: number }[] = [];
      if (net.isIP(hostname)) found.push({ address: hostname, family: net.isIP(hostname) });
      else {
        const [a, aaaa] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
        if (a.status === 'fulfilled') for (const x of a.value) found.push({ address: x, family: 4 });
        if (aaaa.status === 'fulfilled') for (const x of aaaa.value) found.push({ address: x, family: 6 });
      }
      const fam = Number(options?.family) || 0;
      // a policy host's DNS is the domain owner's word: never a link-local (metadata service), multicast or unspecified address
      const usable = found.filter((f) => (!fam || f.family === fam) && !neverAnExchanger(f.address));
      if (!usable.length) {
        const e = new Error(`no address for ${hostname}`) as NodeJS.ErrnoException;
        e.code = 'ENOTFOUND';
        return cb(e, options?.all ? [] : '', 0);
      }
      if (options?.all) cb(null, usable);
      else cb(null, usable[0].address, usable[0].family);
    })().catch((e: NodeJS.ErrnoException) => cb(e, options?.all ? [] : '', 0)); // a resolver that throws fails this lookup only
  }) as unknown as LookupFunction;
}

export function policyUrl(domain: string, port: number): string {
  return `https://mta-sts.${domain}${port === 443 ? '' : ':' + port}/.well-known/mta-sts.txt`;
}

export function fetchPolicyText(domain: string, o: FetchOptions): Promise<FetchResult> {
  const host = `mta-sts.${domain}`;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: FetchResult) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      req.destroy();
      resolve(r);
    };
    const req = https.request({
      host,
      port: o.port,
      path: '/.well-known/mta-sts.txt',
      method: 'GET',
      servername: host,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(o.ca ? { ca: o.ca } : {}),
      lookup: lookupVia(o.resolver),
      agent: false,
      headers: { 'user-agent': 'tegami-mta-sts', accept: 'text/plain' },
    });
    const deadline = setTimeout(() => finish({ ok: false, reason: `timed out after ${o.timeoutMs} ms` }), o.timeoutMs);
    deadline.unref();
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, reason: `${e.code ? e.code + ': ' : ''}${e.message}` }));
    req.on('response', (res) => {
      // RFC 8461 §3.3: a redirect is not followed, any other status than 200 is a failure
      if (res.statusCode !== 200) return finish({ ok: false, reason: `HTTP ${res.statusCode}${res.headers.location ? ' (redirect not followed)' : ''}` });
      const type = String(res.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (type !== 'text/plain') return finish({ ok: false, reason: `Content-Type "${res.headers['content-type'] ?? ''}" is not text/plain` });
      const declared = Number(res.headers['content-length']);
      if (declared > MAX_POLICY_BYTES) return finish({ ok: false, reason: `policy larger than ${MAX_POLICY_BYTES} bytes` });
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_POLICY_BYTES) return finish({ ok: false, reason: `policy larger than ${MAX_POLICY_BYTES} bytes` });
        chunks.push(c);
      });
      res.on('end', () => finish({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => finish({ ok: false, reason: e.message }));
    });
    req.end();
  });
}
