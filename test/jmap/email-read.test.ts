// Email/get, Email/parse, SearchSnippet/get and downloads over inject(): Japanese mail in every charset (and
// mislabelled) read back as the sender wrote it, attachment names from RFC 2047 and RFC 2231 (continuations,
// Shift_JIS), the body decomposed as RFC 8621 §4.1.4 says, header forms and their refusals, truncation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jmapFixture, USER, type JmapFixture } from './helpers.js';
import { japaneseCases } from './corpus.js';
import { encodedWord } from '../spam/mail.js';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture();
});
after(() => f.close());

async function stored(raw: Buffer, folder = 'INBOX'): Promise<string> {
  await f.store.append(USER, folder, raw);
  const q = await f.call('Email/query', { sort: [{ property: 'receivedAt', isAscending: false }], limit: 1 });
  return (q.args.ids as string[])[0];
}

type Part = { partId: string; blobId: string; name: string | null; type: string; charset: string | null; disposition: string | null; size: number; cid?: string | null };

test('Japanese mail in ISO-2022-JP, Shift_JIS, EUC-JP, UTF-8 and mislabelled reads back right: subject, name, text, file name', async () => {
  for (const c of japaneseCases()) {
    const id = await stored(c.raw);
    const g = await f.call('Email/get', { ids: [id], properties: ['subject', 'from', 'textBody', 'attachments', 'bodyValues', 'preview', 'hasAttachment'], fetchTextBodyValues: true });
    const e = (g.args.list as Record<string, unknown>[])[0];
    assert.equal(e.subject, c.subject, `${c.label}: subject`);
    if (c.fromName) assert.equal((e.from as { name: string }[])[0].name, c.fromName, `${c.label}: From name`);
    const text = (e.textBody as Part[])[0];
    const value = (e.bodyValues as Record<string, { value: string; isEncodingProblem: boolean }>)[text.partId];
    assert.equal(value.value.trim(), c.text, `${c.label}: body text`);
    assert.equal(value.isEncodingProblem, false, c.label);
    assert.match(e.preview as string, /^来週の打ち合わせの件/, `${c.label}: preview`);
    if (c.attachment) {
      assert.equal((e.attachments as Part[])[0].name, c.attachment, `${c.label}: attachment name`);
      assert.equal(e.hasAttachment, true);
      // and the part downloads decoded, under the name the client gives
      const a = (e.attachments as Part[])[0];
      const res = await f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/${a.blobId}/${encodeURIComponent(a.name!)}?type=application/pdf`, headers: { authorization: f.basic() } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, '%PDF-1.4 test');
      assert.match(String(res.headers['content-disposition']), /^attachment; .*filename\*=UTF-8''/);
      assert.match(String(res.headers['content-security-policy']), /sandbox/);
      // a download is not kept in a shared computer's browser cache after logout
      assert.equal(res.headers['cache-control'], 'private, no-store');
    } else assert.equal(e.hasAttachment, false);
  }
});

const STRUCTURED = Buffer.from(
  [
    'From: "Alice Example" <alice@example.org>, Team: bob@example.org, =?UTF-8?B?5bGx55Sw?= <yamada@example.org>;',
    'To: hanako@example.jp',
    'Subject: Structure test',
    'Subject: Second subject',
    'Date: Tue, 1 Jul 2025 10:52:37 +0900 (JST)',
    'Message-ID: <m1@example.org>',
    'References: <r1@example.org> (comment) <r2@example.org>',
    'List-Post: <mailto:list@example.org>',
    'X-Custom:   spaced value',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    '--outer',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Plain text with <brackets> and a long line ' + 'x'.repeat(200),
    '--alt',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><body><p>HTML <b>body</b></p><img src="cid:logo@x"></body></html>',
    '--rel',
    'Content-Type: image/png',
    'Content-ID: <logo@x>',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('PNGDATA').toString('base64'),
    '--rel--',
    '--alt--',
    '--outer',
    'Content-Type: application/pdf; name="report.pdf"',
    'Content-Disposition: attachment; filename="report.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('PDFDATA').toString('base64'),
    '--outer',
    'Content-Type: message/rfc822',
    '',
    'From: inner@example.org',
    'Subject: ' + encodedWord('添付されたメール', 'ISO-2022-JP'),
    'Content-Type: text/plain; charset=utf-8',
    '',
    '中のメールの本文',
    '--outer--',
    '',
  ].join('\r\n'),
  'utf8',
);

test('body structure, textBody/htmlBody/attachments, header forms, bodyValues options', async () => {
  const id = await stored(STRUCTURED);
  const g = await f.call('Email/get', {
    ids: [id],
    properties: [
      'bodyStructure', 'textBody', 'htmlBody', 'attachments', 'bodyValues', 'from', 'subject', 'sentAt', 'references', 'messageId',
      'header:From:asGroupedAddresses', 'header:Subject:all', 'header:subject:asText:all', 'header:List-Post:asURLs', 'header:X-Custom', 'header:x-custom:asText', 'header:Date:asDate', 'header:Missing', 'header:Missing:all', 'headers',
    ],
    bodyProperties: ['partId', 'type', 'name', 'disposition', 'cid', 'header:Content-Type'],
    fetchHTMLBodyValues: true,
    fetchTextBodyValues: true,
    maxBodyValueBytes: 40,
  });
  const e = (g.args.list as Record<string, unknown>[])[0];
  const ids = (parts: unknown) => (parts as Part[]).map((p) => `${p.partId}:${p.type}`);
  assert.deepEqual(ids(e.textBody), ['1.1:text/plain']);
  assert.deepEqual(ids(e.htmlBody), ['1.2.1:text/html']);
  assert.deepEqual(ids(e.attachments), ['1.2.2:image/png', '2:application/pdf', '3:message/rfc822']);
  assert.equal((e.attachments as Part[])[0].cid, 'logo@x');
  const bs = e.bodyStructure as { type: string; partId: null; subParts: { type: string; subParts?: unknown[] }[]; 'header:Content-Type': string };
  assert.equal(bs.type, 'multipart/mixed');
  assert.equal(bs.partId, null);
  assert.equal(bs.subParts.length, 3);
  assert.equal(bs['header:Content-Type'], ' multipart/mixed; boundary="outer"', 'raw form keeps the leading space');
  const bv = e.bodyValues as Record<string, { value: string; isTruncated: boolean }>;
  assert.equal(bv['1.1'].isTruncated, true);
  assert.ok(Buffer.byteLength(bv['1.1'].value) <= 40);
  assert.equal(bv['1.2.1'].isTruncated, true);
  assert.doesNotMatch(bv['1.2.1'].value, /<[^>]*$/, 'HTML is not cut inside a tag');
  assert.deepEqual(e.from, [{ name: 'Alice Example', email: 'alice@example.org' }, { name: null, email: 'bob@example.org' }, { name: '山田', email: 'yamada@example.org' }]);
  assert.deepEqual(e['header:From:asGroupedAddresses'], [
    { name: null, addresses: [{ name: 'Alice Example', email: 'alice@example.org' }] },
    { name: 'Team', addresses: [{ name: null, email: 'bob@example.org' }, { name: '山田', email: 'yamada@example.org' }] },
  ]);
  assert.equal(e.subject, 'Second subject', 'the last instance');
  assert.deepEqual(e['header:Subject:all'], [' Structure test', ' Second subject']);
  assert.deepEqual(e['header:subject:asText:all'], ['Structure test', 'Second subject']);
  assert.deepEqual(e['header:List-Post:asURLs'], ['mailto:list@example.org']);
  assert.equal(e['header:X-Custom'], '   spaced value');
  assert.equal(e['header:x-custom:asText'], 'spaced value');
  assert.equal(e['header:Date:asDate'], '2025-07-01T10:52:37+09:00');
  assert.equal(e.sentAt, '2025-07-01T10:52:37+09:00');
  assert.equal(e['header:Missing'], null);
  assert.deepEqual(e['header:Missing:all'], []);
  assert.deepEqual(e.references, ['r1@example.org', 'r2@example.org']);
  assert.deepEqual(e.messageId, ['m1@example.org']);
  assert.equal((e.headers as { name: string }[])[0].name, 'From');
  // forbidden forms and unknown properties are invalidArguments
  const bad = await f.api([
    ['Email/get', { accountId: f.accountId, ids: [id], properties: ['header:From:asDate'] }, 'a'],
    ['Email/get', { accountId: f.accountId, ids: [id], properties: ['header:Subject:asAddresses'] }, 'b'],
    ['Email/get', { accountId: f.accountId, ids: [id], properties: ['header:Received:asText'] }, 'c'],
    ['Email/get', { accountId: f.accountId, ids: [id], properties: ['nonsense'] }, 'd'],
    ['Email/get', { accountId: f.accountId, ids: [id], bodyProperties: ['blobby'] }, 'e'],
    ['Email/get', { accountId: f.accountId, ids: [id], properties: ['header:X:asWhatever'] }, 'f'],
  ]);
  assert.deepEqual(bad.responses.map((r) => r[1].type), Array(6).fill('invalidArguments'));
  // an X- header takes any form
  const anyForm = await f.call('Email/get', { ids: [id], properties: ['header:X-Custom:asAddresses'] });
  assert.ok(Array.isArray((anyForm.args.list as Record<string, unknown>[])[0]['header:X-Custom:asAddresses']));
});

test('Email/parse reads an attached message through its part blob, and an uploaded message', async () => {
  const id = await stored(STRUCTURED);
  const g = await f.call('Email/get', { ids: [id], properties: ['attachments'] });
  const rfc822 = (g.args.list as { attachments: Part[] }[])[0].attachments.find((a) => a.type === 'message/rfc822')!;
  const up = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'message/rfc822' }, payload: STRUCTURED });
  assert.equal(up.statusCode, 201);
  const uploaded = up.json().blobId as string;
  const p = await f.call('Email/parse', { blobIds: [rfc822.blobId, uploaded, 'Ufffffffffffffffffffffffffffffffffffffff', (g.args.list as { attachments: Part[] }[])[0].attachments[1].blobId], properties: ['subject', 'from', 'textBody', 'bodyValues', 'id', 'mailboxIds'], fetchTextBodyValues: true });
  const parsed = p.args.parsed as Record<string, Record<string, unknown>>;
  assert.equal(parsed[rfc822.blobId].subject, '添付されたメール');
  assert.equal(parsed[rfc822.blobId].id, null);
  assert.equal(parsed[rfc822.blobId].mailboxIds, null);
  const inner = parsed[rfc822.blobId];
  const innerPart = (inner.textBody as Part[])[0];
  assert.equal((inner.bodyValues as Record<string, { value: string }>)[innerPart.partId].value.trim(), '中のメールの本文');
  // the inner part's blob is reachable too
  const dl = await f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/${innerPart.blobId}/x.txt`, headers: { authorization: f.basic() } });
  assert.equal(dl.statusCode, 200);
  assert.equal(dl.body.trim(), '中のメールの本文');
  assert.equal(parsed[uploaded].subject, 'Second subject');
  assert.deepEqual(p.args.notFound, ['Ufffffffffffffffffffffffffffffffffffffff']);
  assert.deepEqual(p.args.notParsable, [(g.args.list as { attachments: Part[] }[])[0].attachments[1].blobId], 'a PDF is not a message');
});

