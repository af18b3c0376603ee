// MIME shapes the spam reader (engine/spam/message.ts) is run on: nested multiparts, missing and duplicate
// boundaries, bare LF, boundaries in the preamble and epilogue, message/rfc822 parts, 8-bit headers, Japanese
// charsets in parts and encoded-words. Each case is a whole raw message, built here byte by byte.
import iconv from 'iconv-lite';
import type { ParsedMessage } from '../../engine/spam/message.js';
import { toIso2022jp } from './mail.js';

export interface Shape {
  name: string;
  raw: Buffer;
}

const CRLF = '\r\n';
const JA = '日本語のお知らせです。ご確認ください。';
const pdf = Buffer.from('%PDF-1.4 not really a pdf, binary \x00\x01\x02\xff', 'latin1').toString('base64');

/** Lines joined with CRLF (or `nl`), as a latin1 Buffer with Buffers spliced in where given. */
function msg(parts: (string | Buffer)[], nl = CRLF): Buffer {
  return Buffer.concat(parts.map((p, i) => Buffer.concat([typeof p === 'string' ? Buffer.from(p, 'latin1') : p, Buffer.from(i < parts.length - 1 ? nl : '', 'latin1')])));
}

const HEAD = ['From: Sender <sender@good.test>', 'To: user@tegami.test', 'Subject: shapes', 'MIME-Version: 1.0'];

function alt(boundary: string): string[] {
  return [
    `--${boundary}`, 'Content-Type: text/plain; charset=us-ascii', '', 'plain words here', `--${boundary}`,
    'Content-Type: text/html; charset="utf-8"', 'Content-Transfer-Encoding: quoted-printable', '',
    '<p>html =E6=97=A5=E6=9C=AC words</p>', `--${boundary}--`,
  ];
}

function nested(depth: number): string[] {
  const out: string[] = [...HEAD, 'Content-Type: multipart/mixed; boundary="d0"', ''];
  for (let d = 1; d < depth; d++) out.push(`--d${d - 1}`, `Content-Type: multipart/mixed; boundary="d${d}"`, '');
  out.push(`--d${depth - 1}`, 'Content-Type: text/plain', '', `depth ${depth} text`);
  for (let d = depth - 1; d >= 0; d--) out.push(`--d${d}--`);
  return out;
}

function many(n: number): string[] {
  const out: string[] = [...HEAD, 'Content-Type: multipart/mixed; boundary=m', ''];
  for (let i = 0; i < n; i++) out.push('--m', 'Content-Type: text/plain', '', `part ${i}`);
  out.push('--m--');
  return out;
}

