// A state write that fails after the message is safe in spool/queue/ (a full disk, here a directory standing
// where <id>.state must go, which fails the same way even for root) is logged and retried; it never becomes an
// unhandled rejection that kills the process. Runs the real Queue and worker pool on a temporary data dir.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from '../../engine/queue/queue.js';
import { Logger } from '../../engine/log/logger.js';
import { newQueueId, type Envelope } from '../../engine/spool/envelope.js';
import { readState } from '../../engine/queue/state.js';

async function until(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('a failed state write after the message is queued is logged and retried, not an unhandled rejection', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-writefail-'));
  const dataDir = path.join(dir, 'data');
  const configPath = path.join(dir, 'tegami.toml');
  fs.writeFileSync(configPath, `hostname = "mx.example.test"\ndata_dir = "data"\n[domains]\nlocal = ["example.test"]\n[spam]\nenabled = false\n[dns]\nservers = ["127.0.0.1:9"]\n[log]\nstdout = false\n`);
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  const logger = new Logger({ stdout: false, files: false });
  logger.on((_s, event, fields) => events.push({ event, fields }));
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown) => unhandled.push(r);
  process.on('unhandledRejection', onUnhandled);
  const queue = new Queue({ dataDir, configPath, logger, workers: 1, maxMessages: 100, analysisDeadlineMs: 10_000, retrySchedule: [3_600_000] });
  try {
    await queue.start();
    const id = newQueueId();
    const statePath = path.join(dataDir, 'spool', 'queue', `${id}.state`);
    fs.mkdirSync(path.join(statePath, 'in-the-way'), { recursive: true });
    const env: Envelope = { id, time: Date.now(), mailFrom: 'taro@example.test', rcptTo: [{ address: 'friend@remote.test', kind: 'remote' }], client: { ip: '127.0.0.1', helo: 'localhost', protocol: 'ESMTPA', user: 'taro@example.test', listener: 'submission' } };
    await queue.inject(env, Buffer.from('From: taro@example.test\r\nTo: friend@remote.test\r\nSubject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n\r\nhello\r\n'));

    await until('a run-failed log line', () => events.some((e) => e.event === 'run-failed' && e.fields.id === id));
    const failed = events.find((e) => e.event === 'run-failed')!;
    assert.match(String(failed.fields.error), /EISDIR|ENOTEMPTY|EEXIST|directory/i, String(failed.fields.error));
    assert.ok(fs.existsSync(path.join(dataDir, 'spool', 'queue', id)), 'the message is still safe in spool/queue/');
    // give any stray rejection a turn of the event loop to surface
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(unhandled, [], 'no unhandled rejection');

    // the disk "recovers": the next run writes the state and keeps the remote recipient queued
    fs.rmSync(statePath, { recursive: true });
    assert.ok(queue.retryLocalNow(id), 'still known to the queue');
    await until('the state file', () => fs.existsSync(statePath) && fs.statSync(statePath).isFile());
    const st = await readState(path.join(dataDir, 'spool', 'queue'), id);
    assert.deepEqual(st?.recipients.map((r) => [r.address, r.kind, r.status]), [['friend@remote.test', 'remote', 'pending']]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await queue.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