test('SearchSnippet/get marks Japanese words in the subject and the body (no word breaks needed), HTML-escaped', async () => {
  const c = japaneseCases()[1];
  const id = await stored(c.raw);
  const other = await stored(STRUCTURED);
  const s = await f.call('SearchSnippet/get', { filter: { text: '請求書' }, emailIds: [id, other, 'Mnotthere000000000000000'] });
  const list = s.args.list as { emailId: string; subject: string | null; preview: string | null }[];
  const mine = list.find((x) => x.emailId === id)!;
  assert.equal(mine.subject, '<mark>請求書</mark>送付のご案内');
  assert.equal(list.find((x) => x.emailId === other)!.subject, null);
  const b = await f.call('SearchSnippet/get', { filter: { body: '打ち合わせ' }, emailIds: [id] });
  const snip = (b.args.list as { preview: string }[])[0].preview;
  assert.match(snip, /<mark>打ち合わせ<\/mark>/);
  assert.ok(Buffer.byteLength(snip) <= 255);
  const h = await f.call('SearchSnippet/get', { filter: { body: 'brackets' }, emailIds: [other] });
  assert.match((h.args.list as { preview: string }[])[0].preview, /&lt;<mark>brackets<\/mark>&gt;/);
  assert.deepEqual(s.args.notFound, ['Mnotthere000000000000000']);
});

