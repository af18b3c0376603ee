// P4: on a listener whose address belongs to a virtual host ([domains] by_ip), a bare login resolves in that
// host's domain; user@domain still works for every domain. Also: [imap] max_connections_per_ip.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASS, RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ host: '127.0.0.2', byIp: { '127.0.0.2': 'other.test' }, toml: '[imap]\nmax_connections_per_ip = 2' });
});
after(async () => {
  await h.close();
});

test('bare user resolves in the by_ip domain of the listener address', async () => {
  const c = await RawClient.connect(h.plain.port, { host: '127.0.0.2' });
  assert.match((await c.cmd('LOGIN hanako other-pw2')).status, /^OK/);
  c.close();
  const d = await RawClient.connect(h.plain.port, { host: '127.0.0.2' });
  assert.match((await d.cmd(`LOGIN taro ${PASS}`)).status, /^NO \[AUTHENTICATIONFAILED\]/, 'taro is not in other.test');
  assert.match((await d.cmd(`LOGIN ${USER} ${PASS}`)).status, /^OK/);
  d.close();
});

test('connections beyond [imap] max_connections_per_ip get BYE; a freed slot is usable again', async () => {
  const a = await RawClient.connect(h.plain.port, { host: '127.0.0.2' });
  const b = await RawClient.connect(h.plain.port, { host: '127.0.0.2' });
  const third = await RawClient.connect(h.plain.port, { host: '127.0.0.2' });
  assert.match(third.greeting, /^\* BYE Too many connections/);
  third.close();
  await a.cmd('LOGOUT');
  // once the server has seen that one go, the slot is free again (it may take a moment on a busy machine)
  let c = await RawClient.connect(h.plain.port, { host: '127.0.0.2' });
  for (const deadline = Date.now() + 30_000; /^\* BYE/.test(c.greeting) && Date.now() < deadline; ) {
    c.close();
    await new Promise((r) => setTimeout(r, 100));
    c = await RawClient.connect(h.plain.port, { host: '127.0.0.2' });
  }
  assert.match((await c.cmd('NOOP')).status, /^OK/);
  b.close();
  c.close();
});
