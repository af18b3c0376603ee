// Test-only preload (NODE_OPTIONS="--import …/fault.js"): on SIGUSR2, the process it is loaded into gets an
// error that no handler catches, as a bug would produce: TEGAMI_TEST_FAULT=rejection rejects a promise
// nobody awaits, =exception throws from a timer. It is never part of the server; tests load it from outside.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.on('SIGUSR2', () => {
    if (process.env.TEGAMI_TEST_FAULT === 'exception') {
      setImmediate(() => {
        throw new Error('injected fault: an exception nobody catches');
      });
    } else {
      // eslint-disable-next-line @typescript-eslint/no-floating-promises -- the point of this module
      Promise.reject(new Error('injected fault: a rejection nobody handles'));
    }
  });
}
