// FETCH items (BODYSTRUCTURE, nested sections, partials, HEADER.FIELDS, \Seen rules) and SEARCH keys,
// including Japanese text in ISO-2022-JP headers and Shift_JIS / EUC-JP bodies, over real sockets.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import iconv from 'iconv-lite';
import { mail, RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
let c: RawClient;

// 日本語 in ISO-2022-JP: ESC $ B F | K \ 8 l ESC ( B
const JIS = Buffer.from('1b2442467c4b5c386c1b2842', 'hex').toString('latin1');

const nested = mail([
  'From: "Sender Name" <sender@example.test>',
  'To: Group: a@x.test, "B, b" <b@y.test>;, c@z.test',
  'Cc: undisclosed-recipients:;',
  'Subject: nested',
  'Date: Tue, 2 Jan 2024 10:00:00 +0900',
  'Message-ID: <nested@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  'preamble',
  '--outer',
  'Content-Type: multipart/alternative; boundary=inner',
  '',
  '--inner',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'plain part',
  '--inner',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<p>html=20part</p>',
  '--inner--',
  '--outer',
  'Content-Type: message/rfc822',
  'Content-Disposition: attachment; filename="fwd.eml"',
  '',
  'From: inner@example.test',
  'Subject: forwarded',
  '',
  'inner body',
  '--outer',
  'Content-Type: application/octet-stream; name="a.bin"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="a.bin"',
  '',
  'AAECAw==',
  '--outer--',
  'epilogue',
]);

before(async () => {
  h = await startHarness();
  const sjisBody = iconv.encode('本文に日本語が入っています', 'Shift_JIS').toString('base64');
  const eucBody = iconv
    .encode('ＥＵＣの本文：東京', 'EUC-JP')
    .toString('latin1')
    .replace(/[\x80-\xff=]/g, (ch) => '=' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
  const msgs = [
    nested,
    Buffer.concat([
      Buffer.from(`From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\nTo: ${USER}\r\nSubject: =?ISO-2022-JP?B?${Buffer.from(JIS, 'latin1').toString('base64')}?= test\r\nDate: Wed, 10 Jan 2024 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n`),
      Buffer.from(sjisBody + '\r\n'),
    ]),
    mail(['From: euc@example.jp', 'Subject: plain ascii', 'Content-Type: text/plain; charset=EUC-JP', 'Content-Transfer-Encoding: quoted-printable', '', eucBody]),
    mail(['From: big@example.test', 'Subject: Big one', 'X-Custom: marker', '', 'x'.repeat(5000)]),
  ];
  const dates = [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 10), Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1)];
  for (let i = 0; i < msgs.length; i++) await h.store.append(USER, 'INBOX', msgs[i], { internalDate: dates[i], flags: i === 3 ? ['\\Flagged', '$Work'] : [] });
  c = await RawClient.connect(h.plain.port);
  await c.login();
  await c.cmd('SELECT INBOX');
});
after(async () => {
  c.close();
  await h.close();
});

