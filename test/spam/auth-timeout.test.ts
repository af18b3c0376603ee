// verifyDkimDmarc's time limit (engine/spam/auth.ts, on the thread's shared timer): a DNS that never answers
// gives temperror for DKIM and DMARC, never a failing tag, and a check that answers in time is not cut short
// by another one's limit on the same timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyDkimDmarc } from '../../engine/spam/auth.js';
import type { Resolver } from '../../engine/dns/resolver.js';

const msg = (from: string) => Buffer.from(`From: ${from}\r\nTo: u@example.test\r\nSubject: s\r\n\r\nbody\r\n`);

test('a DNS that never answers: temperror at the limit; an answering one beside it: its verdict', async () => {
  const silent = { resolve: () => new Promise(() => {}) } as unknown as Resolver;
  const answering = {
    resolve: async (name: string) => {
      if (name === '_dmarc.bank.example') return [['v=DMARC1; p=reject']];
      throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    },
  } as unknown as Resolver;
  const [stuck, fine] = await Promise.all([
    verifyDkimDmarc(msg('info@bank.example'), silent, { mailFrom: 'info@bank.example' }, 50),
    verifyDkimDmarc(msg('info@bank.example'), answering, { mailFrom: 'info@bank.example', spf: { result: 'pass', domain: 'bank.example' } }, 60_000),
  ]);
  assert.deepEqual(stuck.tags, []);
  assert.deepEqual(stuck.authResults, ['dkim=temperror (timeout)', 'dmarc=temperror (timeout)']);
  assert.ok(fine.tags.includes('DMARC_PASS'), fine.authResults.join('; '));
});
