// Folders refused over a real socket with Python's imaplib. [accounts] max_folders: CREATE (with the parents it
// makes) and RENAME (the parents it makes) past the limit are NO [LIMIT] (RFC 5530) and create nothing; a folder
// deleted makes room. Names the Maildir store refuses (a dot of Maildir++ inside a name, an empty level, a name of
// Maildir's own directories): NO [CANNOT] with the store's reason, never NO [SERVERBUG], and the session goes on.
import { after, before, describe, it } from 'node:test';
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

describe('names the store refuses (a server without a folder limit)', () => {
  let h2: Harness;
  before(async () => {
    h2 = await startHarness({ store: (d) => new MaildirStore(d) });
  });
  after(() => h2?.close());

  it('CREATE and RENAME of a name the store refuses answer NO [CANNOT], not an internal error', async () => {
    const code = `import imaplib, json
m = imaplib.IMAP4('127.0.0.1', ${h2.plain.port}, timeout=30)
m.login(${JSON.stringify(USER)}, ${JSON.stringify(PASS)})
out = {}
def r(x): return [x[0], [i.decode() if isinstance(i, bytes) else i for i in x[1]]]
def names(): return sorted(l.decode().rsplit(' ', 1)[-1].strip('"') for l in m.list()[1])
for n in ['a..b', 'INBOX.cur', 'Work.2026', 'x/.y']:
    out[n] = r(m.create(n))
out['ok'] = r(m.create('Work'))
out['rename'] = r(m.rename('Work', 'a..b'))
out['noop'] = r(m.noop())
out['listed'] = names()
m.logout()
print(json.dumps(out))`;
    const res = await run('python3', ['-c', code], { timeoutMs: 60_000 });
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, [string, string[]]>;
    for (const n of ['a..b', 'INBOX.cur', 'Work.2026', 'x/.y', 'rename']) {
      assert.equal(out[n][0], 'NO', `${n}: ${JSON.stringify(out[n])}`);
      assert.match(out[n][1][0], /^\[CANNOT\] \S/, `${n}: ${JSON.stringify(out[n])}`);
      assert.doesNotMatch(out[n][1][0], /SERVERBUG|Internal error/, n);
    }
    assert.deepEqual(out.ok, ['OK', ['CREATE completed']]);
    assert.equal(out.noop[0], 'OK', 'the session goes on');
    assert.deepEqual(out.listed, ['Drafts', 'INBOX', 'Sent', 'Spam', 'Trash', 'Work'], 'nothing of the refused names was made');
  });
});
