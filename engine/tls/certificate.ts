// The server's TLS certificate: [tls] cert/key when configured, else a self-signed certificate for
// `hostname`, generated once into <data_dir>/tls/ and reused. Private keys are written 0600.
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';

export interface CertPair {
  key: Buffer;
  cert: Buffer;
  selfSigned: boolean;
}

/**
 * A configured certificate and key, read and checked together now, so that a half-renewed pair (a new
 * certificate beside the old key), a file that is gone or one that is not PEM stops the start with both files
 * named (`what`: "[tls]", "[[tls.domain]] example.jp") instead of a bare OpenSSL message.
 */
export function readCertFiles(what: string, certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const read = (kind: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new Error(`${what} ${kind} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const pair = { cert: read('cert', certFile), key: read('key', keyFile) };
  try {
    tls.createSecureContext(pair);
  } catch (e) {
    const m = (e as Error).message;
    const why = /key values mismatch/.test(m) ? 'the key does not belong to the certificate (replace both files together)' : m;
    throw new Error(`${what} cert ${certFile} with key ${keyFile}: ${why}`);
  }
  return pair;
}

export async function loadOrCreateCertificate(opts: { dataDir: string; hostname: string; cert?: string; key?: string }): Promise<CertPair> {
  if (opts.cert && opts.key) {
    return { ...readCertFiles('[tls]', opts.cert, opts.key), selfSigned: false };
  }
  const dir = path.join(opts.dataDir, 'tls');
  const certFile = path.join(dir, 'selfsigned.crt');
  const keyFile = path.join(dir, 'selfsigned.key');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), selfSigned: true };
  }
  // loaded only here: the module costs about 0.2 s of CPU to load, and every start after the first finds the files
  const { default: selfsigned } = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: opts.hostname }], {
    keySize: 2048,
    days: 3650,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: opts.hostname }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  } as never);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
  fs.writeFileSync(certFile, pems.cert);
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), selfSigned: true };
}
