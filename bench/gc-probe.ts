// Preloaded into a benchmarked Node server (node --expose-gc --import <this file>): on SIGUSR2 it runs a full
// garbage collection and writes process.memoryUsage() to $GC_PROBE_DIR/<pid>.json, so bench:sessions can read
// the live heap without a heap snapshot (which would itself grow the process). Never used by the server itself.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.GC_PROBE_DIR;
const gc = (globalThis as { gc?: () => void }).gc;
if (dir && gc) {
  process.on('SIGUSR2', () => {
    gc();
    gc();
    const file = path.join(dir, `${process.pid}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...process.memoryUsage(), at: Date.now() }));
    fs.renameSync(`${file}.tmp`, file);
  });
}
