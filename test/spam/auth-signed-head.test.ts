// A DKIM-Signature field that mailauth reads as one but a quick look at the header misses (its name folded before
// the colon, or white space JavaScript trims around it) is verified over the whole message, never over the header
// section alone: a signature over an empty body must not make any body pass (engine/spam/auth.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import mailauth from 'mailauth';
import { verifyDkimDmarc } from '../../engine/spam/auth.js';
import type { Resolver } from '../../engine/dns/resolver.js';

test('a signature over an empty body does not pass a message with a body appended, whatever its field name looks like', async () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const head = 'From: =?UTF-8?B?6YqA6KGM?= <info@bank.example>\r\nTo: u@example.test\r\nSubject: notice\r\n';
  const signed = await mailauth.dkimSign(Buffer.from(`${head}\r\n`), {
    signingDomain: 'bank.example',
    selector: 's1',
    privateKey: pem,
    signatureData: [{ canonicalization: 'relaxed/relaxed', signingDomain: 'bank.example', selector: 's1', privateKey: pem, algorithm: 'rsa-sha256' }],
  });
  const sig = signed.signatures.replace(/\r\n$/, '');
  const resolver = {
    resolve: async (name: string, type: string) => {
      if (name === 's1._domainkey.bank.example' && type === 'TXT') return [[`v=DKIM1; k=rsa; p=${p}`]];
      if (name === '_dmarc.bank.example' && type === 'TXT') return [['v=DMARC1; p=reject']];
      throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
    },
  } as unknown as Resolver;
  const forged = '\r\n振込先が変わりました。 https://evil.example/\r\n';
  // the untouched signature over the empty body: passes as signed, fails with a body
  const plain = await verifyDkimDmarc(Buffer.from(`${sig}\r\n${head}\r\n`), resolver, { mailFrom: 'info@bank.example' }, 10_000);
  assert.ok(plain.tags.includes('DKIM_PASS') && plain.tags.includes('DMARC_PASS'), plain.authResults.join('; '));
  for (const [name, field] of [
    ['as signed', sig],
    ['name folded before the colon', sig.replace(/^DKIM-Signature:/, 'DKIM-Signature\r\n :')],
    ['form feed before the colon', sig.replace(/^DKIM-Signature:/, 'DKIM-Signature\f:')],
    ['space before the name on the first line', ` ${sig}`],
  ]) {
    const out = await verifyDkimDmarc(Buffer.from(`${field}\r\n${head}${forged}`), resolver, { mailFrom: 'info@bank.example' }, 10_000);
    assert.ok(!out.tags.includes('DKIM_PASS'), `${name}: ${out.authResults.join('; ')}`);
    assert.ok(!out.tags.includes('DMARC_PASS'), `${name}: ${out.authResults.join('; ')}`);
  }
});
