// Which certificate a TLS handshake gets (A6: per-domain certificates, [[tls.domain]]): the one whose names
// cover the host the client asked for by SNI (exact, then wildcard, then the configured domain's subdomains),
// else the one bound to the local address the client reached, else the default. Contexts are built once, at
// start, so a bad certificate or a key that does not match fails then. It never reads a socket itself.
import crypto from 'node:crypto';
import tls from 'node:tls';
import { canonicalIp } from '../config/schema.js';
import { readCertFiles } from './certificate.js';

export interface CertPair {
  cert: Buffer | string;
  key: Buffer | string;
}

export interface DomainCert extends CertPair {
  /** The domain it serves (itself and its subdomains match by SNI). */
  domain: string;
  /** The local address it is chosen by when SNI names no known host. */
  ip?: string;
}

interface Entry {
  domain: string;
  ip?: string;
  pair: CertPair;
  /** DNS names of the certificate (subjectAltName, else the subject CN), lower case. */
  names: string[];
  context: tls.SecureContext;
}

/** The protocol floor every listener keeps (as engine/net/tls.ts). */
const MIN_VERSION: tls.SecureVersion = 'TLSv1.2';

function context(pair: CertPair): tls.SecureContext {
  return tls.createSecureContext({ cert: pair.cert, key: pair.key, minVersion: MIN_VERSION });
}

/** The DNS names a certificate is for. */
export function certificateNames(cert: Buffer | string): string[] {
  const x = new crypto.X509Certificate(cert);
  const san = (x.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4).toLowerCase());
  if (san.length) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** A requested host name as SNI gives it: lower case, no trailing dot; null when it is not a host name. */
function hostName(servername: string | undefined): string | null {
  if (!servername) return null;
  const n = servername.toLowerCase().replace(/\.$/, '');
  return n.length <= 253 && /^[a-z0-9.-]+$/.test(n) ? n : null;
}

function wildcardCovers(pattern: string, name: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

export class CertificateSelector {
  private readonly entries: Entry[];
  private readonly fallback: tls.SecureContext;

  constructor(
    private readonly fallbackPair: CertPair,
    domains: DomainCert[] = [],
  ) {
    this.fallback = context(fallbackPair);
    this.entries = domains.map((d) => ({
      domain: d.domain.toLowerCase().replace(/\.$/, ''),
      ip: d.ip ? canonicalIp(d.ip) : undefined,
      pair: { cert: d.cert, key: d.key },
      names: certificateNames(d.cert),
      context: context(d),
    }));
  }

  /** From [tls] cert/key (or the self-signed pair) and the [[tls.domain]] entries (files read now). */
  static fromConfig(fallback: CertPair, domains: { domain: string; cert: string; key: string; ip?: string }[]): CertificateSelector {
    return new CertificateSelector(
      fallback,
      domains.map((d) => ({ domain: d.domain, ip: d.ip, ...readCertFiles(`[[tls.domain]] ${d.domain}`, d.cert, d.key) })),
    );
  }

  /** The entry for a host named by SNI: an exact certificate name, a wildcard one, then the configured domain or a subdomain of it. */
  private bySni(name: string, localIp: string | undefined): Entry | undefined {
    const tiers: ((e: Entry) => boolean)[] = [
      (e) => e.names.includes(name) || e.domain === name,
      (e) => e.names.some((p) => wildcardCovers(p, name)),
      (e) => name.endsWith(`.${e.domain}`),
    ];
    for (const matches of tiers) {
      const found = this.entries.filter(matches);
      if (found.length) return found.find((e) => e.ip === localIp) ?? found[0];
    }
    return undefined;
  }

  /** The context for a handshake on `localAddress` that asked for `servername` (either may be absent). */
  certificateFor(o: { localAddress?: string; servername?: string }): tls.SecureContext {
    const ip = o.localAddress ? canonicalIp(o.localAddress) : undefined;
    const name = hostName(o.servername);
    const entry = (name ? this.bySni(name, ip) : undefined) ?? (ip ? this.entries.find((e) => e.ip === ip) : undefined);
    return entry?.context ?? this.fallback;
  }

  /**
   * Options for a server-side TLSSocket (or tls.createServer) accepted on `localAddress`: the context chosen by
   * the address, replaced by SNI's choice when the client names a host.
   */
  serverOptions(localAddress: string | undefined): { secureContext: tls.SecureContext; SNICallback: (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void } {
    return {
      secureContext: this.certificateFor({ localAddress }),
      SNICallback: (servername, cb) => cb(null, this.certificateFor({ localAddress, servername })),
    };
  }

  /** The certificate and key a handshake on `localAddress` without SNI gets (the STARTTLS context of an SMTP listener address). */
  pairFor(localAddress: string | undefined): CertPair {
    const ip = localAddress ? canonicalIp(localAddress) : undefined;
    return (ip ? this.entries.find((e) => e.ip === ip)?.pair : undefined) ?? this.fallbackPair;
  }

  /** Whether a certificate is bound to this local address. */
  boundTo(localAddress: string | undefined): boolean {
    const ip = localAddress ? canonicalIp(localAddress) : undefined;
    return !!ip && this.entries.some((e) => e.ip === ip);
  }

  /** Whether any per-domain certificate is configured (else the default serves every handshake). */
  get perDomain(): boolean {
    return this.entries.length > 0;
  }
}
