// A worker thread for test/log/logger.test.ts and flush.test.ts: makes a Logger as the spam log does in a pool
// worker (no sink given) and emits `count` spam verdicts, which must reach the main thread's metrics. With
// `turns`, emits `count` per turn of its event loop and posts how many descriptors of the process are open on
// the spam log after each turn.
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Logger, localDay } from '../../engine/log/logger.js';

const { count, logsDir, turns } = workerData as { count: number; logsDir?: string; turns?: number };
// with a logs directory, the lines are also written to its files (appended synchronously in a worker thread)
const logger = logsDir ? new Logger({ dir: logsDir, stdout: false }) : new Logger({ stdout: false, files: false });
const emit = () => {
  for (let i = 0; i < count; i++) {
    logger.emit('spam.verdict', { action: 'spam', score: 7.5, tags: 'VALHELO(1.0),PHRASE(6.5)', from: 'x@example.test', to: 'y@example.test', ms: 3 });
  }
};
if (!turns) emit();
else {
  const spam = path.join(logsDir!, `spam-${localDay(new Date())}.log`);
  const open = () =>
    fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === spam;
      } catch {
        return false;
      }
    }).length;
  for (let t = 0; t < turns; t++) {
    emit();
    await new Promise((r) => setImmediate(r)); // the logger's flush
    await new Promise((r) => setImmediate(r));
    parentPort!.postMessage({ fds: open() });
  }
}
// nothing keeps the thread: the sink's own timer must post the batch before the thread ends
