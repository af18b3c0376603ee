// Folder names the Maildir store refuses (a dot of Maildir++ inside a name, an empty level, a name of Maildir's
// own directories), over a real socket with Python's imaplib: CREATE and RENAME answer NO [CANNOT] (RFC 5530)
// with the store's reason, never NO [SERVERBUG], nothing is made, and the session goes on.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { MaildirStore } from '../../engine/store/maildir-store.js';
import { run } from '../helpers/server.js';
import { PASS, USER, startHarness, type Harness } from './harness.js';

let h: Harness;

before(async () => {
  h = await startHarness({ store: (d) => new MaildirStore(d) });
});
after(() => h?.close());

it('CREATE and RENAME of a name the store refuses answer NO [CANNOT], not an internal error', async () => {
  const code = `import imaplib, json
m = imaplib.IMAP4('127.0.0.1', ${h.plain.port}, timeout=30)
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