test('BODYSTRUCTURE of nested multiparts with an attached message', async () => {
  const r = await c.cmd('FETCH 1 (BODYSTRUCTURE)');
  assert.equal(
    r.lines[0],
    '* 1 FETCH (BODYSTRUCTURE ((("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 18 1 NIL NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL)' +
      '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 58 (NIL "forwarded" ((NIL NIL "inner" "example.test")) ((NIL NIL "inner" "example.test")) ((NIL NIL "inner" "example.test")) NIL NIL NIL NIL NIL) ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL) 4 NIL ("ATTACHMENT" ("FILENAME" "fwd.eml")) NIL NIL)' +
      '("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") NIL NIL "BASE64" 8 NIL ("ATTACHMENT" ("FILENAME" "a.bin")) NIL NIL) "MIXED" ("BOUNDARY" "outer") NIL NIL NIL))',
  );
  assert.equal((await c.cmd('FETCH 1 (BODYSTRUCTURE)')).lines[0], r.lines[0], 'the second answer (from the message cache) is identical');
  const body = await c.cmd('FETCH 1 (BODY)');
  assert.match(body.lines[0], /^\* 1 FETCH \(BODY \(\(\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "7BIT" 10 1\)/);
});

test('ENVELOPE with groups and quoted display names', async () => {
  const r = await c.cmd('FETCH 1 ENVELOPE');
  assert.equal(
    r.lines[0],
    '* 1 FETCH (ENVELOPE ("Tue, 2 Jan 2024 10:00:00 +0900" "nested" (("Sender Name" NIL "sender" "example.test")) (("Sender Name" NIL "sender" "example.test")) (("Sender Name" NIL "sender" "example.test")) ' +
      '((NIL NIL "Group" NIL)(NIL NIL "a" "x.test")("B, b" NIL "b" "y.test")(NIL NIL NIL NIL)(NIL NIL "c" "z.test")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL "<nested@example.test>"))',
  );
});

test('body sections: parts, nested parts, MIME, HEADER/TEXT of an attached message, partials, HEADER.FIELDS(.NOT)', async () => {
  const sec = async (s: string) => {
    const r = await c.cmd(`FETCH 1 (BODY.PEEK[${s}])`);
    const m = /\{(\d+)\}\r\n([\s\S]*)\)$/.exec(r.lines[0]);
    return m ? m[2] : r.lines[0];
  };
  assert.equal(await sec('1.1'), 'plain part');
  assert.equal(await sec('1.2'), '<p>html=20part</p>');
  assert.equal(await sec('1.2.MIME'), 'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
  assert.equal(await sec('2.HEADER'), 'From: inner@example.test\r\nSubject: forwarded\r\n\r\n');
  assert.equal(await sec('2.TEXT'), 'inner body');
  assert.equal(await sec('2.1'), 'inner body');
  assert.equal(await sec('3'), 'AAECAw==');
  assert.equal(await sec('HEADER.FIELDS (SUBJECT MESSAGE-ID)'), 'Subject: nested\r\nMessage-ID: <nested@example.test>\r\n\r\n');
  assert.match(await sec('HEADER.FIELDS.NOT (FROM TO CC SUBJECT DATE MESSAGE-ID)'), /^MIME-Version: 1.0\r\nContent-Type: multipart\/mixed; boundary="outer"\r\n\r\n$/);
  assert.match((await c.cmd('FETCH 1 (BODY.PEEK[9])')).lines[0], /BODY\[9\] NIL/);
  const partial = await c.cmd('FETCH 1 (BODY.PEEK[]<6.14>)');
  assert.equal(partial.lines[0], '* 1 FETCH (BODY[]<6> {14}\r\n"Sender Name" )');
  assert.match((await c.cmd('FETCH 1 (BODY.PEEK[]<99999.10>)')).lines[0], /BODY\[\]<99999> \{0\}/);
  const whole = await c.cmd('FETCH 1 (RFC822.SIZE BODY.PEEK[])');
  assert.ok(whole.lines[0].includes(`{${nested.length}}\r\n${nested.toString()}`));
  assert.match((await c.cmd('FETCH 1 (BODY[HEADER.FIELDS ()])')).status, /^BAD/);
  assert.match((await c.cmd('FETCH 1 (BODY[1.MIMEX])')).status, /^BAD/);
});

test('\\Seen: BODY[] sets it and reports FLAGS, PEEK and EXAMINE do not; macros expand', async () => {
  const peek = await c.cmd('FETCH 4 (BODY.PEEK[TEXT]<0.5>)');
  assert.doesNotMatch(peek.lines[0], /FLAGS/);
  const e = await RawClient.connect(h.plain.port);
  await e.login();
  await e.cmd('EXAMINE INBOX');
  assert.doesNotMatch((await e.cmd('FETCH 4 (BODY[TEXT]<0.5>)')).lines[0], /Seen/);
  e.close();
  const seen = await c.cmd('FETCH 4 (RFC822.TEXT)');
  const flags = /FLAGS \(([^)]*)\)/.exec(seen.lines[0])![1].split(' ').filter((f) => f !== '\\Recent').sort();
  assert.deepEqual(flags, ['$Work', '\\Flagged', '\\Seen']);
  const all = await c.cmd('FETCH 4 ALL');
  assert.match(all.lines[0], /^\* 4 FETCH \(FLAGS \(.*\) INTERNALDATE "01-Mar-2024 00:00:00 \+0000" RFC822.SIZE \d+ ENVELOPE \(/);
  const full = await c.cmd('UID FETCH 4 FULL');
  assert.match(full.lines[0], /^\* 4 FETCH \(UID 4 FLAGS .* BODY \("TEXT" "PLAIN"/);
  await c.cmd('STORE 4 -FLAGS.SILENT (\\Seen)');
});

const search = async (q: string, uid = false) => {
  const r = await c.cmd(`${uid ? 'UID ' : ''}SEARCH ${q}`);
  assert.match(r.status, /^OK/, `${q}: ${r.status}`);
  return r.lines.find((l) => l.startsWith('* SEARCH'))!.slice(8).trim();
};

test('SEARCH finds Japanese text in ISO-2022-JP headers and Shift_JIS / EUC-JP bodies', async () => {
  const lit = (s: string) => {
    const b = Buffer.from(s);
    return `{${b.length}+}\r\n${s}`;
  };
  assert.equal(await search(`CHARSET UTF-8 SUBJECT ${lit('日本語')}`), '2');
  assert.equal(await search(`CHARSET UTF-8 FROM ${lit('山田')}`), '2');
  assert.equal(await search(`CHARSET UTF-8 BODY ${lit('日本語が入って')}`), '2');
  assert.equal(await search(`CHARSET UTF-8 BODY ${lit('東京')}`), '3');
  assert.equal(await search(`CHARSET UTF-8 TEXT ${lit('euc の本文')}`), '', 'no false match across words');
  assert.equal(await search(`CHARSET UTF-8 TEXT ${lit('EUCの本文')}`), '3', 'full-width letters fold to ASCII');
  assert.equal(await search(`CHARSET UTF-8 TEXT ${lit('日本語')}`), '2');
  assert.equal(await search('BODY "html part</p>"'), '1', 'quoted-printable decoded before matching');
  assert.equal(await search('BODY "html=20part"'), '');
  assert.match((await c.cmd('SEARCH CHARSET X-NO-SUCH-CHARSET ALL')).status, /^NO \[BADCHARSET/);
  assert.equal(await search('CHARSET KOI8-R ALL'), '1 2 3 4', 'any charset the decoder knows');
});

test('SEARCH keys: flags, sizes, dates, headers, UID, sequence sets, OR/NOT/lists', async () => {
  assert.equal(await search('ALL'), '1 2 3 4');
  assert.equal(await search('FLAGGED'), '4');
  assert.equal(await search('KEYWORD $Work'), '4');
  assert.equal(await search('UNKEYWORD $Work'), '1 2 3');
  assert.equal(await search('LARGER 4000'), '4');
  assert.equal(await search('SMALLER 4000 NOT FLAGGED'), '1 2 3');
  assert.equal(await search('SINCE 10-Jan-2024 BEFORE 1-Mar-2024'), '2 3');
  assert.equal(await search('ON 1-Feb-2024'), '3');
  assert.equal(await search('SENTON 2-Jan-2024'), '1');
  assert.equal(await search('SENTSINCE 5-Jan-2024'), '2');
  assert.equal(await search('HEADER X-Custom marker'), '4');
  assert.equal(await search('HEADER X-Custom ""'), '4');
  assert.equal(await search('OR SUBJECT nested SUBJECT "big ONE"'), '1 4');
  assert.equal(await search('(FROM sender) (TO "b@y.test")'), '1');
  assert.equal(await search('2:3,*'), '2 3 4');
  assert.equal(await search('UID 3:*', true), '3 4');
  assert.equal(await search('NOT (OR 1 4)'), '2 3');
  assert.equal(await search('DELETED'), '');
  assert.match((await c.cmd('SEARCH FROBNICATE')).status, /^BAD/);
  assert.match((await c.cmd('SEARCH SINCE yesterday')).status, /^BAD/);
});

test('SEARCH with thousands of keys is refused (NO [LIMIT]) before any message is read; 64 text keys still search', async () => {
  // before the bound, 3,000 NOT BODY keys in one 64 kB line over one 2 MB message held the server's thread 45 s
  const textKeys = (n: number) => Array.from({ length: n }, (_, i) => `NOT BODY "zq${i}"`).join(' ');
  const tooMany = await c.cmd(`SEARCH ${textKeys(65)}`);
  assert.match(tooMany.status, /^NO \[LIMIT\]/, tooMany.status);
  assert.equal(tooMany.lines.filter((l) => l.startsWith('* SEARCH')).length, 0);
  const flagKeys = await c.cmd(`SEARCH ${Array.from({ length: 600 }, () => 'NOT DELETED').join(' ')}`);
  assert.match(flagKeys.status, /^NO \[LIMIT\]/, flagKeys.status);
  assert.equal(await search(textKeys(64)), '1 2 3 4');
  assert.equal(await search(`${textKeys(10)} ${Array.from({ length: 200 }, () => 'UNDELETED').join(' ')} SUBJECT big`), '4');
});

test('a message keeps at most 64 keywords: STORE and APPEND past it get NO [LIMIT] and change nothing', async () => {
  // before, each 64 kB STORE added ~4,000 keywords to a message, without end (20,000 seen), kept in the index
  const kws = (from: number, n: number) => Array.from({ length: n }, (_, i) => `$Kw${from + i}`).join(' ');
  const before = (await c.cmd('FETCH 1 (FLAGS)')).lines[0];
  const tooMany = await c.cmd(`STORE 1 +FLAGS (${kws(0, 65)})`);
  assert.match(tooMany.status, /^NO \[LIMIT\]/, tooMany.status);
  assert.equal((await c.cmd('FETCH 1 (FLAGS)')).lines[0], before);
  assert.match((await c.cmd(`STORE 1 +FLAGS.SILENT (${kws(0, 60)})`)).status, /^OK/);
  const past = await c.cmd(`STORE 1 +FLAGS (${kws(60, 5)})`);
  assert.match(past.status, /^NO \[LIMIT\]/, '60 kept + 5 new');
  assert.match((await c.cmd(`STORE 1 +FLAGS (${kws(0, 60)} $KW1 $kw2 ${kws(60, 4)})`)).status, /^OK/, 'the same keyword in any case counts once');
  assert.match((await c.cmd(`STORE 1 FLAGS (${kws(100, 65)})`)).status, /^NO \[LIMIT\]/);
  assert.match((await c.cmd(`STORE 1 FLAGS (${kws(100, 64)} \\Seen)`)).status, /^OK/);
  assert.match((await c.cmd(`STORE 1 -FLAGS.SILENT (${kws(100, 64)} \\Seen)`)).status, /^OK/);
  const msg = 'Subject: kw\r\n\r\nx\r\n';
  const append = await c.cmd(`APPEND INBOX (${kws(0, 65)}) {${msg.length}+}\r\n${msg}`);
  assert.match(append.status, /^NO \[LIMIT\]/, append.status);
});

test('CONDSTORE: HIGHESTMODSEQ, FETCH CHANGEDSINCE, STORE UNCHANGEDSINCE, SEARCH MODSEQ', async () => {
  const sel = await c.cmd('SELECT INBOX (CONDSTORE)');
  const hm = sel.lines.find((l) => l.includes('HIGHESTMODSEQ'));
  assert.ok(hm, 'HIGHESTMODSEQ reported');
  const before = Number(/HIGHESTMODSEQ (\d+)/.exec(hm!)![1]);
  const st = await c.cmd('STORE 2 +FLAGS (\\Answered)');
  const ms = Number(/MODSEQ \((\d+)\)/.exec(st.lines[0])![1]);
  assert.ok(ms > before);
  const changed = await c.cmd(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${before})`);
  assert.equal(changed.lines.length, 1);
  assert.match(changed.lines[0], /^\* 2 FETCH \(FLAGS \(\\Answered\) MODSEQ \(\d+\)\)/);
  const refused = await c.cmd(`STORE 2 (UNCHANGEDSINCE ${before}) +FLAGS (\\Flagged)`);
  assert.match(refused.status, /^OK \[MODIFIED 2\]/);
  assert.match(await search(`MODSEQ ${ms}`), /^2 \(MODSEQ \d+\)$/);
});

test('SEARCH on header keys after FETCH kept the header blocks: Japanese subjects in four charsets, fields added later, dates', async () => {
  const words = (cs: string, text: string) => `=?${cs}?B?${iconv.encode(text, cs).toString('base64')}?=`;
  const subjects = [
    `=?ISO-2022-JP?B?${Buffer.from(JIS, 'latin1').toString('base64')}?= kenmei`, // iconv-lite cannot encode ISO-2022-JP
    words('Shift_JIS', '日本語の見積'),
    words('EUC-JP', '日本語の請求'),
    words('UTF-8', '日本語の報告'),
    'plain ascii only',
  ];
  await h.store.createFolder(USER, 'Cached');
  for (let i = 0; i < subjects.length; i++) {
    await h.store.append(USER, 'Cached', mail([`From: ${i === 1 ? words('Shift_JIS', '鈴木') + ' <suzuki@example.jp>' : `p${i}@example.test`}`, `Subject: ${subjects[i]}`, `Date: ${i + 1} Feb 2024 10:00:00 +0000`, i === 4 ? 'X-Tag: kept' : 'X-Other: x', '', `body ${i} 東京`]));
  }
  const d = await RawClient.connect(h.plain.port);
  try {
    await d.login();
    await d.cmd('SELECT Cached');
    const find = async (q: string) => {
      const r = await d.cmd(`SEARCH ${q}`);
      assert.match(r.status, /^OK/, `${q}: ${r.status}`);
      return r.lines.find((l) => l.startsWith('* SEARCH'))!.slice(8).trim();
    };
    const lit = (s: string) => `{${Buffer.byteLength(s)}+}\r\n${s}`;
    assert.match((await d.cmd('FETCH 1:* (ENVELOPE BODYSTRUCTURE)')).status, /^OK/);
    for (let round = 0; round < 2; round++) {
      // first round decodes from the kept header blocks, the second from the values decoded in the first
      assert.equal(await find(`CHARSET UTF-8 SUBJECT ${lit('日本語')}`), '1 2 3 4', `round ${round}`);
      assert.equal(await find(`CHARSET UTF-8 SUBJECT ${lit('見積')}`), '2');
      assert.equal(await find('SUBJECT "ASCII ONLY"'), '5');
      assert.equal(await find(`CHARSET UTF-8 FROM ${lit('鈴木')}`), '2', 'a field not asked for before');
      assert.equal(await find('HEADER X-Tag ""'), '5');
      assert.equal(await find('SENTBEFORE 3-Feb-2024'), '1 2');
      assert.equal(await find(`CHARSET UTF-8 OR SUBJECT ${lit('請求')} TEXT ${lit('body 4')}`), '3 5', 'header and body keys together');
      assert.equal(await find(`CHARSET UTF-8 BODY ${lit('東京')}`), '1 2 3 4 5');
    }
  } finally {
    d.close();
  }
});
