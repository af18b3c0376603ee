// Preloaded into a server the bench starts through test/helpers/server.ts (NODE_OPTIONS=--import=<this file>;
// --cpu-prof itself is refused in NODE_OPTIONS): profiles the main thread with the inspector from start to exit
// and writes CPU.<pid>.cpuprofile into $BENCH_CPU_PROF_DIR. Never loaded by the server on its own.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir && isMainThread) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.once('exit', () => {
    // the main thread's own session answers synchronously, so this runs to the end inside 'exit'
    session.post('Profiler.stop', (err, r) => {
      if (!err) fs.writeFileSync(path.join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
