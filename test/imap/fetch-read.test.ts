// FETCH reads a small message it parses (ENVELOPE, BODYSTRUCTURE, sections) through the store's synchronous
// readInto; when that declines (the file was renamed or rewritten by another process since the listing), read()
// finds it: the answer is the file's bytes as they are now, over a real socket, never an error or a stale answer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
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
