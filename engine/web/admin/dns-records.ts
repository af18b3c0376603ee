// The DNS records a local domain needs (MX, SPF, DKIM, DMARC, MTA-STS), and what DNS answers for each now,
// asked through tegami's own resolver ([dns] servers). Each record is judged ok / missing / different /
// error; a lookup failure is "error", never "ok". It only reads DNS and the domain's DKIM key file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Resolver } from '../../dns/resolver.js';
import { dkimDir, lookUp, txtRecord, validDomain, type KeySource } from '../../outbound/dkim.js';
import { addSealedKey } from '../../outbound/dkim-keys.js';
import type { Db } from '../../db/database.js';

export type RecordKind = 'MX' | 'SPF' | 'DKIM' | 'DMARC' | 'MTA-STS';
export type CheckState = 'ok' | 'missing' | 'different' | 'error';

export interface NeededRecord {
  kind: RecordKind;
  name: string;
  type: 'MX' | 'TXT';
  /** What to publish (MX: "10 host."; TXT: the text). */
  value: string;
}

export interface RecordCheck extends NeededRecord {
  state: CheckState;
  /** What DNS answers now (each record as text), or the lookup error. */
  found: string[];
}

/** The records `domain` should publish for a server called `hostname`. */
export function neededRecords(keys: KeySource, domain: string, hostname: string): NeededRecord[] {
  const out: NeededRecord[] = [
    { kind: 'MX', name: domain, type: 'MX', value: `10 ${hostname}.` },
    { kind: 'SPF', name: domain, type: 'TXT', value: 'v=spf1 mx -all' },
  ];
  const key = lookUp(keys, domain);
  if (key) {
    const rec = txtRecord(domain, key.selector, key.privateKey);
    out.push({ kind: 'DKIM', name: rec.name, type: 'TXT', value: rec.value });
  }
  out.push({ kind: 'DMARC', name: `_dmarc.${domain}`, type: 'TXT', value: `v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}` });
  out.push({ kind: 'MTA-STS', name: `_mta-sts.${domain}`, type: 'TXT', value: `v=STSv1; id=${new Date().toISOString().slice(0, 10).replace(/-/g, '')}` });
  return out;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
/** A DKIM TXT value's p= part (the key), which is what must match. */
const dkimKeyOf = (s: string) => /(?:^|;)\s*p=([^;]*)/i.exec(s.replace(/\s+/g, ''))?.[1] ?? '';

async function lookup(resolver: Resolver, r: NeededRecord): Promise<{ found: string[] } | { error: string }> {
  try {
    if (r.type === 'MX') return { found: (await resolver.resolveMx(r.name)).sort((a, b) => a.priority - b.priority).map((m) => `${m.priority} ${m.exchange.replace(/\.?$/, '.')}`) };
    return { found: (await resolver.resolveTxt(r.name)).map((chunks) => chunks.join('')) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOTFOUND' || code === 'ENODATA') return { found: [] };
    return { error: code || (e as Error).message };
  }
}

function judge(r: NeededRecord, found: string[], hostname: string): CheckState {
  switch (r.kind) {
    case 'MX':
      if (!found.length) return 'missing';
      return found.some((f) => norm(f.split(' ')[1] ?? '') === `${hostname.toLowerCase()}.`) ? 'ok' : 'different';
    case 'SPF': {
      const spf = found.filter((f) => /^v=spf1(\s|$)/i.test(f.trim()));
      if (!spf.length) return 'missing';
      // one SPF record (RFC 7208 §4.5) that names our MX or this host
      return spf.length === 1 && /\b(mx|a:|include:|ip4:|ip6:)/i.test(spf[0]) && !/\+all\b/i.test(spf[0]) ? 'ok' : 'different';
    }
    case 'DKIM': {
      const txt = found.filter((f) => /v=DKIM1/i.test(f) || /p=/i.test(f));
      if (!txt.length) return 'missing';
      return txt.some((f) => dkimKeyOf(f) === dkimKeyOf(r.value)) ? 'ok' : 'different';
    }
    case 'DMARC': {
      const d = found.filter((f) => /^v=DMARC1/i.test(f.trim()));
      return d.length === 1 ? 'ok' : d.length ? 'different' : 'missing';
    }
    case 'MTA-STS': {
      const s = found.filter((f) => /^v=STSv1/i.test(f.trim()));
      return s.length === 1 ? 'ok' : s.length ? 'different' : 'missing';
    }
  }
}

/** Every needed record with what DNS says now. */
export async function checkRecords(resolver: Resolver, keys: KeySource, domain: string, hostname: string): Promise<RecordCheck[]> {
  const needed = neededRecords(keys, domain, hostname);
  return Promise.all(
    needed.map(async (r) => {
      const a = await lookup(resolver, r);
      if ('error' in a) return { ...r, state: 'error' as const, found: [a.error] };
      return { ...r, state: judge(r, a.found, hostname), found: a.found };
    }),
  );
}

export type DkimGen = { ok: true; selector: string; record: { name: string; value: string } } | { ok: false; reason: 'bad-selector' | 'exists' | 'bad-domain' };

/**
 * A new DKIM key for `domain` under `selector` (RSA 2048), made without blocking the event loop, written the
 * way `tegami dkim keygen` writes it (<data_dir>/dkim/<domain>/<selector>.key, 0600, renamed into place), or
 * with `sealedIn` (the node's copy on PostgreSQL) as a sealed dkim_keys row, as keygen does there.
 */
export async function generateDkim(dataDir: string, domain: string, selector: string, sealedIn: Db | null = null): Promise<DkimGen> {
  const d = domain.toLowerCase();
  if (!validDomain(d)) return { ok: false, reason: 'bad-domain' };
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(selector)) return { ok: false, reason: 'bad-selector' };
  const dir = path.join(dkimDir(dataDir), d);
  const file = path.join(dir, `${selector}.key`);
  if (!sealedIn && fs.existsSync(file)) return { ok: false, reason: 'exists' };
  const pem = await new Promise<string>((resolve, reject) =>
    crypto.generateKeyPair('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }, (e, _pub, priv) =>
      e ? reject(e) : resolve(priv),
    ),
  );
  if (sealedIn) return addSealedKey(sealedIn, dataDir, d, selector, pem) ? { ok: true, selector, record: txtRecord(d, selector, pem) } : { ok: false, reason: 'exists' };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, pem, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file); // whole or not at all, and never over a key made meanwhile
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { ok: false, reason: 'exists' };
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { ok: true, selector, record: txtRecord(d, selector, pem) };
}
