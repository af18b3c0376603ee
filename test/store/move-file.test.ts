// moveFile (engine/store/maildir-files.ts), what storing a staged message and MOVE between folders use: a rename,
// or, across file systems (a folder mounted elsewhere: EXDEV), a copy that is fsynced before the original goes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moveFile } from '../../engine/store/maildir-files.js';

const body = Buffer.from('Subject: 移動\r\n\r\n本文です。\r\n', 'utf8');

test('a rename within one file system', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-move-'));
  try {
    fs.writeFileSync(path.join(dir, 'a'), body);
    await moveFile(path.join(dir, 'a'), path.join(dir, 'b'));
    assert.deepEqual([fs.existsSync(path.join(dir, 'a')), fs.readFileSync(path.join(dir, 'b'))], [false, body]);
    await assert.rejects(moveFile(path.join(dir, 'missing'), path.join(dir, 'd')), { code: 'ENOENT' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const other = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').dev !== fs.statSync(os.tmpdir()).dev ? '/dev/shm' : null;

test('across file systems: copied, then the original removed', { skip: !other && 'no second file system (/dev/shm) here' }, async () => {
  const a = fs.mkdtempSync(path.join(other!, 'tegami-move-'));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-move-'));
  try {
    fs.writeFileSync(path.join(a, 'm'), body);
    await moveFile(path.join(a, 'm'), path.join(b, 'm'));
    assert.deepEqual([fs.existsSync(path.join(a, 'm')), fs.readFileSync(path.join(b, 'm'))], [false, body]);
    fs.writeFileSync(path.join(a, 'n'), body);
    fs.writeFileSync(path.join(b, 'n'), 'there already');
    await assert.rejects(moveFile(path.join(a, 'n'), path.join(b, 'n')), { code: 'EEXIST' }, 'never over a file that is there');
    assert.equal(fs.existsSync(path.join(a, 'n')), true, 'the original stays when the copy fails');
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});
