// SEARCH's header keys answered from columns (engine/imap/search-columns.ts) must give what the per-message path
// gives, whatever the header blocks hold and however the column was made: hostile blocks (bare CR, obs-fold, a line
// without a colon, a name with spaces before its colon, NUL, raw 8-bit Japanese, a 1 MB line, LF-only ends) answered
// by a column made from the files, by one made from FETCH's feed, and per message (a BODY key turns columns off);
// and a column never answers for another mailbox: a folder deleted and made again under the same name, a message
// expunged and another appended, and another user's INBOX with the same name.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import iconv from 'iconv-lite';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
let c: RawClient;
const OTHER = 'hanako@other.test';

const lit = (s: string) => `{${Buffer.byteLength(s)}+}\r\n${s}`;
const b64 = (charset: string, s: string) => `=?${charset}?B?${iconv.encode(s, charset).toString('base64')}?=`;
/** 日本語 in ISO-2022-JP (iconv-lite has no encoder for it). */
const JIS = Buffer.from('1b2442467c4b5c386c1b2842', 'hex');

/** Hostile header blocks: each message's bytes as they are stored. */
function hostile(): Buffer[] {
  const big = 'needle ' + 'x'.repeat(1024 * 1024) + ' tail';
  const parts: (string | Buffer)[][] = [
    ['Subject: bare\rCR needle\r\nFrom: a@x.test\r\n\r\nb'],
    ['Subject: obs\r\n\tfold\r\n   needle\r\nFrom: b@x.test\r\n\r\nb'],
    ['no colon on this line needle\r\nSubject: after-nocolon\r\n\r\nb'],
    ['Subject   : spaced name needle\r\nFrom: c@x.test\r\n\r\nb'],
    ['Subject: nul\u0000needle\r\nFrom: d@x.test\r\n\r\nb'],
    ['Subject: a\r\nSubject: b\r\nFrom: e@x.test\r\n\r\nb'],
    [Buffer.from('Subject: '), iconv.encode('日本語の件名 needle', 'Shift_JIS'), '\r\nFrom: f@x.test\r\n\r\nb'],
    [Buffer.from('Subject: '), iconv.encode('日本語の件名', 'EUC-JP'), '\r\nFrom: g@x.test\r\n\r\nb'],
    [Buffer.from('Subject: '), Buffer.from('ＮＥＥＤＬＥ 日本語', 'utf8'), '\r\nFrom: h@x.test\r\n\r\nb'],
    [`Subject: =?ISO-2022-JP?B?${JIS.toString('base64')}?= ${b64('UTF-8', 'ニードル')}\r\nFrom: i@x.test\r\n\r\nb`],
    [Buffer.from('Subject: raw '), JIS, ' needle\r\nFrom: q@x.test\r\n\r\nb'],
    [`Subject: ${big}\r\nFrom: j@x.test\r\n\r\nb`],
    ['Subject: lf only needle\nFrom: k@x.test\n\nb'],
    [' Subject: leading space needle\r\nFrom: l@x.test\r\n\r\nb'],
    ['\u00a0Subject:\u00a0nbsp needle\u00a0\r\nFrom: m@x.test\r\n\r\nb'],
    ['From: n@x.test\r\nSubject:\r\n\r\nempty subject'],
    ['From: o@x.test\r\n\r\nno subject'],
    ['Subject: a\r\n\r\nSubject: in the body needle\r\n'],
    ['Subject: folded end\r\n \r\nFrom: p@x.test\r\n\r\nb'],
  ];
  return parts.map((p) => Buffer.concat(p.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x))));
}

const KEYS = [
  'SUBJECT needle',
  'SUBJECT ""',
  'NOT SUBJECT ""',
  'SUBJECT "cr needle"',
  `SUBJECT ${lit('obs\tfold')}`,
  `SUBJECT ${lit('bare\rcr')}`,
  `SUBJECT ${lit('obs\t')}`,
  `SUBJECT ${lit('l\u0000n')}`,
  `HEADER ${lit('Sub\u0000ject')} ${lit('')}`,
  'SUBJECT "fold   needle"',
  'SUBJECT "nocolon"',
  'SUBJECT "spaced"',
  'SUBJECT "a"',
  'SUBJECT "ab"',
  'SUBJECT "nul"',
  'SUBJECT "x needle"',
  'SUBJECT "tail"',
  'SUBJECT "leading"',
  'SUBJECT "nbsp needle"',
  'SUBJECT "body"',
  'SUBJECT "end"',
  'FROM x.test',
  'HEADER Subject needle',
  'HEADER "Subject   " needle',
  `CHARSET UTF-8 SUBJECT ${lit('日本語')}`,
  `CHARSET UTF-8 SUBJECT ${lit('件名')}`,
  `CHARSET UTF-8 SUBJECT ${lit('ニードル')}`,
  `CHARSET UTF-8 SUBJECT ${lit('ｎｅｅｄｌｅ')}`,
  'OR SUBJECT obs FROM k@',
];

