// Test messages for the Sieve tables: English and Japanese in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8 (headers
// as RFC 2047 words, bodies in 7bit, 8bit, base64 and quoted-printable), multipart, list and spam mail. Built
// from text with iconv-lite so the bytes are real encodings, not hand-typed escapes.
import iconv from 'iconv-lite';
import { toIso2022jp } from '../spam/mail.js';

const CRLF = '\r\n';

function b64word(text: string, charset: string): string {
  const bytes = charset === 'iso-2022-jp' ? toIso2022jp(text) : iconv.encode(text, charset);
  return `=?${charset.toUpperCase()}?B?${bytes.toString('base64')}?=`;
}

function qword(text: string, charset: string): string {
  const bytes = iconv.encode(text, charset);
  let out = '';
  for (const b of bytes) out += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0');
  return `=?${charset.toUpperCase()}?Q?${out}?=`;
}

function qp(bytes: Buffer): string {
  let out = '';
  let line = 0;
  for (const b of bytes) {
    const s = b === 0x0a ? '\n' : b === 0x0d ? '' : b >= 0x21 && b <= 0x7e && b !== 0x3d ? String.fromCharCode(b) : b === 0x20 ? ' ' : '=' + b.toString(16).toUpperCase().padStart(2, '0');
    if (s === '\n') {
      out += CRLF;
      line = 0;
      continue;
    }
    if (line + s.length > 72) {
      out += '=' + CRLF;
      line = 0;
    }
    out += s;
    line += s.length;
  }
  return out;
}

const head = (fields: string[]) => fields.join(CRLF) + CRLF + CRLF;

const JA_SUBJECT = '請求書の送付について';
const JA_BODY = 'いつもお世話になっております。\n請求書を送付いたします。ご確認ください。\n';
const JA_FROM_NAME = '山田 太郎';

export interface TestMessage {
  name: string;
  bytes: Buffer;
  /** Used only by the cases that name it (a message where Pigeonhole is documented to differ). */
  explicit?: boolean;
}

function msg(name: string, text: string | Buffer, explicit = false): TestMessage {
  return { name, bytes: typeof text === 'string' ? Buffer.from(text, 'latin1') : text, explicit };
}

