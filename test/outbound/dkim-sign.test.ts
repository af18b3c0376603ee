// engine/outbound/dkim.ts signMessage: the signature verifies whatever the clock does while signing. mailauth
// reads the clock for t= when it hashes the header and again when it writes the header out; a signature made
// across a half-second boundary used to carry a t= other than the one signed. Here the clock jumps 600 ms on
// every read, so each signature straddles a boundary; mailauth verifies against the published key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { signMessage, txtRecord, type DkimKey } from '../../engine/outbound/dkim.js';

const MESSAGES: [string, string][] = [
  ['ASCII', 'From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: hello\r\nDate: Sat, 05 Dec 2026 09:53:29 +0000\r\n\r\nbody\r\n'],
  ['ISO-2022-JP', 'From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <alice@example.test>\r\nTo: bob@remote.test\r\nSubject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n'],
  ['UTF-8', 'From: =?UTF-8?B?5bGx55Sw?= <alice@example.test>\r\nTo: bob@remote.test\r\nSubject: =?UTF-8?B?5pel5pys6Kqe?=\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n日本語の本文\r\n'],
];

for (const type of ['rsa', 'ed25519'] as const) {
  test(`a ${type} signature verifies even when the clock crosses a half second while signing`, async () => {
    const pem = (type === 'rsa' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ed25519')).privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const key: DkimKey = { domain: 'example.test', selector: 's1', privateKey: pem, algorithm: type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256' };
    const rec = txtRecord('example.test', 's1', pem);
    const realNow = Date.now;
    let clock = Date.UTC(2026, 11, 5, 9, 53, 29, 400);
    for (const [name, text] of MESSAGES) {
      const message = Buffer.from(text, 'latin1');
      let signed;
      Date.now = () => (clock += 600);
      try {
        signed = await signMessage(message, key);
      } finally {
        Date.now = realNow;
      }
      assert.ok(signed.ok, name);
      const v = await dkimVerify(Buffer.concat([Buffer.from(signed.header, 'utf8'), message]), {
        resolver: async (qname: string) => (qname === rec.name ? [[rec.value]] : Promise.reject(Object.assign(new Error('no such name'), { code: 'ENOTFOUND' }))),
      } as unknown as Parameters<typeof dkimVerify>[1]);
      assert.deepEqual(v.results.map((r) => r.status.result), ['pass'], `${name}: ${JSON.stringify(v.results.map((r) => r.status))}`);
    }
  });
}
