// How much of a message the analysis reads: each text part up to [spam] part_scan_size, attachments located
// but never decoded, DKIM's body hash only for signed mail. Behaviour only (what was read, what was found),
// never timing: a huge attachment changes nothing the analysis sees or counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import iconv from 'iconv-lite';
import mailauth from 'mailauth';
import { Analyser } from '../../engine/spam/pipeline.js';
import { parseMessage } from '../../engine/spam/message.js';
import { messageTokens } from '../../engine/spam/learn.js';
import { signedPart } from '../../engine/spam/auth.js';
import { PART_SCAN_DEFAULT } from '../../engine/spam/limits.js';
import type { DnsServer } from '../../lab/dns/server.js';
import type { ConnectionResult } from '../../engine/spam/types.js';
import { configFrom, startSpamDns, removeTempDirs } from './helpers.js';
import { rawMail, toIso2022jp } from './mail.js';

let dns: DnsServer;
const analysers: Analyser[] = [];
before(async () => {
  dns = await startSpamDns();
});
after(async () => {
  await Promise.all(analysers.map((a) => a.close()));
  await dns.close();
  removeTempDirs();
});

function analyser(extra = ''): Analyser {
  const a = new Analyser(configFrom(`[dns]\nservers = ["${dns.address}"]\n[spam]\nphrases = ["未承諾広告", "cheap pills"]\n${extra}`));
  analysers.push(a);
  return a;
}

const env = { mailFrom: 'sender@good.test', rcptTo: ['user@tegami.test'], ip: '127.0.0.3', helo: 'mx.good.test' };
const clean: ConnectionResult = { tags: ['SPF_PASS'], headers: [], authResults: ['spf=pass smtp.mailfrom=sender@good.test'], spf: { result: 'pass', domain: 'good.test' } };

/** A text part, then an attachment of `attachmentBytes` bytes (base64, 76-character lines). */
function withAttachment(text: Buffer, charset: string, cte: string, attachmentBytes: number): Buffer {
  const bin = Buffer.alloc(attachmentBytes);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 0xff;
  const b64 = bin.toString('base64').replace(/.{76}/g, '$&\r\n');
  const body = Buffer.concat([
    Buffer.from(`--b1\r\nContent-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n`),
    text,
    Buffer.from(`\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b1--\r\n`),
  ]);
  return rawMail({ subject: 'invoice', contentType: 'multipart/mixed; boundary="b1"', cte: '7bit', body });
}

const texts: [string, Buffer, string, string][] = [
  ['UTF-8', Buffer.from('ご案内です。未承諾広告 cheap pills こちらから。', 'utf8'), 'UTF-8', '8bit'],
  ['ISO-2022-JP', toIso2022jp('ご案内です。未承諾広告 cheap pills こちらから。'), 'ISO-2022-JP', '7bit'],
  ['Shift_JIS', iconv.encode('ご案内です。未承諾広告 cheap pills こちらから。', 'cp932'), 'Shift_JIS', '8bit'],
  ['EUC-JP', iconv.encode('ご案内です。未承諾広告 cheap pills こちらから。', 'euc-jp'), 'EUC-JP', '8bit'],
];

for (const [name, text, charset, cte] of texts) {
  test(`${name}: a spam phrase in the first part scores the same next to a 3 MB attachment as next to a 1 KB one`, async () => {
    const a = analyser();
    const small = withAttachment(text, charset, cte, 1024);
    const huge = withAttachment(text, charset, cte, 3 * 1024 * 1024);
    const rs = await a.analyse(small, env, clean);
    const rh = await a.analyse(huge, env, clean);
    assert.ok(rh.tags.includes('PHRASE'), rh.headers);
    assert.deepEqual(rh.tags, rs.tags);
    assert.equal(rh.score, rs.score);
    // what the filters read: the same text, the attachment counted and never decoded into text or tokens
    const ps = parseMessage(small);
    const ph = parseMessage(huge);
    assert.deepEqual(ph.texts, ps.texts);
    assert.equal(ph.attachments, 1);
    assert.deepEqual(messageTokens(huge).sort(), messageTokens(small).sort());
  });
}

