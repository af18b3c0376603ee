// Over a real `tegami serve`, Python's smtplib and the lab's stand-in DNS: a message carrying bank.example's real
// DKIM signature over an empty body, its field name folded before the colon, with a body of the sender's own
// appended, gets no dkim=pass and no dmarc=pass (the signature is verified over the whole message, engine/spam/auth.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import mailauth from 'mailauth';
import { requireCommand, run, startTestServer, type TestServer } from '../helpers/server.js';
import { startDnsServer, type DnsServer } from '../../lab/dns/server.js';

const SEND = `
import smtplib, sys
port, path = sys.argv[1:3]
s = smtplib.SMTP('127.0.0.1', int(port), local_hostname='mx.bank.example', timeout=30)
s.sendmail('info@bank.example', ['user@example.test'], open(path, 'rb').read())
s.quit()
`;

const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
let dns: DnsServer;
let srv: TestServer;

before(async () => {
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  dns = await startDnsServer({
    zones: [
      { name: 's1._domainkey.bank.example', type: 'TXT', data: [`v=DKIM1; k=rsa; p=${p}`] },
      { name: '_dmarc.bank.example', type: 'TXT', data: ['v=DMARC1; p=none'] },
    ],
  });
  srv = await startTestServer({
    hostname: 'mx.example.test',
    users: [{ address: 'user@example.test', password: 'secret-pass' }],
    toml: ['[dns]', `servers = ["${dns.address}"]`, 'timeout = "15s"'].join('\n'),
  });
});
after(async () => {
  await srv?.stop();
  await dns?.close();
  if (srv) fs.rmSync(srv.dir, { recursive: true, force: true });
});

test('a signature over an empty body, its name folded, does not pass a body appended to it', async (t) => {
  if (!requireCommand(t, 'python3')) return;
  const head = 'From: =?UTF-8?B?6YqA6KGM?= <info@bank.example>\r\nTo: user@example.test\r\nSubject: notice-folded-sig\r\nMessage-ID: <n1@bank.example>\r\n';
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = { signingDomain: 'bank.example', selector: 's1', privateKey: pem };
  const signed = await mailauth.dkimSign(Buffer.from(`${head}\r\n`), { ...key, signatureData: [{ ...key, canonicalization: 'relaxed/relaxed', algorithm: 'rsa-sha256' }] });
  const sig = signed.signatures.replace(/\r\n$/, '').replace(/^DKIM-Signature:/, 'DKIM-Signature\r\n :');
  const file = `${srv.dir}/forged.eml`;
  fs.writeFileSync(file, Buffer.from(`${sig}\r\n${head}\r\n振込先が変わりました。 https://evil.example/\r\n`));
  const r = await run('python3', ['-c', SEND, String(srv.ports.smtp), file]);
  assert.equal(r.code, 0, r.stderr);
  const deadline = Date.now() + 120_000;
  let text: string | undefined;
  while (!text) {
    for (const f of [...srv.maildir('user@example.test', 'INBOX'), ...srv.maildir('user@example.test', 'Spam')]) {
      const s = fs.readFileSync(f, 'latin1');
      if (s.includes('notice-folded-sig')) text = s;
    }
    if (!text && Date.now() > deadline) throw new Error(`not delivered: ${srv.output().slice(-2000)}`);
    if (!text) await new Promise((res) => setTimeout(res, 50));
  }
  const header = text.slice(0, text.indexOf('\r\n\r\n'));
  assert.match(header, /^Authentication-Results: mx\.example\.test;/m);
  assert.doesNotMatch(header, /dkim=pass/, header);
  assert.doesNotMatch(header, /dmarc=pass/, header);
});
