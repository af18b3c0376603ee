// Preloaded into a benchmarked Node server (node --expose-gc --import <this file>): on SIGUSR2 it runs a full
// garbage collection and writes process.memoryUsage() to $GC_PROBE_DIR/<pid>.json, so bench:sessions can read
// the live heap without a heap snapshot (which would itself grow the process). Node runs an --import module in
// every worker thread too (piscina's analysis workers): there it listens on a BroadcastChannel, and the main
// thread's SIGUSR2 tells each worker to collect as well, so a worker heap's growth or shrinking (V8's memory
// reducer, on its own schedule) is not counted in the process's PSS as if it were the sessions'. Never used by
// the server itself.
import fs from 'node:fs';
import path from 'node:path';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';

const dir = process.env.GC_PROBE_DIR;
const v8gc = (globalThis as { gc?: () => void }).gc;
// two full collections (not V8's memory-pressure "last resort" one: that also flushes the bytecode of functions not
// run lately, so the heap would shrink from one probe to the next). V8 unmaps the pages they free later, on a
// background thread: bench:sessions waits for the RSS to settle before it reads the PSS.
const gc = v8gc && (() => (v8gc(), v8gc()));
if (dir && gc) {
  const channel = new BroadcastChannel('tegami-gc-probe');
  channel.unref();
  if (isMainThread) {
    let workers: Array<{ heapTotal: number; heapUsed: number }> = [];
    channel.onmessage = (e) => {
      const m = (e as MessageEvent).data as { heapTotal?: number; heapUsed?: number };
      if (typeof m === 'object' && m.heapTotal !== undefined) workers.push({ heapTotal: m.heapTotal, heapUsed: m.heapUsed ?? 0 });
    };
    process.on('SIGUSR2', () => {
      workers = [];
      channel.postMessage('gc');
      gc();
      // the workers' answers (their heaps after their collection) come back on the channel meanwhile
      setTimeout(() => {
        const file = path.join(dir, `${process.pid}.json`);
        fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...process.memoryUsage(), workers, at: Date.now() }));
        fs.renameSync(`${file}.tmp`, file);
      }, 500);
    });
  } else {
    channel.onmessage = () => {
      gc();
      const { heapTotal, heapUsed } = process.memoryUsage();
      channel.postMessage({ heapTotal, heapUsed });
    };
  }
}