test('downloads: the raw message, unknown blobs 404, other accounts cannot read, the type is sanitised', async () => {
  const id = await stored(STRUCTURED);
  const blob = `G${id.slice(1)}`;
  const ok = await f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/${blob}/mail.eml?type=message/rfc822`, headers: { authorization: f.basic() } });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.rawPayload.length, STRUCTURED.length);
  assert.equal(ok.headers['content-type'], 'message/rfc822');
  const injected = await f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/${blob}/a?type=${encodeURIComponent('text/html\r\nSet-Cookie: x=1')}`, headers: { authorization: f.basic() } });
  assert.equal(injected.statusCode, 200);
  assert.equal(injected.headers['content-type'], 'application/octet-stream');
  assert.equal(injected.headers['set-cookie'], undefined);
  const missing = await f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/G000000000000000000000000/a`, headers: { authorization: f.basic() } });
  assert.equal(missing.statusCode, 404);
  const other = await f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/${blob}/a`, headers: { authorization: f.basic('taro@example.jp') } });
  assert.equal(other.statusCode, 404, "another user's account id is not theirs");
});

test('downloads read into memory are bounded per account (maxConcurrentRequests), and each gives its slot back', async () => {
  const id = await stored(STRUCTURED);
  const get = () => f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/G${id.slice(1)}/mail.eml`, headers: { authorization: f.basic() } });
  const held = Array.from({ length: f.svc.limits.maxConcurrentRequests }, () => f.svc.acquire('download', USER, f.svc.limits.maxConcurrentRequests)!);
  const busy = await get();
  assert.equal(busy.statusCode, 429);
  assert.equal(busy.json().limit, 'maxConcurrentRequests');
  assert.equal(busy.headers['content-disposition'], undefined);
  for (const release of held) release();
  for (let i = 0; i < f.svc.limits.maxConcurrentRequests + 2; i++) assert.equal((await get()).statusCode, 200, `download ${i + 1} after the others ended`);
});
