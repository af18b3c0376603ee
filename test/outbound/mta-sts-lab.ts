// Lab pieces for the MTA-STS and relay-credential tests: a throwaway CA (selfsigned) with leaf certificates
// signed by it, self-signed certificates, and an HTTPS policy server on loopback that answers per Host header
// and counts requests. Test-only: the keys live in memory and in the test's temporary directory, never
// anywhere else.
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';

export interface Pem {
  key: string;
  cert: string;
}

export async function labCa(): Promise<Pem> {
  const p = await selfsigned.generate([{ name: 'commonName', value: 'tegami MTA-STS lab CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  } as never);
  return { key: p.private, cert: p.cert };
}

/** SANs: IP addresses as such, anything else as a DNS name. */
function altNames(names: string[]): object[] {
  return names.map((n) => (net.isIP(n) ? { type: 7, ip: n } : { type: 2, value: n }));
}

/** A server certificate for `names` (DNS SANs, "*.x" allowed; IP addresses as IP SANs) signed by `ca`. */
export async function leafCert(ca: Pem, names: string[]): Promise<Pem> {
  const p = await selfsigned.generate([{ name: 'commonName', value: names[0] }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(names) },
    ],
  } as never);
  return { key: p.private, cert: p.cert };
}

/** A self-signed server certificate for `names` (no CA vouches for it). */
export async function selfSignedCert(names: string[]): Promise<Pem> {
  const p = await selfsigned.generate([{ name: 'commonName', value: names[0] }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(names) },
    ],
  } as never);
  return { key: p.private, cert: p.cert };
}

export interface PolicyAnswer {
  status?: number;
  type?: string;
  body: string;
  headers?: Record<string, string>;
}

export interface PolicyServer {
  port: number;
  /** Requests per Host (without port). */
  hits: Map<string, number>;
  set(host: string, answer: PolicyAnswer): void;
  close(): Promise<void>;
}

export async function startPolicyServer(pem: Pem, host = '127.0.0.1'): Promise<PolicyServer> {
  const answers = new Map<string, PolicyAnswer>();
  const hits = new Map<string, number>();
  const server = https.createServer({ key: pem.key, cert: pem.cert }, (req, res) => {
    const h = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    hits.set(h, (hits.get(h) ?? 0) + 1);
    const a = answers.get(h);
    if (!a || req.url !== '/.well-known/mta-sts.txt') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found\n');
    }
    res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'text/plain', ...(a.headers ?? {}) });
    res.end(a.body);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    set: (h, a) => answers.set(h.toLowerCase(), a),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function policy(mode: string, mx: string[], maxAge = 86400): string {
  return ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`, ''].join('\r\n');
}
