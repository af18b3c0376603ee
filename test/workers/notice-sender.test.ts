// Who is told of a failure after the 250 (workers/notice-sender.ts): where DMARC passed, the From: domain that must
// align with MAIL FROM is the author's domain as RFC 5322 reads it, never an "@" in a comment or a quoted display
// name. A stranger who owns attacker.test (DKIM, so DMARC passes) writes `From: x@attacker.test (victim@victim.test)`
// with MAIL FROM:<victim@victim.test>: the notice would go to the victim, carrying the stranger's words in our name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../engine/config/load.js';
import type { Envelope } from '../../engine/spool/envelope.js';
import { MAY_BE_FORGED, noNoticeReason } from '../../workers/notice-sender.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-notice-sender-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const config = parseConfigText(`hostname = "mx.example.test"\ndata_dir = "${tmp}"\n[domains]\nlocal = ["example.test"]\n[spam]\nlocal_networks = []\n`, path.join(tmp, 'tegami.toml'));

const env = (mailFrom: string): Envelope => ({
  id: 'q1',
  time: 0,
  mailFrom,
  rcptTo: [{ address: 'alice@example.test' }] as Envelope['rcptTo'],
  client: { ip: '192.0.2.9', helo: 'mx.attacker.test', protocol: 'ESMTP', listener: 'smtp' },
  origin: { kind: 'relayed' },
});
const head = (from: string) => Buffer.from(`From: ${from}\r\nTo: alice@example.test\r\nSubject: hop\r\n\r\n`);

test("an '@' in a From: comment or display name does not vouch for the MAIL FROM domain", () => {
  const pass = ['DMARC_PASS'];
  for (const from of ['x@attacker.test (victim@victim.test)', '"victim@victim.test" <x@attacker.test>', 'x@attacker.test (a) (victim@victim.test)']) {
    assert.equal(noNoticeReason(config, env('victim@victim.test'), pass, head(from)), MAY_BE_FORGED, from);
  }
});

test('an aligned DMARC pass vouches (the From: domain, or a parent or child of the MAIL FROM domain)', () => {
  const pass = ['DMARC_PASS'];
  assert.equal(noNoticeReason(config, env('bounces@news.shop.test'), pass, head('Shop <info@shop.test>')), null);
  assert.equal(noNoticeReason(config, env('owner@shop.test'), pass, head('=?ISO-2022-JP?B?GyRCJTclZyVDJVcbKEI=?= <info@shop.test>')), null);
  assert.equal(noNoticeReason(config, env('owner@shop.test'), [], head('info@shop.test')), MAY_BE_FORGED, 'no DMARC pass: nothing vouches');
  assert.equal(noNoticeReason(config, env(''), [], head('info@shop.test')), null, 'the null sender is never sent a notice anyway');
  assert.equal(noNoticeReason(config, env('owner@mail.shop.test'), pass, head('info@news.shop.test')), null, 'two subdomains of one organisation');
});

test('alignment is by organisational domain: a stranger with DMARC for a name under a public suffix does not vouch for the suffix', () => {
  // anyone can register evil.duckdns.org (or a github.io site) with its own DKIM key and _dmarc record, so DMARC
  // passes for it; the address at the suffix itself (a real mailbox of the provider) is someone else
  const pass = ['DMARC_PASS'];
  for (const [mailFrom, from] of [
    ['support@duckdns.org', 'x@evil.duckdns.org'],
    ['hostmaster@github.io', 'x@evil.github.io'],
    ['info@co.uk', 'x@attacker.co.uk'],
    ['x@evil.duckdns.org', 'x@duckdns.org'],
    ['victim@victim.test', 'x@victim.test.attacker.test'],
  ]) {
    assert.equal(noNoticeReason(config, env(mailFrom), pass, head(from)), MAY_BE_FORGED, `${mailFrom} / ${from}`);
  }
});