export const MESSAGES: TestMessage[] = [
  msg(
    'en-plain',
    head([
      'Return-Path: <sender@example.org>',
      'Received: from mx.example.org by mail.example.com; Tue, 1 Jul 2025 08:52:40 +0000',
      'From: Alice Example <alice@example.org>',
      'To: User <user@example.com>, other+lists@example.net',
      'Cc: "Bob, the builder" <bob@example.org>',
      'Subject: Quarterly report: budget REVIEW',
      'Date: Tue, 1 Jul 2025 10:52:37 +0200',
      'Message-ID: <q1@example.org>',
      'X-Priority: 3',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
    ]) + 'Please find the budget review attached.\r\nThe meeting is on Thursday.\r\n',
  ),
  msg(
    'ja-iso2022jp',
    Buffer.concat([
      Buffer.from(
        head([
          `From: ${b64word(JA_FROM_NAME, 'iso-2022-jp')} <yamada+billing@example.jp>`,
          'To: user@example.com',
          `Subject: ${b64word(JA_SUBJECT, 'iso-2022-jp')}`,
          'Date: Wed, 2 Jul 2025 09:15:00 +0900',
          'Message-ID: <j1@example.jp>',
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=ISO-2022-JP',
          'Content-Transfer-Encoding: 7bit',
        ]),
        'latin1',
      ),
      toIso2022jp(JA_BODY.replace(/\n/g, '\r\n')),
    ]),
  ),
  msg(
    'ja-sjis',
    Buffer.concat([
      Buffer.from(
        head([
          `From: ${b64word(JA_FROM_NAME, 'shift_jis')} <yamada@example.jp>`,
          'To: user@example.com',
          `Subject: ${b64word(JA_SUBJECT, 'shift_jis')}`,
          'Date: Thu, 3 Jul 2025 23:30:00 +0900',
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=Shift_JIS',
          'Content-Transfer-Encoding: 8bit',
        ]),
        'latin1',
      ),
      iconv.encode(JA_BODY.replace(/\n/g, '\r\n'), 'shift_jis'),
    ]),
  ),
  msg(
    'ja-eucjp',
    head([
      `From: ${qword(JA_FROM_NAME, 'euc-jp')} <yamada@example.jp>`,
      'To: user@example.com',
      `Subject: ${qword(JA_SUBJECT, 'euc-jp')}`,
      'Date: Fri, 4 Jul 2025 00:05:00 +0900',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=EUC-JP',
      'Content-Transfer-Encoding: base64',
    ]) +
      iconv
        .encode(JA_BODY.replace(/\n/g, '\r\n'), 'euc-jp')
        .toString('base64')
        .replace(/(.{76})/g, '$1\r\n') +
      '\r\n',
  ),
  msg(
    'ja-utf8',
    head([
      `From: ${b64word(JA_FROM_NAME, 'utf-8')} <yamada@example.jp>`,
      'To: user@example.com',
      `Subject: ${b64word(JA_SUBJECT, 'utf-8')}`,
      'Date: Sat, 5 Jul 2025 12:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: quoted-printable',
    ]) + qp(Buffer.from(JA_BODY, 'utf8')),
  ),
  msg(
    'multipart',
    head([
      'From: Carol <carol@example.net>',
      'To: user@example.com',
      'Subject: =?UTF-8?B?' + Buffer.from('会議の資料 (agenda)').toString('base64') + '?=',
      'Date: Mon, 7 Jul 2025 18:00:00 -0500',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
    ]) +
      [
        '--outer',
        'Content-Type: multipart/alternative; boundary="alt"',
        '',
        '--alt',
        'Content-Type: text/plain; charset=UTF-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('議題は予算です。\r\nSee the agenda.\r\n').toString('base64'),
        '--alt',
        'Content-Type: text/html; charset=UTF-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        Buffer.from('<html><body><p>議題は<b>予算</b>です。</p><p>See the <i>agenda</i>.</p></body></html>').toString('latin1'),
        '--alt--',
        '',
        '--outer',
        'Content-Type: application/pdf; name="agenda.pdf"',
        'Content-Disposition: attachment; filename="agenda.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.4 secret-binary-agenda').toString('base64'),
        '--outer--',
        '',
      ].join(CRLF),
  ),
  msg(
    'list',
    head([
      'From: acme-users-owner@lists.example.org',
      'Sender: owner-acme-users@lists.example.org',
      'To: acme-users@lists.example.org',
      'List-Id: ACME users\r\n <acme-users.lists.example.org>',
      'Precedence: bulk',
      'Subject: [acme-users] [fwd] version 1.0 is out',
      'Date: Tue, 8 Jul 2025 07:00:00 +0000',
      'Message-ID: <l1@lists.example.org>',
    ]) + 'Release notes follow.\r\n',
  ),
  msg(
    'spam',
    head([
      'X-IMAIL-SPAM: score=7.6 threshold=5.0 verdict=spam tags=DNSBL(3.0),BAYES_99(4.6)',
      'From: "Prize Dept" <winner@spam.example>',
      'To: user@example.com',
      'Subject: =?UTF-8?B?' + Buffer.from('【未承諾広告】高収入のお仕事').toString('base64') + '?=',
      'Date: Wed, 9 Jul 2025 03:00:00 +0800',
      'Auto-Submitted: auto-generated',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
    ]) + Buffer.from('今だけ高収入！ Click here to claim your prize.\r\n').toString('latin1'),
  ),
  msg(
    'ham',
    head([
      'X-Tegami-Spam-Status: score=0.4 threshold=5.0 verdict=ham tags=NONE',
      'From: dave@example.net',
      'To: user@example.com',
      'Subject: lunch?',
      'Date: Thu, 10 Jul 2025 11:00:00 +0900',
    ]) + 'Lunch at noon?\r\n',
  ),
  msg(
    'forwarded',
    head(['From: erin@example.net', 'To: user@example.com', 'Subject: Fwd: minutes', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="fw"']) +
      ['--fw', 'Content-Type: text/plain; charset=us-ascii', '', 'See the forwarded message.', '--fw', 'Content-Type: message/rfc822', '', 'From: frank@example.org', `Subject: ${b64word('議事録', 'iso-2022-jp')}`, 'Content-Type: text/plain; charset=ISO-2022-JP', '', toIso2022jp('議事録を添付します。').toString('latin1'), '--fw--', ''].join(CRLF),
  ),
  // raw 8-bit Shift_JIS in a header (no RFC 2047) and an empty group: Pigeonhole reads both differently
  msg(
    'raw-sjis-header',
    Buffer.concat([Buffer.from(head(['From: a@example.org', 'To: undisclosed-recipients:;', 'Cc: (comment) bob@example.org (Bob), "x y" <z@example.org>', 'Subject: ' + iconv.encode(JA_SUBJECT, 'shift_jis').toString('latin1')]), 'latin1'), Buffer.from('body\r\n')]),
    true,
  ),
];

export const messageByName = (n: string): TestMessage => {
  const m = MESSAGES.find((x) => x.name === n);
  if (!m) throw new Error(`no test message ${n}`);
  return m;
};