test('a text part longer than part_scan_size is read up to the cap: a phrase before it scores, one after it is not seen', async () => {
  const filler = 'The quarterly report is attached for your review and comments.\r\n';
  const long = (phraseAt: 'start' | 'end', bytes: number) => {
    const fill = filler.repeat(Math.ceil(bytes / filler.length));
    return rawMail({ subject: 'report', body: phraseAt === 'start' ? `cheap pills\r\n${fill}` : `${fill}cheap pills\r\n` });
  };
  const a = analyser();
  assert.ok((await a.analyse(long('start', 1024 * 1024), env, clean)).tags.includes('PHRASE'));
  assert.ok(!(await a.analyse(long('end', 1024 * 1024), env, clean)).tags.includes('PHRASE'));
  // under the cap the whole part is read
  assert.ok((await a.analyse(long('end', 8 * 1024), env, clean)).tags.includes('PHRASE'));

  // the text handed on is the part's first part_scan_size bytes, whatever the part's size
  const m1 = parseMessage(long('start', 1024 * 1024));
  const m4 = parseMessage(long('start', 4 * 1024 * 1024));
  assert.equal(Buffer.byteLength(m1.texts[0]), PART_SCAN_DEFAULT);
  assert.deepEqual(m4.texts, m1.texts);
  assert.deepEqual(messageTokens(long('start', 4 * 1024 * 1024)).sort(), messageTokens(long('start', 1024 * 1024)).sort());

  // the key moves the cap ("256K" reads the phrase 200 K into the part)
  const at200k = rawMail({ subject: 'report', body: `${filler.repeat(Math.ceil((200 * 1024) / filler.length))}cheap pills\r\n${filler.repeat(8000)}` });
  assert.ok(!(await a.analyse(at200k, env, clean)).tags.includes('PHRASE'));
  assert.ok((await analyser('part_scan_size = "256K"').analyse(at200k, env, clean)).tags.includes('PHRASE'));
  assert.equal(Buffer.byteLength(parseMessage(at200k, { partScanBytes: 256 * 1024 }).texts[0]), 256 * 1024);
});

test('a cap inside a UTF-8 Japanese character leaves valid text, not a mislabelled charset', () => {
  const body = Buffer.from('未承諾広告'.repeat(30_000), 'utf8'); // 3 bytes a character: the cap falls inside one
  const m = parseMessage(rawMail({ subject: 'x', body }), { partScanBytes: 64 * 1024 + 1 });
  assert.equal(m.mislabelled, false);
  assert.ok(!m.texts[0].includes('\ufffd'));
  assert.equal(Buffer.byteLength(m.texts[0]), 64 * 1024 - 1);
});

test('part_scan_size below 1 K is a config error', () => {
  assert.throws(() => configFrom('[spam]\npart_scan_size = 100\n'), /part_scan_size/);
});

test('DKIM reads the body of signed mail only: unsigned mail hands mailauth the header section', async () => {
  const unsigned = rawMail({ subject: 'x', body: 'hello\r\n'.repeat(1000) });
  const head = signedPart(unsigned);
  assert.ok(head.length < unsigned.length);
  assert.equal(head.toString('latin1'), unsigned.toString('latin1').slice(0, unsigned.indexOf('\r\n\r\n') + 4));
  for (const field of ['DKIM-Signature: v=1', 'dkim-signature : v=1', 'DKIM-SIGNATURE:\r\n\tv=1']) {
    const signed = rawMail({ subject: 'x', headers: [field], body: 'hello\r\n' });
    assert.equal(signedPart(signed), signed, field);
  }
  // a DKIM-Signature line in the body is no signature
  const inBody = rawMail({ subject: 'x', body: 'DKIM-Signature: v=1\r\n' });
  assert.ok(signedPart(inBody).length < inBody.length);

  // signed mail is still verified over its body: intact passes, a changed body fails
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  dns.add([{ name: 's1._domainkey.good.test', type: 'TXT', data: [`v=DKIM1; k=rsa; p=${spki}`] }]);
  const message = rawMail({ from: 'Sender <sender@good.test>', subject: 'signed', body: 'The body that is signed.\r\n' });
  const key = { signingDomain: 'good.test', selector: 's1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  const sig = await mailauth.dkimSign(message, { ...key, signTime: new Date(), signatureData: [key] });
  assert.match(sig.signatures, /^DKIM-Signature:/i);
  const good = Buffer.concat([Buffer.from(sig.signatures), message]);
  const bad = Buffer.from(good.toString('latin1').replace('The body that is signed.', 'The body that is changed.'), 'latin1');
  const a = analyser();
  const rg = await a.analyse(good, env, clean);
  assert.ok(rg.tags.includes('DKIM_PASS'), rg.headers);
  const rb = await a.analyse(bad, env, clean);
  assert.ok(rb.tags.includes('DKIM_FAIL'), rb.headers);
  assert.match(rb.headers, /body hash did not verify/);
  // unsigned: "dkim=none", as before
  const ru = await a.analyse(unsigned, env, clean);
  assert.match(ru.headers, /dkim=none/);
});
