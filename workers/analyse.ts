// Worker task "analyse": judge one spooled message (content filters, scores, action, headers) for the
// SMTP session or the delivery worker. Reads the spool file from bodyOffset (or takes the bytes it is given);
// never writes the message, never replies to the client, never delivers.
import fsp from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import { loadConfig } from '../engine/config/load.js';
import { Analyser } from '../engine/spam/pipeline.js';
import type { AnalyseResult, AnalyseTask } from '../engine/spam/types.js';

export type { AnalyseTask, AnalyseResult, AnalyseEnvelope, ConnectionResult, SpamAction, Tag } from '../engine/spam/types.js';

const analysers = new Map<string, Analyser>();

function analyserFor(configPath: string | undefined): Analyser {
  const key = configPath ?? '';
  let a = analysers.get(key);
  if (!a) {
    const config = loadConfig(configPath);
    const dataDir = (workerData as { dataDir?: string } | null)?.dataDir;
    if (dataDir) config.data_dir = dataDir;
    a = new Analyser(config);
    analysers.set(key, a);
  }
  return a;
}

async function readRaw(task: AnalyseTask): Promise<Buffer> {
  if (task.raw) return Buffer.isBuffer(task.raw) ? task.raw : Buffer.from(task.raw.buffer, task.raw.byteOffset, task.raw.byteLength);
  const all = await fsp.readFile(task.spoolPath);
  return all.subarray(task.bodyOffset);
}

export default async function analyse(task: AnalyseTask): Promise<AnalyseResult> {
  const a = analyserFor(task.configPath);
  return a.analyse(await readRaw(task), task.envelope, task.connection);
}

export { analyse };

/** Tests and shutdown: close the cached analysers (databases, log files). */
export async function closeAnalysers(): Promise<void> {
  await Promise.all([...analysers.values()].map((a) => a.close()));
  analysers.clear();
}
