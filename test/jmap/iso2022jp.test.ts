// Email/set create with a bodyValues part asking for charset "iso-2022-jp": the message is 7bit ISO-2022-JP
// (RFC 1468: every line back in ASCII, at most 998 octets) with ISO-2022-JP encoded-words (each ≤ 75 characters,
// ending in ASCII), read back by Python's email package (a decoder we did not write); characters outside
// JIS X 0208 are refused with a message naming them, and nothing is created.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jmapFixture, USER, type JmapFixture } from './helpers.js';

const PY = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../test/jmap/mime-decode.py');

let f: JmapFixture;
let drafts: string;
before(async () => {
  f = await jmapFixture();
  const list = (await f.call('Mailbox/get', { ids: null, properties: ['role'] })).args.list as { id: string; role: string }[];
  drafts = list.find((b) => b.role === 'drafts')!.id;
});
after(() => f.close());

const LONG_SUBJECT = '【重要】来週の定例会議の議題と資料について（第三回目の改訂版）ご確認をお願いいたします。変更点は添付のとおりです';
const CASES: { name: string; subject: string; fromName: string; text: string; file?: string; expectText?: string; expectSubject?: string }[] = [
  { name: 'kanji and kana', subject: '会議の日程', fromName: '山田 花子', text: '来週の会議について。\nよろしくお願いします。\n' },
  { name: 'ASCII mixed in', subject: 'Re: 見積書 No.123', fromName: 'Hanako Yamada', text: 'Price: 1,000円 (税込)\nThanks!\n' },
  { name: 'half-width kana made full width', subject: 'ｶﾀｶﾅのﾃｽﾄ', fromName: 'ﾔﾏﾀﾞ', text: 'ｺﾝﾆﾁﾊ、ﾊﾟｿｺﾝです\n', expectText: 'コンニチハ、パソコンです\n', expectSubject: 'カタカナのテスト' },
  { name: 'a long subject that folds', subject: LONG_SUBJECT, fromName: '総務部 お知らせ係', text: '本文です。\n' },
  { name: 'a line over 998 octets', subject: '長い行', fromName: '花子', text: `${'あ'.repeat(700)}\n` },
  { name: 'attachment with a Japanese name', subject: '資料送付', fromName: '花子', text: '資料を送ります。\n', file: '議事録（第２版）.txt' },
  { name: 'a file name outside JIS X 0208 (RFC 2231 UTF-8 carries it)', subject: '添付', fromName: '花子', text: '添付します。\n', file: '丸数字①の資料😀.txt' },
];

async function create(c: { subject: string; fromName: string; text: string; file?: string }, charset = 'iso-2022-jp') {
  let attachments: unknown[] | undefined;
  if (c.file) {
    const up = await f.app.inject({ method: 'POST', url: `/jmap/upload/${f.accountId}`, headers: { authorization: f.basic(), 'content-type': 'text/plain' }, payload: 'file body' });
    attachments = [{ blobId: up.json().blobId, type: 'text/plain', name: c.file }];
  }
  return f.call('Email/set', {
    create: {
      e: {
        mailboxIds: { [drafts]: true },
        from: [{ name: c.fromName, email: USER }],
        to: [{ name: '田中 太郎', email: 'taro@example.jp' }],
        subject: c.subject,
        textBody: [{ partId: 't', type: 'text/plain', charset }],
        bodyValues: { t: { value: c.text } },
        ...(attachments ? { attachments } : {}),
      },
    },
  });
}

async function raw(blobId: string): Promise<Buffer> {
  const res = await f.app.inject({ method: 'GET', url: `/jmap/download/${f.accountId}/${blobId}/m.eml`, headers: { authorization: f.basic() } });
  assert.equal(res.statusCode, 200);
  return res.rawPayload;
}

/** RFC 1468 and RFC 2047 as structure: 7-bit, lines ≤ 998, each line and each word back in ASCII. */
function checkStructure(bytes: Buffer): void {
  assert.ok(bytes.every((b) => b < 0x80), 'only 7-bit octets');
  const [head, ...body] = bytes.toString('latin1').split('\r\n\r\n');
  for (const line of body.join('\r\n\r\n').split('\r\n')) {
    assert.ok(line.length <= 998, `a body line of ${line.length} octets`);
    const last = Math.max(line.lastIndexOf('\x1b$B'), line.lastIndexOf('\x1b$@'));
    assert.ok(last < 0 || line.indexOf('\x1b(B', last) > last, `a line ends outside ASCII: ${JSON.stringify(line.slice(-20))}`);
  }
  for (const line of head.split('\r\n')) {
    const words = line.match(/=\?[^?]+\?[BbQq]\?[^?]*\?=/g) ?? [];
    if (words.length) assert.ok(line.length <= 76, `a header line with encoded-words of ${line.length} characters: ${line}`);
    for (const w of words) {
      assert.ok(w.length <= 75, `an encoded-word of ${w.length} characters`);
      assert.match(w, /^=\?ISO-2022-JP\?B\?/);
      const octets = Buffer.from(w.slice(16, -2), 'base64').toString('latin1');
      const esc = octets.lastIndexOf('\x1b$B');
      assert.ok(esc < 0 || octets.indexOf('\x1b(B', esc) > esc, `an encoded-word ends outside ASCII: ${w}`);
    }
  }
  assert.match(bytes.toString('latin1'), /^Content-Type: text\/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit/im);
}