before(async () => {
  h = await startHarness({ store: (dataDir) => new MaildirStore(dataDir) });
  for (const f of ['Cold', 'Fed']) {
    await h.store.createFolder(USER, f);
    for (const m of hostile()) await h.store.append(USER, f, m);
  }
  c = await RawClient.connect(h.plain.port);
  await c.login();
});
after(async () => {
  c.close();
  await h.close();
});

async function find(client: RawClient, q: string): Promise<string> {
  const r = await client.cmd(`SEARCH ${q}`, 120_000);
  assert.match(r.status, /^OK/, `${q}: ${r.status}`);
  return r.lines.find((l) => l.startsWith('* SEARCH'))!.slice(8).trim();
}

test('hostile header blocks: columns made from the files and from FETCH answer as the per-message path does', async () => {
  const want = new Map<string, string>();
  await c.cmd('SELECT Cold');
  // per message: a BODY key (never matching) keeps columns out
  for (const k of KEYS) want.set(k, await find(c, `${k} NOT BODY "q9z-never-there"`));
  // sanity: the table is not vacuous
  assert.notEqual(want.get('SUBJECT needle'), '');
  for (const k of KEYS) assert.equal(await find(c, k), want.get(k), `cold, column made: ${k}`);
  for (const k of KEYS) assert.equal(await find(c, k), want.get(k), `cold, column kept: ${k}`);
  await c.cmd('SELECT Fed');
  assert.match((await c.cmd('FETCH 1:* (ENVELOPE BODYSTRUCTURE)', 120_000)).status, /^OK/);
  for (const k of KEYS) assert.equal(await find(c, k), want.get(k), `fed: ${k}`);
  for (const k of KEYS) assert.equal(await find(c, `${k} NOT BODY "q9z-never-there"`), want.get(k), `fed, per message: ${k}`);
});

test('a folder deleted and made again under the same name, and a message expunged then another appended, are not answered from the old column', async () => {
  await h.store.createFolder(USER, 'Again');
  await h.store.append(USER, 'Again', Buffer.from('Subject: first-life\r\nFrom: a@x.test\r\n\r\nb\r\n'));
  await c.cmd('SELECT Again');
  assert.equal(await find(c, 'SUBJECT first-life'), '1');
  await c.cmd('FETCH 1 (ENVELOPE)');
  assert.equal(await find(c, 'FROM a@x'), '1');
  await c.cmd('UNSELECT');
  assert.match((await c.cmd('DELETE Again')).status, /^OK/);
  assert.match((await c.cmd('CREATE Again')).status, /^OK/);
  await h.store.append(USER, 'Again', Buffer.from('Subject: second-life\r\nFrom: b@x.test\r\n\r\nb\r\n'));
  await c.cmd('SELECT Again');
  assert.equal(await find(c, 'SUBJECT first-life'), '');
  assert.equal(await find(c, 'SUBJECT second-life'), '1');
  assert.equal(await find(c, 'FROM a@x'), '');
  // expunge it, append another: the new UID is searched, the old values are gone
  await c.cmd('STORE 1 +FLAGS (\\Deleted)');
  await c.cmd('EXPUNGE');
  await h.store.append(USER, 'Again', Buffer.from('Subject: third-life\r\nFrom: c@x.test\r\n\r\nb\r\n'));
  await c.cmd('NOOP');
  assert.equal(await find(c, 'SUBJECT second-life'), '');
  assert.equal(await find(c, 'SUBJECT third-life'), '1');
  assert.equal(await find(c, 'FROM c@x'), '1');
});

test("another user's INBOX (same name, maybe the same UIDVALIDITY) is never answered from this user's columns", async () => {
  await h.store.append(USER, 'INBOX', Buffer.from('Subject: taro-secret\r\nFrom: t@x.test\r\n\r\nb\r\n'));
  await h.store.append(OTHER, 'INBOX', Buffer.from('Subject: hanako-note\r\nFrom: h@x.test\r\n\r\nb\r\n'));
  const d = await RawClient.connect(h.plain.port);
  try {
    await d.login(OTHER, 'other-pw2');
    await c.cmd('SELECT INBOX');
    await d.cmd('SELECT INBOX');
    await c.cmd('FETCH 1:* (ENVELOPE)');
    assert.equal(await find(c, 'SUBJECT taro-secret'), '1');
    assert.equal(await find(c, 'FROM t@x'), '1');
    assert.equal(await find(d, 'SUBJECT taro-secret'), '');
    assert.equal(await find(d, 'FROM t@x'), '');
    assert.equal(await find(d, 'SUBJECT hanako-note'), '1');
    assert.equal(await find(c, 'SUBJECT hanako-note'), '');
  } finally {
    d.close();
  }
});
