// The one MIME tree's multipart split (engine/mime/mime-tree.ts) on a boundary an attacker makes long, over a body of
// lines that almost match it: Buffer.indexOf of the whole delimiter cost the boundary's length at each of the body's
// places (a 16 KB boundary over 1 MB of such lines: 2.5 s of CPU; a boundary may be a header field's 256 KiB, a
// message 25 MB), at every reader of the structure — the spam filter at delivery, IMAP FETCH BODYSTRUCTURE —
// (security review 11). The search now compares at line starts only, each comparison ending by its line's end.
// No speed is measured: the parse runs in a worker thread stopped at a deadline, as test/spam/linear-time does; the
// linear search reads this message in milliseconds, the old one needed minutes (about 8 on the machine of the
// review), and the deadline sits in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';

// 120 s: a busy machine (both cores taken) slows the linear split to seconds; the old search needed minutes
const DEADLINE_MS = 120_000;

test('a long boundary over near-matching lines: split in linear time, the real delimiters found', async () => {
  const url = new URL('../../engine/mime/mime-tree.js', import.meta.url).href;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then(({ parseMime, MIME_BOUNDS, SPAM_BOUNDS }) => {
      const b = 'q'.repeat(200 * 1024);
      const near = '--' + b.slice(0, -1) + 'z\\r\\n';
      const body = '--' + b + '\\r\\nContent-Type: text/plain\\r\\n\\r\\n' + near.repeat(80) + '\\r\\n--' + b + '\\r\\n\\r\\nsecond\\r\\n--' + b + '--\\r\\n';
      const raw = Buffer.from('Subject: long boundary\\r\\nContent-Type: multipart/mixed; boundary="' + b + '"\\r\\n\\r\\n' + body, 'latin1');
      const out = [raw.length];
      for (const bounds of [MIME_BOUNDS, SPAM_BOUNDS]) {
        const root = parseMime(raw, bounds);
        out.push(root.children.map((c) => raw.toString('latin1', c.bodyStart, Math.min(c.end, c.bodyStart + 8))).join('|'));
      }
      parentPort.postMessage(out);
    });
  `;
  const w = new Worker(code, { eval: true });
  const result = await new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => {
      // not awaited: a worker stuck in a native search ends when the search does, which is not this case's answer
      w.unref();
      // eslint-disable-next-line @typescript-eslint/no-floating-promises -- terminate() never rejects
      void w.terminate();
      reject(new Error(`the split did not end within ${DEADLINE_MS / 1000} s`));
    }, DEADLINE_MS);
    w.once('message', (m) => {
      clearTimeout(timer);
      w.terminate().then(() => resolve(m), reject);
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const [size, imap, spam] = result as [number, string, string];
  assert.ok(size > 16 * 1024 * 1024, `a message of ${size} octets`);
  // the first part holds the near-matching lines, the second is found after them; nothing else is a delimiter
  assert.equal(imap, `--${'q'.repeat(6)}|second`);
  assert.equal(spam, imap);
});
