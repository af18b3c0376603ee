// engine/util/durable-file.ts: the file is replaced whole and private (0600, whatever the umask), a write that
// fails leaves the old content and no temporary file, and temporary names differ per call (worker threads of one
// process write the same MTA-STS cache file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { durableTempName, writeFileDurable } from '../../engine/util/durable-file.js';

test('replaces the file whole, mode 0600, nothing else left in the directory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-durable-'));
  try {
    const file = path.join(dir, 'holds.json');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    writeFileDurable(file, '{"domains":["例え.jp"]}');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"domains":["例え.jp"]}');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    writeFileDurable(file, Buffer.from([0, 1, 2, 255]));
    assert.deepEqual([...fs.readFileSync(file)], [0, 1, 2, 255]);
    assert.deepEqual(fs.readdirSync(dir), ['holds.json']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that cannot finish leaves the old file and no temporary one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-durable-'));
  try {
    // the target is a directory: the rename fails after the temporary file was written and fsynced
    const target = path.join(dir, 'secret.key');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'kept');
    assert.throws(() => writeFileDurable(target, 'new'));
    assert.deepEqual(fs.readdirSync(dir), ['secret.key']);
    assert.equal(fs.readFileSync(path.join(target, 'inside'), 'utf8'), 'kept');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('temporary names are unique per call and end in .tmp', () => {
  const a = durableTempName('/x/secret.key.next');
  const b = durableTempName('/x/secret.key.next');
  assert.notEqual(a, b);
  assert.match(path.basename(a), new RegExp(`^secret\\.key\\.next\\.${process.pid}\\.[0-9a-f]+\\.tmp$`));
});
