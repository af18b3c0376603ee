// A throwaway self-signed certificate for lab peers (sink MTAs offering STARTTLS, fake servers).
// Generated once per process and kept in memory only; it must never be used outside the lab.
import selfsigned from 'selfsigned';

export interface LabCert {
  key: string;
  cert: string;
}

let pending: Promise<LabCert> | undefined;

export function labCertificate(hostname = 'lab.example.test'): Promise<LabCert> {
  pending ??= (async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: hostname }], {
      keySize: 2048,
      days: 30,
      algorithm: 'sha256',
      extensions: [
        { name: 'subjectAltName', altNames: [{ type: 2, value: hostname }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    } as never);
    return { key: pems.private, cert: pems.cert };
  })();
  return pending;
}
