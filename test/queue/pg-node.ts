// A queue node for the multi-node tests (test/queue/pg-nodes.test.ts), run as its own process: it opens the
// shared queue on PostgreSQL (openPgQueue) with the real deliver-remote worker in a piscina pool and delivers
// until SIGTERM. Arguments: one JSON object { url, nodeName, leaseMs, configPath, dataDir, pollMs }.
// It prints "ready" once started and, at SIGTERM, its stats as JSON. It never enqueues anything itself.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Piscina } from 'piscina';
import { loadConfig } from '../../engine/config/load.js';
import { Logger } from '../../engine/log/logger.js';
import { openPgQueue } from '../../engine/queue/pg-queue.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = JSON.parse(process.argv[2]) as { url: string; nodeName: string; leaseMs: number; configPath: string; dataDir: string; pollMs: number };
const config = loadConfig(args.configPath);
const pool = new pg.Pool({ connectionString: args.url, max: 4, connectionTimeoutMillis: 3000, statement_timeout: 10_000 });
pool.on('error', () => undefined); // the database going away (a test stops it): the pool reconnects
const workers = new Piscina({
  filename: path.resolve(here, '../../workers/deliver-remote.js'),
  minThreads: 1,
  maxThreads: 1,
  concurrentTasksPerWorker: 16,
  atomics: 'async',
  workerData: { configPath: args.configPath, dataDir: args.dataDir },
});
const logger = new Logger({ stdout: false, files: false, sink: null });
logger.on((service, event, fields) => {
  if (service === 'queue') process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
});
const queue = await openPgQueue(pool, {
  nodeName: args.nodeName,
  leaseTime: args.leaseMs,
  config,
  logger,
  deliver: (task) => workers.run(task),
  workDir: path.join(args.dataDir, 'pg-queue'),
  isLocal: () => false,
  injectLocal: () => Promise.reject(new Error('no local mailboxes on this node')),
  listen: { connectionString: args.url },
  pollMs: args.pollMs,
});
await queue.start();
// the queue's timers never hold a process open (serve's listeners do); this node has nothing else, so it holds
const keepAlive = setInterval(() => undefined, 60_000);
process.stdout.write('ready\n');
async function shutdown(): Promise<void> {
  clearInterval(keepAlive);
  await queue.stop(5000);
  process.stdout.write(JSON.stringify({ stats: queue.stats }) + '\n');
  await workers.destroy();
  await pool.end();
}
process.on('SIGTERM', () => {
  shutdown().then(
    () => process.exit(0),
    (e: Error) => {
      process.stderr.write(`shutdown failed: ${e.message}\n`);
      process.exit(1);
    },
  );
});
