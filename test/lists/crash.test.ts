// kill -9 while a list expands a post: the post was acknowledged (250) and must not be lost, and no member may
// get two copies. The analysis deadline is 1 ms, so the 250 comes before the worker's expansion of 150
// members ends and the kill lands during it (or, on a fast machine, after: the property holds either way).
// The remote side refuses (451) until the restart, so no copy is accepted before the kill: the only duplicates
// allowed by the design (a remote server accepted, we died before recording it) cannot occur here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { requireCommand } from '../helpers/server.js';
import { queueList } from '../outbound/helpers.js';
import { cli, listLab, logText, post, until, type ListLab } from './helpers.js';

let lab: ListLab;
let refuse = true;
const N = 150;
const members = Array.from({ length: N }, (_, i) => `m${String(i).padStart(3, '0')}@remote.test`);

before(async () => {
  lab = await listLab({ sink: { tempFail: () => refuse }, queue: ['analysis_deadline = "1ms"', 'workers = 2'] });
  cli(lab.srv, ['list', 'create', 'big@example.test']);
  cli(lab.srv, ['list', 'add', 'big@example.test', ...members]);
});

after(async () => {
  await lab?.close();
});

test('kill -9 during expansion: after the restart every member gets the post exactly once', async (t) => {
  if (!requireCommand(t, 'swaks')) return;
  await post(lab.srv, 'm000@remote.test', 'big@example.test', 'survives a crash');
  // kill when the first copies are staged (the expansion is under way), or once it is over
  const staging = path.join(lab.srv.dataDir, 'spool', 'originating');
  const stagedNow = () => {
    try {
      return fs.readdirSync(staging).reduce((n, b) => n + fs.readdirSync(path.join(staging, b)).length, 0);
    } catch {
      return 0;
    }
  };
  await until('expansion under way', () => stagedNow() > 0 || /list-distributed/.test(logText(lab.srv)), 30_000, 2).catch(() => undefined);
  await lab.srv.stop('SIGKILL');
  const staged = stagedNow();
  t.diagnostic(`at the kill: ${(logText(lab.srv).match(/list-distributed/g) ?? []).length} distribution(s) logged, ${staged} cop(ies) staged`);
  refuse = false;
  await lab.srv.restart();
  await until(`all ${N} members served`, () => new Set(lab.sink.messages.flatMap((m) => m.to)).size >= N, 180_000, 500);
  await until('the queue empty', async () => (await queueList(lab.srv)).length === 0, 120_000, 500);
  const perMember = new Map<string, number>();
  for (const m of lab.sink.messages) for (const r of m.to) perMember.set(r, (perMember.get(r) ?? 0) + 1);
  assert.deepEqual([...perMember.keys()].sort(), members);
  const twice = [...perMember].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no member got the post twice');
  const after = logText(lab.srv);
  t.diagnostic(`after the restart: ${(after.match(/list-distributed/g) ?? []).length} distribution(s), ${(after.match(/list-duplicate/g) ?? []).length} duplicate(s) skipped, ${(after.match(/list-recovered/g) ?? []).length} recovery`);
});
