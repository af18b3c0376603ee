// Security review 4: mailauth's DMARC check takes one From: address and answers nothing for several, so a
// second address in From: switched DMARC off: "From: info@bank.example, me@attacker.example", signed by the
// attacker's own domain, lost neither DMARC_FAIL (the bank publishes p=reject) nor the sender whitelist
// (engine/spam/pipeline.ts refuses it only on SPF_FAIL or DMARC_FAIL), while mail clients show the bank first.
// Raw ISO-2022-JP hid the second address from tegami's own reading but not from mailauth's. Each domain is now
// judged alone: one failing fails the message, it passes only when every one passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import mailauth from 'mailauth';
import { verifyDkimDmarc } from '../../engine/spam/auth.js';
import type { Resolver } from '../../engine/dns/resolver.js';

test('several From: addresses: each domain is judged by DMARC, one failing fails the message', async () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const resolver = {
    resolve: async (name: string, type: string) => {
      if (name === 's1._domainkey.attacker.example' && type === 'TXT') return [[`v=DKIM1; k=rsa; p=${p}`]];
      if (name === '_dmarc.bank.example' && type === 'TXT') return [['v=DMARC1; p=reject']];
      if (name === '_dmarc.attacker.example' && type === 'TXT') return [['v=DMARC1; p=none']];
      throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
    },
  } as unknown as Resolver;
  const judge = async (from: string) => {
    const msg = Buffer.from(`From: ${from}\r\nTo: u@example.test\r\nSubject: =?UTF-8?B?6KuL5rGC5pu4?=\r\n\r\n振込先が変わりました。\r\n`, 'latin1');
    const signed = await mailauth.dkimSign(msg, { signingDomain: 'attacker.example', selector: 's1', privateKey: pem, signatureData: [{ canonicalization: 'relaxed/relaxed', signingDomain: 'attacker.example', selector: 's1', privateKey: pem, algorithm: 'rsa-sha256' }] });
    return verifyDkimDmarc(Buffer.concat([Buffer.from(signed.signatures), msg]), resolver, { mailFrom: 'me@attacker.example', spf: { result: 'pass', domain: 'attacker.example' } }, 10_000);
  };
  for (const from of [
    'info@bank.example',
    'info@bank.example, me@attacker.example',
    'me@attacker.example, "Bank" <info@bank.example>',
    'group: info@bank.example, me@attacker.example;',
    '\x1b$B<info@bank.example>,\x1b(B <me@attacker.example>',
  ]) {
    const out = await judge(from);
    assert.ok(out.tags.includes('DMARC_FAIL'), `${JSON.stringify(from)}: ${out.authResults.join('; ')}`);
    assert.ok(!out.tags.includes('DMARC_PASS'), JSON.stringify(from));
    assert.match(out.details.join('; '), /dmarc fail for bank\.example \(policy reject\)/);
  }
  // the attacker's own domain alone still passes, twice named as well
  for (const from of ['me@attacker.example', 'me@attacker.example, you@attacker.example']) {
    const out = await judge(from);
    assert.ok(out.tags.includes('DMARC_PASS') && !out.tags.includes('DMARC_FAIL'), `${from}: ${out.authResults.join('; ')}`);
  }
});
