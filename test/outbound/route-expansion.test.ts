// Alias and forward expansion (workers/route.ts) on a small in-memory directory: recipients that reach the
// same final address are served once and none of them is reported as a loop; a real loop still fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountDirectory, Resolution } from '../../engine/accounts/directory.js';
import { route } from '../../workers/route.js';

function directory(aliases: Record<string, string[]>): AccountDirectory {
  return {
    resolve(address: string): Resolution {
      const a = address.toLowerCase();
      if (aliases[a]) return { kind: 'alias', targets: aliases[a] };
      return a.endsWith('@b.test') ? { kind: 'unknown' } : { kind: 'remote' };
    },
  } as unknown as AccountDirectory;
}

test('several recipients expanding to one remote address: one delivery, no failure', () => {
  const r = route(directory({ 'x@b.test': ['fan@a.test'], 'y@b.test': ['fan@a.test'], 'z@b.test': ['FAN@a.test'] }), ['x@b.test', 'y@b.test', 'z@b.test']);
  assert.deepEqual(r.remote, [{ address: 'fan@a.test', rcpt: 'x@b.test' }]);
  assert.deepEqual(r.failed, []);
});

test('an alias that only points back at itself still fails as a loop; an unknown target fails once', () => {
  const r = route(directory({ 'self@b.test': ['self@b.test'], 'bad@b.test': ['nobody@b.test'] }), ['self@b.test', 'bad@b.test']);
  assert.deepEqual(r.failed.map((f) => [f.address, f.reason.slice(0, 5)]), [['self@b.test', '5.4.6'], ['bad@b.test', '5.1.1']]);
});
