// P4: on a listener whose address belongs to a virtual host ([domains] by_ip), a bare login resolves in that
// host's domain; user@domain still works for every domain.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASS, RawClient, startHarness, USER, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ host: '127.0.0.2', byIp: { '127.0.0.2': 'other.test' } });
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
