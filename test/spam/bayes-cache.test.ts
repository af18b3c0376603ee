// The Bayes store keeps the counts it has read in memory; a write by any connection (another worker, the IMAP
// server learning a moved message, `tegami spam learn` in another process) must be seen by the next lookup.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BayesStore, SERVER } from '../../engine/spam/bayes.js';
import { tempDir, removeTempDirs } from './helpers.js';

after(removeTempDirs);

test('counts and totals read through one connection follow writes made through another', () => {
  const dir = tempDir();
  const reader = new BayesStore(dir);
  const writer = new BayesStore(dir);
  try {
    assert.deepEqual([...reader.counts(SERVER, ['viagra', 'meeting'])], []);
    assert.deepEqual(reader.totals(SERVER), { spam: 0, ham: 0 });
    writer.learn(SERVER, ['viagra', 'cheap'], 'spam', '<1@x>');
    assert.deepEqual([...reader.counts(SERVER, ['viagra', 'meeting'])], [['viagra', [1, 0]]], 'a token first read as absent');
    assert.deepEqual(reader.totals(SERVER), { spam: 1, ham: 0 });
    writer.learnMany(SERVER, [{ tokens: ['meeting', 'viagra'], kind: 'ham', messageId: '<2@x>' }]);
    assert.deepEqual(new Map(reader.counts(SERVER, ['viagra', 'meeting'])), new Map([['viagra', [1, 1]], ['meeting', [0, 1]]]));
    // relearning as the other kind moves the counts, seen at once by the writer's own reads too
    writer.counts(SERVER, ['viagra']);
    writer.learn(SERVER, ['meeting', 'viagra'], 'spam', '<2@x>');
    assert.deepEqual([...writer.counts(SERVER, ['viagra'])], [['viagra', [2, 0]]]);
    assert.deepEqual([...reader.counts(SERVER, ['viagra'])], [['viagra', [2, 0]]]);
  } finally {
    reader.close();
    writer.close();
  }
});

test('a write by another process is seen too', () => {
  const dir = tempDir();
  const reader = new BayesStore(dir);
  try {
    assert.deepEqual([...reader.counts('user@example.test', ['rolex'])], []);
    const script = `import('${new URL('../../engine/spam/bayes.js', import.meta.url).href}').then(({ BayesStore }) => { const s = new BayesStore(${JSON.stringify(dir)}); s.learn('user@example.test', ['rolex'], 'spam', '<p@x>'); s.close(); })`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([...reader.counts('user@example.test', ['rolex'])], [['rolex', [1, 0]]]);
    assert.deepEqual(reader.totals('user@example.test'), { spam: 1, ham: 0 });
  } finally {
    reader.close();
  }
});

test('lookup() checks the database once per message and still sees every learn made since the last message', () => {
  const dir = tempDir();
  const reader = new BayesStore(dir);
  const writer = new BayesStore(dir);
  const owners = [SERVER, 'user@example.test'];
  try {
    assert.deepEqual(reader.lookup(owners, ['viagra', 'meeting'], 1), { spam: 0, ham: 0, counts: new Map() });
    writer.learnMany(SERVER, [
      { tokens: ['viagra', 'cheap'], kind: 'spam', messageId: '<1@x>' },
      { tokens: ['meeting'], kind: 'ham', messageId: '<2@x>' },
    ]);
    assert.deepEqual(reader.lookup(owners, ['viagra', 'meeting'], 1), { spam: 1, ham: 1, counts: new Map([['viagra', [1, 0]], ['meeting', [0, 1]]]) });
    // the user's own counts, learnt by another connection after the server's were cached
    writer.learn('user@example.test', ['viagra'], 'ham', '<3@x>');
    assert.deepEqual(reader.lookup(owners, ['viagra', 'meeting'], 1), { spam: 1, ham: 2, counts: new Map([['viagra', [1, 1]], ['meeting', [0, 1]]]) });
    // a learn through the reader's own connection too
    reader.learn(SERVER, ['meeting'], 'spam', '<4@x>');
    assert.deepEqual(reader.lookup(owners, ['meeting'], 1), { spam: 2, ham: 2, counts: new Map([['meeting', [1, 1]]]) });
  } finally {
    reader.close();
    writer.close();
  }
});