test('ISO-2022-JP messages, read by Python\'s email package: subject, display name, text and file names come back', async () => {
  const files: string[] = [];
  const blobs: Buffer[] = [];
  for (const c of CASES) {
    const r = await create(c);
    const made = (r.args.created as Record<string, { blobId: string }> | null)?.e;
    assert.ok(made, `${c.name}: ${JSON.stringify(r.args.notCreated)}`);
    const bytes = await raw(made.blobId);
    blobs.push(bytes);
    checkStructure(bytes);
    const file = path.join(f.dir, `m${files.length}.eml`);
    fs.writeFileSync(file, bytes);
    files.push(file);
  }
  const out = execFileSync('python3', [PY, ...files], { encoding: 'utf8' }).trim().split('\n').map((l) => JSON.parse(l));
  CASES.forEach((c, i) => {
    const got = { ...out[i], text: (out[i].text as string).replace(/\r\n/g, '\n') };
    assert.equal(got.subject, c.expectSubject ?? c.subject, c.name);
    assert.equal(got.fromName, c.name.startsWith('half') ? 'ヤマダ' : c.fromName, c.name);
    assert.equal(got.fromEmail, USER);
    assert.equal(got.charset, 'iso-2022-jp', c.name);
    assert.equal(got.cte, '7bit', c.name);
    const want = (c.expectText ?? c.text).replace(/\n/g, '\n');
    if (c.name.startsWith('a line over')) assert.equal(got.text.replace(/\n/g, ''), want.replace(/\n/g, ''), 'the long line is broken, nothing lost');
    else assert.equal(got.text, want, c.name);
    assert.deepEqual(got.files, c.file ? [c.file] : [], c.name);
    assert.deepEqual(got.defects, [], c.name);
  });
  // the long subject is folded into several words; the 700-kana line into two lines
  assert.ok((blobs[3].toString('latin1').match(/=\?ISO-2022-JP\?B\?/g) ?? []).length >= 3);
  assert.ok(out[4].text.split('\n').length >= 3);
  // RFC 2231 keeps the file name in UTF-8; name= has it as an ISO-2022-JP word
  assert.match(blobs[5].toString('latin1'), /filename\*=UTF-8''%E8%AD%B0/);
  assert.match(blobs[5].toString('latin1'), /name="=\?ISO-2022-JP\?B\?/);
  assert.match(blobs[6].toString('latin1'), /name="=\?UTF-8\?B\?/, 'name= falls back to UTF-8 words for a name ISO-2022-JP cannot carry');
});

test('characters outside JIS X 0208 are refused with their name, nothing created; UTF-8 still sends them', async () => {
  const before = ((await f.call('Email/query', {})).args.ids as string[]).length;
  const table = [
    { where: 'bodyValues', c: { subject: '件名', fromName: '花子', text: '丸数字① は CP50220 にしかない' }, char: '①' },
    { where: 'bodyValues', c: { subject: '件名', fromName: '花子', text: '絵文字 😀' }, char: '😀' },
    { where: 'subject', c: { subject: '髙島屋のご案内', fromName: '花子', text: '本文' }, char: '髙' },
    { where: 'from', c: { subject: '件名', fromName: '﨑山', text: '本文' }, char: '﨑' },
    { where: 'bodyValues', c: { subject: '件名', fromName: '花子', text: 'ESC \x1b$B injected' }, char: '\x1b' },
  ];
  for (const t of table) {
    const r = await create(t.c);
    const err = (r.args.notCreated as Record<string, { type: string; properties: string[]; description: string }>).e;
    assert.equal(err.type, 'invalidProperties', t.char);
    assert.deepEqual(err.properties, [t.where]);
    assert.ok(err.description.includes(t.char) && /UTF-8/.test(err.description), err.description);
  }
  const bad = await create({ subject: 's', fromName: 'n', text: 't' }, 'shift_jis');
  assert.equal((bad.args.notCreated as Record<string, { type: string }>).e.type, 'invalidProperties');
  assert.equal(((await f.call('Email/query', {})).args.ids as string[]).length, before, 'nothing was created');
  const utf8 = await create(table[0].c, 'utf-8');
  assert.ok((utf8.args.created as Record<string, unknown>).e);
});
