// The moderation queue's cap (security review 3, follow-up): held posts had no cap of their own, so a stranger
// could fill the disk through a members-only list. With [lists] max_held = 2, a stranger's two posts are held
// and a third (sent with swaks, 250 at DATA: whether a post is held depends on its From:, size and spam
// verdict, known only after DATA) is not kept: the stranger gets a bounce naming the full queue, the log says
// so, the moderators are not told. Once a moderator rejects one, the next post is held again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireCommand } from '../helpers/server.js';
import { atSink, cli, listLab, logText, post, until, type ListLab } from './helpers.js';

let lab: ListLab;

before(async () => {
  lab = await listLab({ users: [{ address: 'moder@example.test', password: 'moder-secret-1' }], toml: ['[lists]', 'max_held = 2'].join('\n') });
  cli(lab.srv, ['list', 'create', 'team@example.test']);
  cli(lab.srv, ['list', 'set', 'team@example.test', '--admin', 'moder@example.test']);
  cli(lab.srv, ['list', 'add', 'team@example.test', 'carol@remote.test']);
});

after(async () => {
  await lab?.close();
});

const pending = () => cli(lab.srv, ['list', 'pending', 'team@example.test']).split('\n').filter(Boolean);

test('over max_held a post that would be held is bounced to its sender, never kept or dropped unsaid', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  for (const s of ['held one', 'held two']) await post(lab.srv, 'stranger@remote.test', 'team@example.test', s);
  await until('two posts held', () => (pending().length === 2 ? true : undefined), 120_000);
  await post(lab.srv, 'stranger@remote.test', 'team@example.test', 'one too many');
  const bounce = await until('the bounce to the stranger', () => atSink(lab.sink, /moderation queue is full/).find((m) => m.to.includes('stranger@remote.test')), 120_000);
  const text = bounce.raw.toString('latin1');
  assert.match(text, /team@example\.test/);
  assert.match(text, /one too many/, 'the bounce carries the post (or its headers) back');
  assert.equal(pending().length, 2, 'the third post was not held');
  assert.match(logText(lab.srv), /list-held-full[^\n]*list=team@example\.test[^\n]*sender=stranger@remote\.test[^\n]*limit="?2 posts/);
  assert.equal(atSink(lab.sink, /one too many/).filter((m) => m.to.includes('carol@remote.test')).length, 0, 'never distributed');

  // a decided post no longer counts: the next one is held again
  const [id] = pending()[0].split('\t');
  cli(lab.srv, ['list', 'reject', 'team@example.test', id]);
  await post(lab.srv, 'stranger@remote.test', 'team@example.test', 'after a rejection');
  await until('the new post held', () => (pending().some((l) => l.includes('after a rejection')) ? true : undefined), 120_000);
});
