// The durable Maildir write (engine/store/maildir.ts writeMaildirMessage) as a delivery worker makes it: in a
// worker thread the write, close, rename and the maildirsize line are made inline and only the create, the
// fdatasync and the directory fsync go through libuv's pool; the main thread keeps every step asynchronous.
// Both must leave the same mailbox: every message whole in new/ (0600), nothing in tmp/, one maildirsize line
// per delivery, a folder removed under the writer made again — for many deliveries at once, large and small.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeMaildirMessage } from '../../engine/store/maildir.js';
import { parseSizeFile, MAILDIRSIZE } from '../../engine/store/maildirsize.js';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** Message i: a header naming it and a body of a size that varies from empty to past 1 MiB (Japanese text). */
function message(i: number): Buffer[] {
  const body = Buffer.from('日本語の本文 '.repeat(i % 3 === 0 ? 0 : i % 3 === 1 ? 40 : 70_000));
  return [Buffer.from(`Subject: message ${i}\r\n\r\n`), body, Buffer.alloc(0), Buffer.from('\r\n')];
}

/** Writes `count` messages into `root`, 8 at a time; between the halves the folder is removed; returns the names. */
async function deliverMany(root: string, count: number): Promise<string[]> {
  const names: string[] = [];
  const half = async (from: number, to: number) => {
    let next = from;
    const lane = async () => {
      while (next < to) {
        const i = next++;
        names[i] = await writeMaildirMessage(root, message(i), { dedupKey: `id${i}-0` });
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
  };
  await half(0, count / 2);
  fs.rmSync(root, { recursive: true, force: true }); // the account removed and made again: the writer makes it afresh
  await half(count / 2, count);
  return names;
}

function checkMailbox(root: string, names: string[], from: number): void {
  assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), [], 'nothing left in tmp/');
  const inNew = new Set(fs.readdirSync(path.join(root, 'new')));
  for (let i = from; i < names.length; i++) {
    assert.ok(inNew.has(names[i]), `message ${i} in new/`);
    const file = path.join(root, 'new', names[i]);
    assert.ok(Buffer.concat(message(i)).equals(fs.readFileSync(file)), `message ${i} whole`);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(names[i], new RegExp(`_id${i}-0\\..*,S=${Buffer.concat(message(i)).length}$`));
  }
}

async function inWorker(root: string, count: number): Promise<string[]> {
  const moduleUrl = new URL('../../engine/store/maildir.js', import.meta.url).href;
  // the same deliverMany and message, sent as source (a worker cannot share this module's functions)
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    ${message.toString()}
    ${deliverMany.toString()}
    import(workerData.moduleUrl).then(async ({ writeMaildirMessage }) => {
      globalThis.writeMaildirMessage = writeMaildirMessage;
      parentPort.postMessage(await deliverMany(workerData.root, workerData.count));
    }, (e) => parentPort.postMessage({ error: String(e) }));
  `;
  const w = new Worker(src, { eval: true, workerData: { moduleUrl, root, count } });
  try {
    const out = await new Promise<unknown>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    if (!Array.isArray(out)) throw new Error(`worker: ${JSON.stringify(out)}`);
    return out as string[];
  } finally {
    await w.terminate();
  }
}

for (const where of ['main thread', 'worker thread'] as const) {
  test(`Maildir write in the ${where}: whole files in new/, none in tmp/, one maildirsize line each`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-mdwrite-'));
    made.push(dir);
    const root = path.join(dir, 'Maildir');
    const count = 24;
    const names = where === 'worker thread' ? await inWorker(root, count) : await deliverMany(root, count);
    // the first half went into the folder that was removed; the second half into the one made again
    checkMailbox(root, names, count / 2);
    assert.equal(fs.readdirSync(path.join(root, 'new')).length, count / 2);

    // with a maildirsize file, every delivery appends its line (the worker's inline append)
    fs.writeFileSync(path.join(root, MAILDIRSIZE), '100000000S\n0 0\n');
    const more = where === 'worker thread' ? await inWorker(path.join(root, '.Lists'), 6) : await deliverMany(path.join(root, '.Lists'), 6);
    assert.equal(more.length, 6);
    const parsed = parseSizeFile(fs.readFileSync(path.join(root, MAILDIRSIZE), 'latin1'));
    assert.ok(parsed);
    let bytes = 0;
    for (let i = 0; i < 6; i++) bytes += Buffer.concat(message(i)).length;
    assert.deepEqual(parsed.usage, { bytes, messages: 6 }, 'one line per delivery into the folder .Lists');
    checkMailbox(path.join(root, '.Lists'), more, 3);
    assert.ok(fs.existsSync(path.join(root, '.Lists', 'maildirfolder')));
  });
}
