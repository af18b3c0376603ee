// The server's TLS certificate: [tls] cert/key when configured, else a self-signed certificate for
// `hostname`, generated once into <data_dir>/tls/ and reused. Private keys are written 0600.
import fs from 'node:fs';
import path from 'node:path';
import selfsigned from 'selfsigned';

export interface CertPair {
  key: Buffer;
  cert: Buffer;
  selfSigned: boolean;
}

export async function loadOrCreateCertificate(opts: { dataDir: string; hostname: string; cert?: string; key?: string }): Promise<CertPair> {
  if (opts.cert && opts.key) {
    return { cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key), selfSigned: false };
  }
  const dir = path.join(opts.dataDir, 'tls');
  const certFile = path.join(dir, 'selfsigned.crt');
  const keyFile = path.join(dir, 'selfsigned.key');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), selfSigned: true };
  }
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
