// Unit tests for engine/spam/strip-headers.ts: forged verdict fields go, folded or not, CRLF or LF; every
// other byte of the header section stays as received, and the body is a view of the input (never copied).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authservId, headerSectionEnd, stripVerdictHeaders } from '../../engine/spam/strip-headers.js';

const HOST = 'mx.example.test';

function strip(text: string, host = HOST): { out: string; removed: string[]; parts: Buffer[]; raw: Buffer } {
  const raw = Buffer.from(text, 'latin1');
  const r = stripVerdictHeaders(raw, host);
  return { out: Buffer.concat(r.parts).toString('latin1'), removed: r.removed, parts: r.parts, raw };
}

describe('stripVerdictHeaders', () => {
  it('removes X-IMAIL-SPAM, X-IMAIL-SPAM-*, X-Tegami-Spam-Status in any case, keeps the rest byte for byte (CRLF)', () => {
    const text =
      'Received: from a.test\r\n\tby b.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n' +
      'X-IMAIL-SPAM: score=99\r\n' +
      'Subject:  two  spaces \r\n' +
      'x-imail-spam-dnsbl: forged\r\n' +
      'X-Tegami-Spam-Status: score=-50 verdict=ham\r\n' +
      'X-IMAIL-SPAMMER: not ours\r\n' +
      'X-Spam-Status: No (another filter: kept)\r\n' +
      'From: a@b.test\r\n' +
      '\r\n' +
      'X-IMAIL-SPAM: in the body stays\r\n';
    const r = strip(text);
    assert.deepEqual(r.removed, ['X-IMAIL-SPAM', 'x-imail-spam-dnsbl', 'X-Tegami-Spam-Status']);
    assert.equal(
      r.out,
      'Received: from a.test\r\n\tby b.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n' +
        'Subject:  two  spaces \r\n' +
        'X-IMAIL-SPAMMER: not ours\r\n' +
        'X-Spam-Status: No (another filter: kept)\r\n' +
        'From: a@b.test\r\n' +
        '\r\n' +
        'X-IMAIL-SPAM: in the body stays\r\n',
    );
  });

  it('removes the continuation lines of a folded field, and only those', () => {
    const text = 'X-IMAIL-SPAM: score=99\r\n tags=A,\r\n\tB\r\nTo: u@example.test,\r\n  v@example.test\r\n\r\nbody\r\n';
    const r = strip(text);
    assert.equal(r.out, 'To: u@example.test,\r\n  v@example.test\r\n\r\nbody\r\n');
  });

  it('works on LF-only messages and on mixed line endings', () => {
    assert.equal(strip('A: 1\nX-IMAIL-SPAM-PHRASE: x\n y\nB: 2\n\nbody\n').out, 'A: 1\nB: 2\n\nbody\n');
    assert.equal(strip('A: 1\r\nX-IMAIL-SPAM: x\nB: 2\r\n\r\nX-IMAIL-SPAM: body\n').out, 'A: 1\r\nB: 2\r\n\r\nX-IMAIL-SPAM: body\n');
  });

  it('removes a forged field that is the last of the header section, or of a message without a body', () => {
    assert.equal(strip('A: 1\r\nX-IMAIL-SPAM: x\r\n\r\nbody').out, 'A: 1\r\n\r\nbody');
    assert.equal(strip('A: 1\r\nX-IMAIL-SPAM: x\r\n').out, 'A: 1\r\n');
    assert.equal(strip('A: 1\r\nX-IMAIL-SPAM: x').out, 'A: 1\r\n');
    assert.equal(strip('X-IMAIL-SPAM: x\r\n\r\nbody').out, '\r\nbody');
  });

  it('accepts white space before the colon (obsolete syntax) but not a name that is only similar', () => {
    assert.equal(strip('X-IMAIL-SPAM : x\r\nA: 1\r\n\r\n').out, 'A: 1\r\n\r\n');
    assert.equal(strip('XX-IMAIL-SPAM: x\r\n\r\n').removed.length, 0);
  });

  it('leaves a message without such fields untouched: the same Buffer, nothing copied', () => {
    const r = strip('Subject: hi\r\nX-Spam-Flag: YES\r\n\r\nX-IMAIL-SPAM: body only\r\n');
    assert.equal(r.parts.length, 1);
    assert.equal(r.parts[0], r.raw);
    const empty = strip('');
    assert.equal(empty.out, '');
    const noHead = strip('\r\nX-IMAIL-SPAM: after the empty line\r\n');
    assert.equal(noHead.parts[0], noHead.raw);
  });

  it('rebuilds only the header section; the body part is a view of the input buffer', () => {
    const body = 'x'.repeat(100_000);
    const r = strip(`X-IMAIL-SPAM: x\r\nA: 1\r\n\r\n${body}`);
    assert.equal(r.parts.length, 2);
    assert.equal(r.parts[1].buffer, r.raw.buffer, 'the body shares the input memory');
    assert.equal(r.parts[0].length, 'A: 1\r\n'.length);
  });

  it('removes Authentication-Results claiming our authserv-id only, folded or with comments and quotes', () => {
    const text =
      'Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=a@b.test\r\n' +
      'Authentication-Results: other.example.net; dkim=pass header.d=b.test\r\n' +
      'Authentication-Results:\r\n  (forged) MX.Example.Test.;\r\n\tdkim=pass\r\n' +
      'Authentication-Results: "mx.example.test" 1; dmarc=pass\r\n' +
      'Authentication-Results: mx.example.test.evil; spf=pass\r\n' +
      'Authentication-Results: mx.example.test(c); none\r\n' +
      '\r\n';
    const r = strip(text);
    assert.equal(r.removed.length, 4);
    assert.equal(
      r.out,
      'Authentication-Results: other.example.net; dkim=pass header.d=b.test\r\n' + 'Authentication-Results: mx.example.test.evil; spf=pass\r\n' + '\r\n',
    );
  });
});

describe('authservId and headerSectionEnd', () => {
  it('reads the authserv-id after CFWS', () => {
    assert.equal(authservId(' mx.a.test; spf=pass'), 'mx.a.test');
    assert.equal(authservId(' (a (nested\\) ) comment) mx.a.test 1; none'), 'mx.a.test');
    assert.equal(authservId(' "quoted\\"id"; none'), 'quoted"id');
    assert.equal(authservId('\r\n\tmx.a.test;none'), 'mx.a.test');
    assert.equal(authservId(' ; spf=pass'), '');
  });
  it('finds the empty line for CRLF, LF and no body', () => {
    assert.equal(headerSectionEnd(Buffer.from('A: 1\r\n\r\nb')), 6);
    assert.equal(headerSectionEnd(Buffer.from('A: 1\n\nb')), 5);
    assert.equal(headerSectionEnd(Buffer.from('A: 1\r\n')), 6);
    assert.equal(headerSectionEnd(Buffer.from('\r\nb')), 0);
  });
});