export const SHAPES: Shape[] = [
  { name: 'plain, no MIME fields', raw: msg(['From: a@b.test', 'Subject: hello', '', 'just text', '']) },
  { name: 'multipart/alternative', raw: msg([...HEAD, 'Content-Type: multipart/alternative; boundary="alt1"', '', ...alt('alt1'), '']) },
  {
    name: 'nested mixed > alternative + attachment',
    raw: msg([
      ...HEAD, 'Content-Type: multipart/mixed;', '\tboundary="outer"', '', 'This is a MIME message.', '--outer',
      'Content-Type: multipart/alternative; boundary="inner"', '', ...alt('inner'), '--outer',
      'Content-Type: application/pdf; name="a.pdf"', 'Content-Disposition: attachment; filename="a.pdf"',
      'Content-Transfer-Encoding: base64', '', pdf, '--outer--', '',
    ]),
  },
  { name: 'missing close delimiter', raw: msg([...HEAD, 'Content-Type: multipart/mixed; boundary=x', '', '--x', 'Content-Type: text/plain', '', 'first', '--x', '', 'second runs to the end', '']) },
  { name: 'multipart without a boundary parameter', raw: msg([...HEAD, 'Content-Type: multipart/mixed', '', '--x', 'Content-Type: text/plain', '', 'never split', '--x--']) },
  { name: 'boundary never in the body', raw: msg([...HEAD, 'Content-Type: multipart/mixed; boundary=zz', '', '--x', '', 'no delimiter', '--x--']) },
  { name: 'duplicate boundary parameters', raw: msg([...HEAD, 'Content-Type: multipart/mixed; boundary=one; boundary=two', '', '--one', '', 'in one', '--two', '', 'in two', '--two--', '--one--']) },
  { name: 'duplicate Content-Type fields', raw: msg([...HEAD, 'Content-Type: text/html', 'Content-Type: text/plain', '', '<b>bold</b>']) },
  { name: 'bare LF throughout', raw: msg([...HEAD, 'Content-Type: multipart/alternative; boundary="lf"', '', ...alt('lf'), ''], '\n') },
  {
    name: 'mixed CRLF and LF',
    raw: Buffer.from(`${HEAD.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\nContent-Type: text/plain\n\nlf part\r\n--q\r\nContent-Type: text/plain\r\n\r\ncrlf part\n--q--\n`, 'latin1'),
  },
  {
    name: 'boundary in preamble and epilogue',
    raw: msg([
      ...HEAD, 'Content-Type: multipart/mixed; boundary="pb"', '', 'preamble mentions --pb inline', ' --pb indented', '--pb',
      'Content-Type: text/plain', '', 'the part', '--pb--', 'epilogue', '--pb', 'Content-Type: text/plain', '', 'after the close', '',
    ]),
  },
  { name: 'delimiter with transport padding, close with trailing text', raw: msg([...HEAD, 'Content-Type: multipart/mixed; boundary=tp', '', '--tp  ', '', 'padded', '--tp-- trailing', 'epilogue']) },
  { name: 'boundary that prefixes a longer line', raw: msg([...HEAD, 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'line one', '--bx not a delimiter', 'line three', '--b--']) },
  {
    // the shape of 27 spam messages of the SpamAssassin corpus: the inner boundary is the outer one and "AA"
    name: 'outer boundary a prefix of the inner one',
    raw: msg([
      ...HEAD, 'Content-Type: multipart/related; boundary="----=_NP_x"', '', '------=_NP_x', 'Content-Type: multipart/alternative;',
      '\tboundary="----=_NP_xAA"', '', '', '------=_NP_xAA', 'Content-Type: text/html;', '', '<p>offer</p>', '', '------=_NP_xAA--', '------=_NP_x--', '',
    ]),
  },
  {
    // spam_2/00309 and three more: a header-less part whose text has a blank line further on
    name: 'header-less part with a blank line in its text',
    raw: msg([...HEAD, 'Content-Type: multipart/alternative; boundary="##"', '', '--##', '', 'See below for details.', '=====', '', 'the offer', '--##', 'Content-Type: text/html', '', '<p>offer</p>', '--##--']),
  },
  { name: 'Content-Type without its semicolon', raw: msg([...HEAD, 'Content-Type: text/plain charset=us-ascii', '', 'read as text']) },
  { name: 'close delimiter with text after it', raw: msg([...HEAD, 'Content-Type: multipart/alternative; boundary=c', '', '--c', 'Content-Type: text/html', '', '<p>x</p>', '--c--</BODY></HTML>', '']) },
  {
    name: 'message/rfc822 part',
    raw: msg([
      ...HEAD, 'Content-Type: multipart/mixed; boundary=r', '', '--r', 'Content-Type: text/plain', '', 'see attached', '--r',
      'Content-Type: message/rfc822', '', 'From: inner@x.test', 'Subject: =?UTF-8?B?5YaF5YG044Gu5Lu25ZCN?=', 'Content-Type: multipart/alternative; boundary=ir', '',
      ...alt('ir'), '--r--', '',
    ]),
  },
  { name: 'message/rfc822 at the top', raw: msg([...HEAD, 'Content-Type: message/rfc822', '', 'Subject: inside', '', 'inner body', '']) },
  {
    name: 'multipart/digest without part types',
    raw: msg([...HEAD, 'Content-Type: multipart/digest; boundary=dg', '', '--dg', '', 'Subject: digest one', '', 'one body', '--dg', 'Content-Type: text/plain', '', 'typed', '--dg--']),
  },
  { name: '8-bit UTF-8 header', raw: msg(['From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>', Buffer.concat([Buffer.from('Subject: '), Buffer.from('会議の件', 'utf8')]), '', 'body']) },
  { name: '8-bit Shift_JIS header', raw: msg([Buffer.concat([Buffer.from('From: '), iconv.encode('山田', 'cp932'), Buffer.from(' <yamada@example.jp>')]), Buffer.concat([Buffer.from('Subject: '), iconv.encode('会議の件', 'cp932')]), '', 'body']) },
  {
    name: 'Japanese parts: ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8',
    raw: msg([
      'From: =?ISO-2022-JP?B?' + toIso2022jp('山田').toString('base64') + '?= <yamada@example.jp>',
      'Subject: =?ISO-2022-JP?B?' + toIso2022jp('お知らせ').toString('base64') + '?=', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="ja"', '',
      '--ja', 'Content-Type: text/plain; charset=ISO-2022-JP', 'Content-Transfer-Encoding: 7bit', '', toIso2022jp(JA),
      '--ja', 'Content-Type: text/plain; charset=Shift_JIS', 'Content-Transfer-Encoding: base64', '', iconv.encode(JA, 'cp932').toString('base64'),
      '--ja', 'Content-Type: text/html; charset=EUC-JP', 'Content-Transfer-Encoding: 8bit', '', Buffer.concat([Buffer.from('<p>'), iconv.encode(JA, 'euc-jp'), Buffer.from('</p>')]),
      '--ja', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', '', Buffer.from(JA, 'utf8'),
      '--ja--', '',
    ]),
  },
  {
    name: 'encoded-word subjects and mislabels',
    raw: msg([
      'From: "Shop" <shop@example.jp>', 'Subject: =?Shift_JIS?B?' + iconv.encode('セール', 'cp932').toString('base64') + '?= =?UTF-8?Q?=E4=BB=8A=E6=97=A5?=',
      'Content-Type: text/plain; charset=iso-2022-jp', 'Content-Transfer-Encoding: 8bit', '', Buffer.from(JA, 'utf8'),
    ]),
  },
  { name: 'mislabelled encoded-word', raw: msg(['From: a@b.test', 'Subject: =?ISO-2022-JP?B?' + Buffer.from('本日', 'utf8').toString('base64') + '?=', '', 'x']) },
  { name: 'us-ascii label on 8-bit text', raw: msg([...HEAD, 'Content-Type: text/plain; charset=us-ascii', '', Buffer.from('caf\u00e9 ' + JA, 'utf8')]) },
  {
    name: 'text marked as an attachment, enriched and calendar',
    raw: msg([
      ...HEAD, 'Content-Type: multipart/mixed; boundary=t', '', '--t', 'Content-Type: text/plain', 'Content-Disposition: ATTACHMENT; filename=a.txt', '', 'attached text',
      '--t', 'Content-Type: text/enriched', '', '<bold>rich</bold>', '--t', 'Content-Type: text/calendar; method=REQUEST', '', 'BEGIN:VCALENDAR', '--t--',
    ]),
  },
  { name: 'folded header fields with tabs and spaces', raw: msg(['From: Some  Body', '\t <some@body.test>', 'Subject: one  ', '  two', '\tthree', 'X-Empty:', 'No colon line', ' continued', 'Received: from a', '  by b', '', 'body']) },
  { name: 'Content-Type with a comment', raw: msg([...HEAD, 'Content-Type: text/html (the html); charset=utf-8', '', '<i>commented</i>']) },
  { name: 'Content-Type without a subtype', raw: msg([...HEAD, 'Content-Type: text; charset=utf-8', '', 'no subtype']) },
  { name: 'RFC 2231 charset', raw: msg([...HEAD, "Content-Type: text/plain; charset*=utf-8'ja'utf-8", 'Content-Transfer-Encoding: base64', '', Buffer.from(JA, 'utf8').toString('base64')]) },
  { name: 'upper-case type and quoted boundary with specials', raw: msg([...HEAD, 'Content-Type: MULTIPART/ALTERNATIVE; BOUNDARY="=_Part:1.2"', '', ...alt('=_Part:1.2')]) },
  { name: 'empty multipart', raw: msg([...HEAD, 'Content-Type: multipart/mixed; boundary=e', '', '--e--', '']) },
  { name: 'header without a body', raw: Buffer.from('From: a@b.test\r\nSubject: no body\r\n', 'latin1') },
  { name: 'nested past the depth bound', raw: msg(nested(10)) },
  { name: 'more parts than the part bound', raw: msg(many(70)) },
];

/** What the filters get of a message, as plain data: every field of ParsedMessage. */
export function summary(p: ParsedMessage): unknown {
  return {
    headers: [...p.headers].map(([name, values]) => `${name}: ${values.join(' | ')}`).join(' / '),
    subject: p.subject,
    from: p.from,
    fromAddress: p.fromAddress,
    texts: p.texts,
    htmls: p.htmls,
    mislabelled: p.mislabelled,
    attachments: p.attachments,
    types: p.types.join(' '),
    parts: p.parts.map((x) => `${x.type} ${x.cte || '-'} ${x.attachment ? 'attachment' : 'text'}${x.ascii ? ' ascii' : ''}`),
  };
}
