// FETCH reads a small message it parses (ENVELOPE, BODYSTRUCTURE, sections) through the store's synchronous
// readInto; when that declines (the file was renamed or rewritten by another process since the listing), read()
// finds it: the answer is the file's bytes as they are now, over a real socket, never an error or a stale answer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseFetchItems, renderFetch } from '../../engine/imap/fetch-items.js';
import { parseMime } from '../../engine/mime/mime-tree.js';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { mail, RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
let c: RawClient;
let maildir: string;

const fileWith = (marker: string) => fs.readdirSync(path.join(maildir, 'cur')).find((f) => fs.readFileSync(path.join(maildir, 'cur', f), 'latin1').includes(marker))!;

before(async () => {
  h = await startHarness({ store: (dataDir) => new MaildirStore(dataDir) });
  maildir = path.join(h.dir, 'data', 'mail', 'example.test', 'taro', 'Maildir');
  for (const [i, subject] of ['=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= one', 'two', 'three'].entries()) {
    await h.store.append(USER, 'INBOX', mail([`From: p${i}@example.test`, `Subject: ${subject}`, `X-N: n${i}`, '', `body ${i}`]));
  }
  c = await RawClient.connect(h.plain.port);
  await c.login();
  await c.cmd('SELECT INBOX');
});
after(async () => {
  c.close();
  await h.close();
});

test('ENVELOPE and BODYSTRUCTURE of files renamed or rewritten by another process after SELECT', async () => {
  // another process marks message 1 flagged (a new name) and rewrites message 2 longer (the name's size is stale)
  const one = fileWith('X-N: n0');
  fs.renameSync(path.join(maildir, 'cur', one), path.join(maildir, 'cur', one.replace(/:2,.*$/, ':2,F')));
  const two = fileWith('X-N: n1');
  fs.writeFileSync(path.join(maildir, 'cur', two), mail(['From: p1@example.test', 'Subject: two rewritten', 'X-N: n1', '', 'a longer body now']));
  const r = await c.cmd('FETCH 1:3 (ENVELOPE BODYSTRUCTURE)');
  assert.match(r.status, /^OK/, r.status);
  const text = r.lines.join('\n');
  assert.match(text, /\* 1 FETCH \(ENVELOPE \(NIL "=\?ISO-2022-JP\?B\?GyRCRnxLXDhsGyhC\?= one" \(\(NIL NIL "p0" "example.test"\)\)/);
  assert.match(text, /\* 2 FETCH \(ENVELOPE \(NIL "two rewritten"/);
  assert.match(text, /"7BIT" 19 1 NIL NIL NIL NIL\)\)/, 'message 2 measured from its bytes as they are now');
  assert.match(text, /\* 3 FETCH \(ENVELOPE \(NIL "three"/);
});

test('FETCH 1:* (ENVELOPE BODYSTRUCTURE) of messages of many sizes read into one buffer: each answer is its own file\'s, then the cache\'s, and SEARCH reads the kept header blocks', async () => {
  const JIS = Buffer.from('1b2442467c4b5c386c1b2842', 'hex');
  const SJIS = Buffer.from('=?Shift_JIS?B?k/qWe4zq?='); // 7-bit: the raw client reads text as UTF-8
  await c.cmd('CREATE Many');
  for (let i = 0; i < 40; i++) {
    // long and short messages alternate, so a later, shorter one would show a longer one's leftover bytes
    const head = Buffer.concat([Buffer.from(`From: "${'n'.repeat(i % 7)}" <m${i}@example.jp>\r\nSubject: `), i % 2 ? JIS : SJIS, Buffer.from(` ${i}\r\nX-K: k${i}\r\n`)]);
    const body = i % 3 === 0
      ? `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n${'x'.repeat(i * 97)}\r\n--b${i}\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner ${i}\r\n\r\ninner\r\n--b${i}--\r\n`
      : `Content-Type: text/plain\r\n\r\n${'y'.repeat((40 - i) * 131)}\r\n`;
    await h.store.append(USER, 'Many', Buffer.concat([head, Buffer.from(body)]));
  }
  await c.cmd('SELECT Many');
  const files = fs.readdirSync(path.join(maildir, '.Many', 'cur')).map((f) => fs.readFileSync(path.join(maildir, '.Many', 'cur', f)));
  const items = parseFetchItems({ t: 'list', v: [{ t: 'atom', v: 'ENVELOPE' }, { t: 'atom', v: 'BODYSTRUCTURE' }] });
  assert.ok(Array.isArray(items));
  const expected = new Map<string, Buffer>();
  for (const raw of files) {
    const tree = parseMime(raw);
    const k = /X-K: (k\d+)/.exec(raw.toString('latin1'))![1];
    expected.set(k, renderFetch(items, { seq: 0, info: { uid: 0 } as never, flags: [], raw, tree: () => tree }).toBuffer().subarray('* 0 FETCH ('.length));
  }
  for (let round = 0; round < 2; round++) {
    const r = await c.cmd('FETCH 1:* (ENVELOPE BODYSTRUCTURE)');
    assert.match(r.status, /^OK/);
    const all = r.raw.toString('latin1');
    for (let seq = 1; seq <= 40; seq++) {
      const k = `k${seq - 1}`;
      const want = expected.get(k)!.toString('latin1');
      const at = all.indexOf(`* ${seq} FETCH (`);
      const from = at + `* ${seq} FETCH (`.length;
      assert.equal(all.slice(from, from + want.length), want, `round ${round}, message ${seq}`);
      assert.ok(/^(\r\n|$)/.test(all.slice(from + want.length, from + want.length + 2)), `round ${round}, message ${seq}: the line ends there`);
    }
  }
  // X-K has no column: SEARCH reads the header blocks FETCH kept (k3 also matches k30–k39)
  const hits = async (k: string) => (await c.cmd(`SEARCH HEADER X-K ${k}`)).lines.find((l) => l.startsWith('* SEARCH'))!.slice(9);
  assert.equal(await hits('k39'), '40');
  assert.equal(await hits('k7'), '8');
  assert.equal(await hits('k3'), '4 31 32 33 34 35 36 37 38 39 40');
});
