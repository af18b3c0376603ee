// A worker thread for test/log/logger.test.ts: makes a Logger as the spam log does in a pool worker (no
// sink given) and emits `count` spam verdicts, which must reach the main thread's metrics.
import { workerData } from 'node:worker_threads';
import { Logger } from '../../engine/log/logger.js';

const { count, logsDir } = workerData as { count: number; logsDir?: string };
// with a logs directory, the lines are also written to its files (appended synchronously in a worker thread)
const logger = logsDir ? new Logger({ dir: logsDir, stdout: false }) : new Logger({ stdout: false, files: false });
for (let i = 0; i < count; i++) {
  logger.emit('spam.verdict', { action: 'spam', score: 7.5, tags: 'VALHELO(1.0),PHRASE(6.5)', from: 'x@example.test', to: 'y@example.test', ms: 3 });
}
// nothing keeps the thread: the sink's own timer must post the batch before the thread ends
