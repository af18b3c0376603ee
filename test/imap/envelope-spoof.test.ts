// A display name that holds "<…>" must not become the address: '"Boss <boss@company.example>" <evil@example.org>'
// is from evil@example.org. IMAP's ENVELOPE (and JMAP's From, which uses the same parser) once took the first
// "<" even inside the quotes and showed boss@company.example as the sender. Over a real socket.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mail, RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
let c: RawClient;

before(async () => {
  h = await startHarness();
  await h.store.append(USER, 'INBOX', mail(['From: "Boss <boss@company.example>" <evil@example.org>', 'Reply-To: "x\\"<y@z.example>" <r@example.org>', 'Subject: spoof', '', 'pay now']));
  c = await RawClient.connect(h.plain.port);
  await c.login();
  await c.cmd('SELECT INBOX');
});
after(async () => {
  c.close();
  await h.close();
});

test('ENVELOPE names the address in the angle brackets outside the quoted display name', async () => {
  const r = await c.cmd('FETCH 1 ENVELOPE');
  assert.match(r.lines[0], /\(\("Boss <boss@company\.example>" NIL "evil" "example\.org"\)\)/, r.lines[0]);
  assert.ok(!/NIL "boss" "company\.example"/.test(r.lines[0]), r.lines[0]);
  assert.match(r.lines[0], /NIL "r" "example\.org"\)\)/, r.lines[0]);
});
