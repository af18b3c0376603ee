// [accounts] max_folders over a real socket with Python's imaplib: CREATE (with the parents it makes) and RENAME
// (the parents it makes) past the limit are NO [LIMIT] (RFC 5530) and create nothing; a folder deleted makes room.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { run } from '../helpers/server.js';
import { PASS, USER, startHarness, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness({ store: (d) => new MaildirStore(d), toml: '[accounts]\nmax_folders = 9' });
});
after(() => h?.close());

it('CREATE and RENAME stop at [accounts] max_folders with NO [LIMIT]', async () => {
  const code = `import imaplib, json
m = imaplib.IMAP4('127.0.0.1', ${h.plain.port}, timeout=30)
m.login(${JSON.stringify(USER)}, ${JSON.stringify(PASS)})
out = {}
def r(x): return [x[0], [i.decode() if isinstance(i, bytes) else i for i in x[1]]]
def names(): return sorted(l.decode().rsplit(' ', 1)[-1].strip('"') for l in m.list()[1])
out['start'] = names()
out['a'] = r(m.create('Work'))
out['b'] = r(m.create('Work/2026'))
out['deep'] = r(m.create('Old/2025/12'))
out['notes'] = r(m.create('Notes'))
out['renameDeep'] = r(m.rename('Notes', 'Archive/2026/Notes'))
out['ninth'] = r(m.create('Extra'))
out['tenth'] = r(m.create('Extra2'))
out['listed'] = names()
out['del'] = r(m.delete('Notes'))
out['again'] = r(m.create('Extra2'))
m.logout()
print(json.dumps(out))`;
  const res = await run('python3', ['-c', code], { timeoutMs: 60_000 });
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  // INBOX and the four special-use folders count: 5 of 9
  assert.deepEqual(out.start, ['Drafts', 'INBOX', 'Sent', 'Spam', 'Trash']);
  assert.deepEqual(out.a, ['OK', ['CREATE completed']]);
  assert.deepEqual(out.b, ['OK', ['CREATE completed']], '7 of 9');
  assert.deepEqual(out.deep, ['NO', ['[LIMIT] An account keeps at most 9 folders (it has 7)']], 'Old, Old/2025 and Old/2025/12 would make 10');
  assert.deepEqual(out.notes, ['OK', ['CREATE completed']], '8 of 9');
  assert.deepEqual(out.renameDeep, ['NO', ['[LIMIT] An account keeps at most 9 folders (it has 8)']], 'the parents Archive and Archive/2026 would make 10');
  assert.deepEqual(out.ninth, ['OK', ['CREATE completed']]);
  assert.deepEqual(out.tenth, ['NO', ['[LIMIT] An account keeps at most 9 folders (it has 9)']]);
  assert.deepEqual(out.listed, ['Drafts', 'Extra', 'INBOX', 'Notes', 'Sent', 'Spam', 'Trash', 'Work', 'Work/2026'], 'nothing of the refused ones was made');
  assert.deepEqual(out.del, ['OK', ['DELETE completed']]);
  assert.deepEqual(out.again, ['OK', ['CREATE completed']], 'a folder deleted makes room');
});
